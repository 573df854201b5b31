package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// maxManualTasks caps the desired count the + key sets: a held key must
// not start a laptop's worth of containers.
const maxManualTasks = 20

// flashSnapshots is how many snapshots (seconds) a flash message stays.
const flashSnapshots = 3

type pane int

const (
	paneTasks pane = iota
	paneEvents
)

type overlay int

const (
	overlayNone    overlay = iota
	overlayHelp            // every key, in place of the charts and events
	overlayResize          // the size picker, in the same place
	overlayConfirm         // "stop the run?" in place of the help line
)

// interruptMsg says the run's context was cancelled from outside (a
// signal): the run is stopping.
type interruptMsg struct{}

// model is the dashboard: it reads what the run publishes (the
// forwarder's messages), steers it through commands, and shows the
// summary when it ends.
type model struct {
	st         Styles
	keys       keyMap
	help       help.Model
	commands   chan<- lab.Command
	cancel     context.CancelFunc
	parent     context.Context // lab's own: a signal cancels it; nil in tests
	resultsDir string

	width, height int

	header  header
	tasks   tasksPane
	charts  charts
	events  eventLog
	thresh  thresholdBoard
	entry   int // the entry the per-entry panes show
	entries []lab.EntrySummary
	summary *lab.Summary
	runErr  error
	ended   bool // the run is over: the summary view shows
	peek    bool // ... unless the user looks back at the dashboard

	focus   pane
	overlay overlay
	resize  sizePicker
	snaps   int // snapshots seen

	// What the last commands asked for, until a snapshot shows it, so
	// that pressing + twice asks for two more tasks.
	wantDesired, wantSnap int
	wantPause             *bool

	flash     string
	flashSnap int

	result Result
}

func newModel(st Styles, commands chan<- lab.Command, cancel context.CancelFunc, resultsDir string) model {
	h := help.New()
	h.Styles = st.Help
	return model{
		st:         st,
		keys:       newKeyMap(),
		help:       h,
		commands:   commands,
		cancel:     cancel,
		resultsDir: resultsDir,
		focus:      paneEvents,
	}
}

func (m model) Init() tea.Cmd { return nil }

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case startedMsg:
		m.header.info = msg.info
		m.header.state = stateDeploying
		if sc := msg.info.Scenario; sc != nil {
			m.thresh.reset(sc.Thresholds)
		}
	case snapshotMsg:
		m.snapshot(msg.snap)
	case eventMsg:
		m.perEntry(msg.ev.Entry)
		m.events.add(msg.ev)
		m.charts.event(msg.ev)
		m.tasks.event(msg.ev)
	case entryDoneMsg:
		m.entries = append(m.entries, msg.entry)
		m.thresh.done(msg.entry)
		m.header.done = len(m.entries)
		m.header.have = false
		switch {
		case m.header.state == stateStopping:
		case len(m.entries) >= len(m.header.info.Entries):
			m.header.state = stateClosing
		default:
			m.header.state = stateDeploying
		}
	case doneMsg:
		m.summary = &msg.summary
		return m.runOver()
	case runEndedMsg:
		m.runErr = msg.err
		return m.runOver()
	case interruptMsg:
		if m.header.state != stateDone {
			m.header.state = stateStopping
			m.result.Stopped = true
			m.overlay = overlayNone
		}
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

// perEntry resets what shows one entry when entry n's first message
// comes: the previous entry stays on screen while the next one deploys.
func (m *model) perEntry(n int) {
	if n == m.entry || n == 0 {
		return
	}
	m.entry = n
	m.charts.reset()
	m.tasks.reset()
	m.thresh.reset(m.thresh.defs)
	m.wantDesired, m.wantPause = 0, nil
}

func (m *model) snapshot(s lab.Snapshot) {
	m.perEntry(s.Entry)
	m.snaps++
	m.header.snap, m.header.have = s, true
	if m.header.state == stateDeploying || m.header.state == stateStarting {
		m.header.state = stateLoading
	}
	m.charts.add(s)
	m.tasks.add(s)
	m.thresh.add(s)
	if m.wantDesired == s.Service.Desired || m.snaps-m.wantSnap >= flashSnapshots {
		m.wantDesired = 0
	}
	if m.wantPause != nil && (*m.wantPause == s.Paused || m.snaps-m.wantSnap >= flashSnapshots) {
		m.wantPause = nil
	}
	if m.flash != "" && m.snaps-m.flashSnap >= flashSnapshots {
		m.flash = ""
	}
}

// runOver handles the end of the run: the summary shows, unless the
// user stopped the run to leave.
func (m model) runOver() (tea.Model, tea.Cmd) {
	stopping := m.header.state == stateStopping || (m.parent != nil && m.parent.Err() != nil)
	m.result.Stopped = m.result.Stopped || stopping
	m.header.state = stateDone
	m.header.have = false
	if stopping {
		return m, tea.Quit
	}
	m.ended = true
	m.overlay = overlayNone
	return m, nil
}

