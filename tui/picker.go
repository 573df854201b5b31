package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios"
)

// PickConfig configures Pick. The zero value lists the current folder
// on the terminal.
type PickConfig struct {
	Dir    string  // folder whose *.yaml files are listed; "" is the current one
	Styles *Styles // default DefaultStyles(lipgloss.DefaultRenderer())
	Input  io.Reader
	Output io.Writer
}

// Pick lets the user choose a scenario: the built-ins, then the *.yaml
// (and *.yml) files of cfg.Dir, each loaded to show its description,
// size(s), load profile, autoscaling and thresholds at a glance; a file
// that does not load shows its error. It returns what `lab run` takes (a
// built-in's name or the file's path), and ok false when the user left
// without choosing.
func Pick(ctx context.Context, cfg PickConfig) (scenarioArg string, ok bool, err error) {
	items, err := pickItems(cfg.Dir)
	if err != nil {
		return "", false, err
	}
	st := DefaultStyles(lipgloss.DefaultRenderer())
	if cfg.Styles != nil {
		st = *cfg.Styles
	}
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithFPS(30), tea.WithContext(ctx)}
	if cfg.Input != nil {
		opts = append(opts, tea.WithInput(cfg.Input))
	}
	if cfg.Output != nil {
		opts = append(opts, tea.WithOutput(cfg.Output))
	}
	final, err := tea.NewProgram(newPicker(items, st), opts...).Run()
	if ctx.Err() != nil {
		return "", false, ctx.Err()
	}
	if err != nil {
		return "", false, fmt.Errorf("scenario picker: %w", err)
	}
	p := final.(picker)
	if p.chosen < 0 {
		return "", false, nil
	}
	return p.items[p.chosen].arg, true, nil
}

// pickItem is one scenario the picker offers.
type pickItem struct {
	arg     string // what lab run takes
	name    string
	builtin bool
	sc      *scenarios.Scenario
	err     error
}

// pickItems are the built-ins, then the scenario files in dir.
func pickItems(dir string) ([]pickItem, error) {
	var items []pickItem
	for _, b := range scenarios.Builtins() {
		sc, err := scenarios.Builtin(b.Name)
		items = append(items, pickItem{arg: b.Name, name: b.Name, builtin: true, sc: sc, err: err})
	}
	files, err := fileItems(dir)
	return append(items, files...), err
}

// fileItems are the scenario files in dir, each loaded.
func fileItems(dir string) ([]pickItem, error) {
	var items []pickItem
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.IsDir() {
			continue
		}
		sc, err := scenarios.Load(f)
		arg := f
		if dir == "" || dir == "." {
			arg = filepath.Base(f) // lab run takes it as a file: it ends in .yaml
		}
		items = append(items, pickItem{arg: arg, name: filepath.Base(f), sc: sc, err: err})
	}
	return items, nil
}

// picker is the scenario picker's model.
type picker struct {
	st     Styles
	keys   keyMap
	help   help.Model
	items  []pickItem
	sel    int
	chosen int // -1 until enter
	flash  string
	width  int
	height int
}

func newPicker(items []pickItem, st Styles) picker {
	h := help.New()
	h.Styles = st.Help
	return picker{st: st, keys: newKeyMap(), help: h, items: items, chosen: -1}
}

func (p picker) Init() tea.Cmd { return nil }

func (p picker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
	case tea.KeyMsg:
		p.flash = ""
		switch {
		case key.Matches(msg, p.keys.Quit), msg.String() == "esc":
			return p, tea.Quit
		case key.Matches(msg, p.keys.Up), msg.String() == "k":
			p.sel = max(0, p.sel-1)
		case key.Matches(msg, p.keys.Down), msg.String() == "j":
			p.sel = min(len(p.items)-1, p.sel+1)
		case key.Matches(msg, p.keys.Top):
			p.sel = 0
		case key.Matches(msg, p.keys.Bottom):
			p.sel = len(p.items) - 1
		case key.Matches(msg, p.keys.Choose):
			if len(p.items) == 0 {
				return p, nil
			}
			if p.items[p.sel].err != nil {
				p.flash = "this file does not load: fix it (lab validate shows every error), then start lab again"
				return p, nil
			}
			p.chosen = p.sel
			return p, tea.Quit
		}
	}
	return p, nil
}

func (p picker) View() string {
	w, h := p.width, p.height
	if w <= 0 || h <= 0 {
		return ""
	}
	st := p.st
	lines := []string{
		joinRight(st.Title.Render("lab")+" "+st.Bold.Render("choose a scenario"), st.Dim.Render("lab run NAME skips this"), w),
	}
	detail := p.detail(w)
	if limit := max(2, h/2); len(detail) > limit {
		detail = detail[:limit]
	}
	listH := max(3, h-len(lines)-len(detail)-1) // and the help line

	var list []string
	files := false
	for i, it := range p.items {
		if !it.builtin && !files {
			files = true
			list = append(list, rule("in this folder", w, st.Rule))
		}
		if i == 0 && it.builtin {
			list = append(list, rule("built-in", w, st.Rule))
		}
		list = append(list, p.row(i, w))
	}
	if !files {
		list = append(list, rule("in this folder", w, st.Rule), st.Dim.Render("  no *.yaml files here (lab init writes a starter)"))
	}
	// Keep the selected row in sight: it is row sel plus the rules above.
	at := p.sel + 1
	if !p.items[p.sel].builtin {
		at++
	}
	lines = append(lines, strings.Split(block(strings.Join(window(list, at, listH), "\n"), w, listH), "\n")...)
	lines = append(lines, detail...)
	foot := p.help.View(bindings{short: []key.Binding{
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move")),
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run it")),
		p.keys.Quit,
	}})
	if p.flash != "" {
		foot = st.Bad.Render(p.flash)
	}
	lines = append(lines, fit(foot, w))
	return block(strings.Join(lines, "\n"), w, h)
}

