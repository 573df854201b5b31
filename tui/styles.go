package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Styles is every style the dashboard and the picker use, in one place.
// Components receive it; nothing reads a package global. Colours are the
// terminal's 16 ANSI colours, so they follow its theme on dark and light
// backgrounds without querying it.
type Styles struct {
	Title    lipgloss.Style // the "lab" mark and view titles
	Bold     lipgloss.Style
	Dim      lipgloss.Style // secondary text
	Paused   lipgloss.Style
	Rule     lipgloss.Style // pane title rules
	Focused  lipgloss.Style // the rule of the pane that holds the focus
	Selected lipgloss.Style // the selected row of a list

	OK   lipgloss.Style // healthy, passed, under 70%
	Warn lipgloss.Style // 70-90%, held decisions
	Bad  lipgloss.Style // unhealthy, failed, stopped, 90% and above

	BarEmpty lipgloss.Style // the unfilled part of a bar

	// Series colours charts draw with, in order.
	Series []lipgloss.Style

	// Event log, by kind of event.
	EventScaling lipgloss.Style
	EventStop    lipgloss.Style
	EventHealth  lipgloss.Style
	EventAction  lipgloss.Style
	EventInfo    lipgloss.Style

	Prompt lipgloss.Style // the quit confirmation
	Flash  lipgloss.Style // "sent: scale to 3"
	Help   help.Styles
}

// DefaultStyles are lab's styles rendered by r, e.g.
// lipgloss.DefaultRenderer() for the terminal, or a renderer fixed to the
// Ascii profile in tests.
func DefaultStyles(r *lipgloss.Renderer) Styles {
	c := func(s string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(s)) }
	dim := c("8")
	return Styles{
		Title:    r.NewStyle().Bold(true).Foreground(lipgloss.Color("6")),
		Bold:     r.NewStyle().Bold(true),
		Dim:      dim,
		Paused:   r.NewStyle().Bold(true).Reverse(true).Foreground(lipgloss.Color("3")),
		Rule:     dim,
		Focused:  r.NewStyle().Bold(true).Foreground(lipgloss.Color("6")),
		Selected: r.NewStyle().Bold(true).Reverse(true),
		OK:       c("2"),
		Warn:     c("3"),
		Bad:      c("1"),
		BarEmpty: dim,
		Series: []lipgloss.Style{
			c("6"), c("5"), c("3"), c("2"), c("4"),
		},
		EventScaling: c("5"),
		EventStop:    c("1"),
		EventHealth:  c("3"),
		EventAction:  c("6"),
		EventInfo:    dim,
		Prompt:       r.NewStyle().Bold(true).Reverse(true).Foreground(lipgloss.Color("3")),
		Flash:        c("6"),
		Help: help.Styles{
			Ellipsis:       dim,
			ShortKey:       r.NewStyle().Bold(true),
			ShortDesc:      dim,
			ShortSeparator: dim,
			FullKey:        r.NewStyle().Bold(true),
			FullDesc:       dim,
			FullSeparator:  dim,
		},
	}
}

// series is the style of the i-th series of a chart.
func (s Styles) series(i int) lipgloss.Style {
	if len(s.Series) == 0 {
		return s.Dim
	}
	return s.Series[i%len(s.Series)]
}

// level styles a percentage of an envelope: green, then yellow from 70%,
// red from 90%.
func (s Styles) level(pct float64) lipgloss.Style {
	switch {
	case pct >= 90:
		return s.Bad
	case pct >= 70:
		return s.Warn
	default:
		return s.OK
	}
}