func (m model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.ended {
		switch {
		case key.Matches(msg, k.Again):
			m.result.RunAgain = true
			return m, tea.Quit
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Back):
			m.peek = !m.peek
		case m.peek && key.Matches(msg, k.Focus):
			m.focus = 1 - m.focus
		case m.peek && key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom):
			m.scrollKey(msg)
		}
		return m, nil
	}
	switch m.overlay {
	case overlayConfirm:
		switch {
		case key.Matches(msg, k.Confirm), msg.String() == "ctrl+c":
			m.overlay = overlayNone
			m.stop()
		case key.Matches(msg, k.Cancel):
			m.overlay = overlayNone
		}
		return m, nil
	case overlayResize:
		p, chosen, done := m.resize.update(msg, k)
		m.resize = p
		if done {
			m.overlay = overlayNone
			if chosen != nil && *chosen != m.resize.current {
				m.send(lab.Command{Resize: chosen}, "resize to "+chosen.String())
			}
		}
		return m, nil
	case overlayHelp:
		if key.Matches(msg, k.Help) || msg.String() == "esc" {
			m.overlay = overlayNone
			return m, nil
		}
	}

	if m.header.state == stateStopping {
		if key.Matches(msg, k.Quit) {
			// Leave now; the run finishes its clean-up on its own.
			return m, tea.Quit
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.overlay = overlayConfirm
	case key.Matches(msg, k.Help):
		m.overlay = overlayHelp
	case key.Matches(msg, k.Focus):
		m.focus = 1 - m.focus
	case key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom):
		m.scrollKey(msg)
	case key.Matches(msg, k.ScaleUp, k.ScaleDown, k.Resize, k.Pause, k.Kill):
		m.steer(msg)
	}
	return m, nil
}

// steer turns a key into a command for the run.
func (m *model) steer(msg tea.KeyMsg) {
	k := m.keys
	if m.header.state != stateLoading || !m.header.have || m.header.snap.Finished {
		m.setFlash("no entry is under load right now")
		return
	}
	s := m.header.snap
	desired := s.Service.Desired
	if m.wantDesired > 0 {
		desired = m.wantDesired
	}
	switch {
	case key.Matches(msg, k.ScaleUp):
		if desired >= maxManualTasks {
			m.setFlash(fmt.Sprintf("%d tasks is the most + sets", maxManualTasks))
			return
		}
		if m.send(lab.Command{Scale: desired + 1}, fmt.Sprintf("scale to %d", desired+1)) {
			m.wantDesired, m.wantSnap = desired+1, m.snaps
		}
	case key.Matches(msg, k.ScaleDown):
		if desired <= 1 {
			m.setFlash("1 task is the fewest - sets (k kills one)")
			return
		}
		if m.send(lab.Command{Scale: desired - 1}, fmt.Sprintf("scale to %d", desired-1)) {
			m.wantDesired, m.wantSnap = desired-1, m.snaps
		}
	case key.Matches(msg, k.Pause):
		paused := s.Paused
		if m.wantPause != nil {
			paused = *m.wantPause
		}
		b := !paused
		what := "pause the load"
		if !b {
			what = "resume the load"
		}
		if m.send(lab.Command{Pause: &b}, what) {
			m.wantPause, m.wantSnap = &b, m.snaps
		}
	case key.Matches(msg, k.Kill):
		if s.Service.Running == 0 {
			m.setFlash("no task is running")
			return
		}
		m.send(lab.Command{KillTask: 1}, "kill a task")
	case key.Matches(msg, k.Resize):
		m.resize = newSizePicker(currentSize(s, m.header.info.Entries))
		m.overlay = overlayResize
	}
}

// currentSize is the size of the newest task, else the entry's.
func currentSize(s lab.Snapshot, entries []scenarios.Entry) scenarios.Size {
	var newest *lab.TaskStat
	for i, t := range s.Service.Tasks {
		if newest == nil || compareIDs(t.ID, newest.ID) > 0 {
			newest = &s.Service.Tasks[i]
		}
	}
	if newest != nil && newest.Size.CPU > 0 {
		return newest.Size
	}
	if s.Entry >= 1 && s.Entry <= len(entries) {
		return entries[s.Entry-1].Size
	}
	return scenarios.Size{CPU: 256, Memory: 512}
}

// send hands a command to the run without waiting: the run reads
// commands once a tick, and a full channel means it is busy.
func (m *model) send(c lab.Command, what string) bool {
	if m.commands == nil {
		m.setFlash("this run steers its own load: " + what + " not sent")
		return false
	}
	select {
	case m.commands <- c:
		m.setFlash("sent: " + what)
		return true
	default:
		m.setFlash("busy: " + what + " not sent, try again")
		return false
	}
}

func (m *model) setFlash(s string) { m.flash, m.flashSnap = s, m.snaps }

// stop cancels the run; its clean-up goes on and the dashboard leaves
// once the run has ended.
func (m *model) stop() {
	m.header.state = stateStopping
	m.result.Stopped = true
	if m.cancel != nil {
		m.cancel()
	}
}