func (p picker) row(i, w int) string {
	it := p.items[i]
	mark := "  "
	if i == p.sel {
		mark = "▸ "
	}
	name := fmt.Sprintf("%-24s", it.name)
	if i == p.sel {
		name = p.st.Selected.Render(name)
	}
	var desc string
	if it.err != nil {
		desc = p.st.Bad.Render("✗ does not load: " + errorHeadline(it.err))
	} else {
		desc = p.st.Dim.Render(format.FirstLine(it.sc.Description))
	}
	return fit(mark+name+" "+desc, w)
}

// detail describes the selected scenario: description, sizes, load,
// autoscaling, thresholds.
func (p picker) detail(w int) []string {
	if len(p.items) == 0 {
		return nil
	}
	it := p.items[p.sel]
	st := p.st
	out := []string{rule(it.name, w, st.Focused)}
	if it.err != nil {
		for _, l := range strings.Split(it.err.Error(), "\n") {
			out = append(out, fit(st.Bad.Render(l), w))
		}
		return out
	}
	sc := it.sc
	desc := strings.Split(strings.TrimSpace(sc.Description), "\n")
	if len(desc) > 4 {
		desc = append(desc[:3], "…")
	}
	for _, l := range desc {
		out = append(out, fit(l, w))
	}
	field := func(name, value string) string {
		return fit(st.Dim.Render(fmt.Sprintf("%-12s", name))+value, w)
	}
	entries := sc.Entries()
	labels := make([]string, len(entries))
	for i, e := range entries {
		labels[i] = e.Label
		if e.Count > 1 {
			labels[i] += fmt.Sprintf(" x%d", e.Count)
		}
	}
	out = append(out,
		field("sizes", strings.Join(labels, ", ")+st.Dim.Render(fmt.Sprintf("  (%d entr%s x %s)", len(entries), plural(len(entries), "y", "ies"), format.Clock(sc.LoadDuration())))),
		field("load", loadText(sc)),
		field("autoscaling", autoscalingText(sc.Autoscaling)),
	)
	if len(sc.Thresholds) > 0 {
		exprs := make([]string, len(sc.Thresholds))
		for i, t := range sc.Thresholds {
			exprs[i] = t.Expr
		}
		out = append(out, field("thresholds", strings.Join(exprs, ", ")))
	}
	return out
}

// loadText is the load profile in a line: "GET /cpu_intensive: 5
// workers x 1/s 1m00s" or "3/s 45s, 6/s 1m15s, ramp to 20/s 2m".
func loadText(sc *scenarios.Scenario) string {
	parts := make([]string, len(sc.Load.Phases))
	for i, ph := range sc.Load.Phases {
		switch {
		case ph.Closed() && ph.WorkerRate > 0:
			parts[i] = fmt.Sprintf("%d workers x %s/s %s", ph.Workers, format.OneDecimal(ph.WorkerRate), format.Clock(ph.Duration))
		case ph.Closed():
			parts[i] = fmt.Sprintf("%d workers flat out %s", ph.Workers, format.Clock(ph.Duration))
		case ph.Ramp():
			parts[i] = fmt.Sprintf("ramp to %s/s %s", format.OneDecimal(ph.RampTo), format.Clock(ph.Duration))
		default:
			parts[i] = fmt.Sprintf("%s/s %s", format.OneDecimal(ph.Rate), format.Clock(ph.Duration))
		}
	}
	target := "GET " + sc.Load.Path
	if len(sc.Load.Requests) > 0 {
		target = fmt.Sprintf("%d kinds of request", len(sc.Load.Requests))
	}
	return target + ": " + strings.Join(parts, ", ")
}

// autoscalingText is the scaling policies in a line: "cpu target 50%
// (1-8 tasks)".
func autoscalingText(a *scenarios.Autoscaling) string {
	if a == nil {
		return "none"
	}
	var parts []string
	for _, p := range a.Policies {
		switch {
		case p.TargetTracking != nil:
			tt := p.TargetTracking
			parts = append(parts, fmt.Sprintf("%s target %s", tt.Metric, metricValue(tt.Metric, tt.Target)))
		case p.StepScaling != nil:
			ss := p.StepScaling
			parts = append(parts, fmt.Sprintf("%s step when %s %s", ss.Metric, ss.Comparison, metricValue(ss.Metric, ss.Threshold)))
		}
	}
	return fmt.Sprintf("%s (%d-%d tasks, %s datapoints)", strings.Join(parts, "; "), a.Min, a.Max, format.Clock(a.MetricPeriod))
}

func metricValue(metric string, v float64) string {
	switch metric {
	case scenarios.MetricCPU, scenarios.MetricMemory:
		return format.OneDecimal(v) + "%"
	case scenarios.MetricResponseTime:
		return format.Latency(v)
	case scenarios.MetricRequestsPerTarget:
		return format.OneDecimal(v) + "/target/min"
	}
	return format.OneDecimal(v)
}

// errorHeadline is the first line of a load error.
func errorHeadline(err error) string {
	var list scenarios.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		s := list[0].Headline()
		if len(list) > 1 {
			s += fmt.Sprintf(" (and %d more)", len(list)-1)
		}
		return s
	}
	return format.FirstLine(err.Error())
}
