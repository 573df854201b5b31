package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every key the dashboard answers to.
type keyMap struct {
	ScaleUp   key.Binding
	ScaleDown key.Binding
	Resize    key.Binding
	Pause     key.Binding
	Kill      key.Binding
	Focus     key.Binding
	Up        key.Binding
	Down      key.Binding
	PageUp    key.Binding
	PageDown  key.Binding
	Top       key.Binding
	Bottom    key.Binding
	Help      key.Binding
	Quit      key.Binding
	Again     key.Binding
	Back      key.Binding
	Confirm   key.Binding
	Cancel    key.Binding
	Left      key.Binding
	Right     key.Binding
	Choose    key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		ScaleUp:   b([]string{"+", "="}, "+", "scale out"),
		ScaleDown: b([]string{"-", "_"}, "-", "scale in"),
		Resize:    b([]string{"s"}, "s", "resize"),
		Pause:     b([]string{"p"}, "p", "pause/resume load"),
		Kill:      b([]string{"k"}, "k", "kill a task"),
		Focus:     b([]string{"tab", "shift+tab"}, "tab", "next pane"),
		Up:        b([]string{"up"}, "↑", "scroll up"),
		Down:      b([]string{"down"}, "↓", "scroll down"),
		PageUp:    b([]string{"pgup"}, "pgup", "page up"),
		PageDown:  b([]string{"pgdown", " "}, "pgdn", "page down"),
		Top:       b([]string{"home", "g"}, "home", "oldest"),
		Bottom:    b([]string{"end", "G"}, "end", "newest (follow)"),
		Help:      b([]string{"?"}, "?", "all keys"),
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
		Again:     b([]string{"r"}, "r", "run again"),
		Back:      b([]string{"d"}, "d", "dashboard/summary"),
		Confirm:   b([]string{"y", "enter"}, "y", "stop the run"),
		Cancel:    b([]string{"n", "esc"}, "n", "keep running"),
		Left:      b([]string{"left", "h"}, "←", "cpu"),
		Right:     b([]string{"right", "l"}, "→", "memory"),
		Choose:    b([]string{"enter"}, "enter", "choose"),
	}
}

// bindings is a help.KeyMap of a fixed set of bindings.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

var _ help.KeyMap = bindings{}

func (b bindings) ShortHelp() []key.Binding  { return b.short }
func (b bindings) FullHelp() [][]key.Binding { return b.full }

// liveHelp is the help of the dashboard while a run goes.
func (k keyMap) liveHelp() bindings {
	return bindings{
		short: []key.Binding{
			key.NewBinding(key.WithKeys("+", "-"), key.WithHelp("+/-", "scale")),
			key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "resize")),
			key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
			key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "kill task")),
			key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "focus")),
			key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "keys")),
			k.Quit,
		},
		full: [][]key.Binding{
			{k.ScaleUp, k.ScaleDown, k.Resize, k.Kill, k.Pause},
			{k.Focus, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
			{k.Help, k.Quit},
		},
	}
}

// summaryHelp is the help of the summary after a run.
func (k keyMap) summaryHelp() bindings {
	return bindings{short: []key.Binding{k.Again, k.Back, k.Quit}, full: [][]key.Binding{{k.Again, k.Back, k.Quit}}}
}

// confirmHelp is the help while the quit confirmation shows.
func (k keyMap) confirmHelp() bindings {
	return bindings{short: []key.Binding{k.Confirm, k.Cancel}}
}

// resizeHelp is the help of the size picker.
func (k keyMap) resizeHelp() bindings {
	return bindings{short: []key.Binding{
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move")),
		key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "cpu/memory")),
		k.Choose,
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}}
}

// stoppingHelp is the help while the run cleans up after a stop.
func (k keyMap) stoppingHelp() bindings {
	return bindings{short: []key.Binding{
		key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "leave now (the clean-up goes on)")),
	}}
}