func (m *model) scrollKey(msg tea.KeyMsg) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.scroll(-1)
	case key.Matches(msg, k.Down):
		m.scroll(1)
	case key.Matches(msg, k.PageUp):
		m.scroll(-m.page())
	case key.Matches(msg, k.PageDown):
		m.scroll(m.page())
	case key.Matches(msg, k.Top):
		m.scroll(-1 << 30)
	case key.Matches(msg, k.Bottom):
		m.scroll(1 << 30)
	}
}

func (m *model) scroll(d int) {
	l := m.layout()
	if m.focus == paneTasks {
		m.tasks.scroll(d, l.tasks-1)
		return
	}
	if d <= -1<<30 {
		m.events.top(l.events)
		return
	}
	m.events.scroll(d, l.events)
}

func (m *model) page() int {
	l := m.layout()
	if m.focus == paneTasks {
		return max(1, l.tasks-2)
	}
	return max(1, l.events-1)
}

// layout is the height of each part of the dashboard.
type layout struct {
	tasks, charts, events int // including the tasks' column titles, not the rules
	chartsPerRow          int
	thresholds            int
}

func (m *model) layout() layout {
	var l layout
	if len(m.thresh.defs) > 0 {
		l.thresholds = 1
	}
	fixed := 2 + 3 + 1 + l.thresholds // header, three rules, help line
	avail := max(0, m.height-fixed)
	rows := 2
	l.chartsPerRow = 3
	switch {
	case m.width >= 150 && avail < 40:
		rows, l.chartsPerRow = 1, 5
	case m.width < 72:
		rows, l.chartsPerRow = 3, 2
	}
	l.tasks = min(max(1, m.tasks.rows)+1, max(2, avail/4))
	l.events = max(3, avail/4)
	rowH := min(14, (avail-l.tasks-l.events)/rows)
	if rowH < 3 {
		rowH = max(0, (avail-l.tasks-l.events)/rows)
	}
	l.charts = rowH * rows
	l.events = max(0, avail-l.tasks-l.charts)
	return l
}

func (m model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if m.ended && !m.peek {
		v := summaryView{summary: m.summary, entries: m.entries, runErr: m.runErr,
			resultsDir: m.resultsDir, hasThresh: len(m.thresh.defs) > 0}
		return v.view(w, h-1, m.st) + "\n" + m.helpLine(m.keys.summaryHelp())
	}
	l := m.layout()
	parts := []string{m.header.view(w, m.st)}
	parts = append(parts, m.rule(m.tasks.title(l.tasks-1), paneTasks), m.tasks.view(w, l.tasks, m.st))
	switch m.overlay {
	case overlayHelp:
		m.help.ShowAll = true
		body := m.help.View(m.keys.liveHelp())
		m.help.ShowAll = false
		parts = append(parts, rule("keys (? or esc closes)", w, m.st.Focused), block(body, w, l.charts+l.events+1))
	case overlayResize:
		parts = append(parts, rule("resize", w, m.st.Focused), m.resize.view(w, l.charts+l.events+1, m.st))
	default:
		parts = append(parts,
			rule(m.chartsTitle(), w, m.st.Rule), m.charts.view(w, l.charts, l.chartsPerRow, m.st),
			m.rule(m.events.title(), paneEvents), m.events.view(w, l.events, len(m.header.info.Entries) > 1, m.st))
	}
	if l.thresholds > 0 {
		parts = append(parts, m.thresh.view(w, m.st))
	}
	switch m.overlay {
	case overlayConfirm:
		parts = append(parts, fit(m.st.Prompt.Render(" Stop the run? Containers are removed, results kept. y: stop · n: go on "), w))
	case overlayResize:
		parts = append(parts, m.helpLine(m.keys.resizeHelp()))
	case overlayNone:
		switch {
		case m.ended:
			parts = append(parts, m.helpLine(m.keys.summaryHelp()))
		case m.header.state == stateStopping:
			parts = append(parts, m.helpLine(m.keys.stoppingHelp()))
		default:
			parts = append(parts, m.helpLine(m.keys.liveHelp()))
		}
	default:
		parts = append(parts, m.helpLine(m.keys.liveHelp()))
	}
	return block(strings.Join(parts, "\n"), w, h)
}

func (m model) chartsTitle() string {
	if len(m.charts.running) == 0 {
		return "charts"
	}
	return fmt.Sprintf("charts  time axis 0 to %s of the load", format.Clock(seconds(m.charts.span())))
}

// rule is a pane's title line, highlighted when the pane has the focus.
func (m model) rule(title string, p pane) string {
	if m.focus == p {
		return rule("▸ "+title, m.width, m.st.Focused)
	}
	return rule(title, m.width, m.st.Rule)
}

// helpLine is the flash message, if any, and the short help.
func (m model) helpLine(b bindings) string {
	left := ""
	if m.flash != "" {
		left = m.st.Flash.Render(m.flash) + "  "
	}
	m.help.Width = max(0, m.width-ansi.StringWidth(left))
	return fit(left+m.help.View(b), m.width)
}
