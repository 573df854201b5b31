package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/sparkline"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// Task rows keep this many seconds of CPU history for their sparklines,
// and show a task that stopped for this long after it did.
const (
	cpuHistory  = 120
	stoppedShow = 20.0
)

// stop is a task_stopped event and when it came.
type stop struct {
	lab.TaskStopped
	t float64
}

// tasksPane is one row per task: id, state, health, CPU of the envelope
// as a bar with its recent history, memory against the limit, requests
// served; then the tasks that stopped recently, with their reason.
type tasksPane struct {
	now     float64
	tasks   []lab.TaskStat
	obs     lab.Observation
	cpu     map[string][]float64
	stops   []stop
	stopped lab.Tasks // the entry's so far: the stops lab did not cause, by reason
	rows    int       // the most rows this entry needed: the pane does not shrink
	offset  int
}

func (p *tasksPane) reset() { *p = tasksPane{} }

func (p *tasksPane) add(s lab.Snapshot) {
	p.now = s.T
	p.obs = s.Service
	p.stopped = s.Summary.Tasks
	p.tasks = slices.Clone(s.Service.Tasks)
	slices.SortFunc(p.tasks, func(a, b lab.TaskStat) int { return compareIDs(a.ID, b.ID) })
	if p.cpu == nil {
		p.cpu = map[string][]float64{}
	}
	live := map[string]bool{}
	for _, t := range p.tasks {
		live[t.ID] = true
		h := append(p.cpu[t.ID], t.CPUPct)
		if len(h) > cpuHistory {
			h = h[len(h)-cpuHistory:]
		}
		p.cpu[t.ID] = h
	}
	for id := range p.cpu {
		if !live[id] {
			delete(p.cpu, id)
		}
	}
	p.rows = max(p.rows, len(p.visible()))
}

func (p *tasksPane) event(ev lab.Event) {
	d, ok := ev.Data.(lab.TaskStopped)
	if !ok {
		return
	}
	s := stop{TaskStopped: d, t: ev.T}
	// Keep the stops that may still show.
	kept := p.stops[:0]
	for _, old := range p.stops {
		if ev.T-old.t <= stoppedShow {
			kept = append(kept, old)
		}
	}
	p.stops = append(kept, s)
	p.rows = max(p.rows, len(p.visible()))
}

// recent are the stops still shown, newest first: a task that stopped
// and is no longer observed.
func (p *tasksPane) recent() []stop {
	var out []stop
	live := map[string]bool{}
	for _, t := range p.tasks {
		live[t.ID] = true
	}
	for i := len(p.stops) - 1; i >= 0; i-- {
		s := p.stops[i]
		if p.now-s.t <= stoppedShow && !live[s.Task] {
			out = append(out, s)
		}
	}
	return out
}

// containerRow is a container of a task of several, shown under its task.
type containerRow struct {
	lab.ContainerStat
	last bool // the task's last: the tree's corner
}

// visible is how many rows the pane would like: tasks (with their
// containers underneath when they have several) and recent stops.
func (p *tasksPane) visible() []any {
	rows := make([]any, 0, len(p.tasks))
	for _, t := range p.tasks {
		rows = append(rows, t)
		for i, c := range t.Containers {
			rows = append(rows, containerRow{ContainerStat: c, last: i == len(t.Containers)-1})
		}
	}
	for _, s := range p.recent() {
		rows = append(rows, s)
	}
	return rows
}

func (p *tasksPane) scroll(delta, page int) {
	n := len(p.visible())
	p.offset = max(0, min(p.offset+delta, n-page))
}

// title is the pane's rule text: the service's counts and its failures,
// and which rows show when they do not all fit in page.
func (p *tasksPane) title(page int) string {
	t := fmt.Sprintf("tasks  running %d · healthy %d · desired %d", p.obs.Running, p.obs.Healthy, p.obs.Desired)
	if n := len(p.visible()); n > page && page > 0 {
		first := max(0, min(p.offset, n-page))
		t += fmt.Sprintf(" · rows %d-%d of %d", first+1, first+page, n)
	}
	if p.stopped.Stopped > 0 {
		reasons := map[string]int{}
		for r, n := range p.stopped.StoppedReasons {
			reasons[shortReason(r)] += n
		}
		var parts []string
		for _, r := range sortedKeys(reasons) {
			parts = append(parts, fmt.Sprintf("%s %d", r, reasons[r]))
		}
		t += fmt.Sprintf(" · stopped %d (%s)", p.stopped.Stopped, strings.Join(parts, ", "))
	}
	return t
}

// columns are the widths of a task row at a given pane width.
type columns struct {
	cpuBar, spark, memBar, size int
}

func taskColumns(w int) columns {
	// id 4, state 8, health 9, cpu% 7, memory text 13, requests 8, and
	// the spaces between.
	rest := w - 54
	c := columns{cpuBar: 6, spark: 4, memBar: 6}
	if w >= 110 {
		c.size = 9
		rest -= c.size + 1
	}
	if rest > 16 {
		c.cpuBar = min(30, rest*35/100)
		c.spark = min(30, rest*30/100)
		c.memBar = min(30, rest-c.cpuBar-c.spark)
	}
	return c
}

func (p *tasksPane) view(w, h int, st Styles) string {
	c := taskColumns(w)
	head := fmt.Sprintf("%-4s %-8s %-9s %-*s %-*s %-*s %8s",
		"TASK", "STATE", "HEALTH", c.cpuBar+6, "CPU of task", c.spark, "history", c.memBar+13, "MEMORY MiB", "REQUESTS")
	if c.size > 0 {
		head += " " + fmt.Sprintf("%-*s", c.size, "SIZE")
	}
	lines := []string{st.Dim.Render(fit(head, w))}
	rows := p.visible()
	if len(rows) == 0 {
		lines = append(lines, st.Dim.Render("no task running yet"))
	}
	page := h - 1
	p.offset = max(0, min(p.offset, len(rows)-page))
	for _, r := range rows[p.offset:min(len(rows), p.offset+page)] {
		switch r := r.(type) {
		case lab.TaskStat:
			lines = append(lines, p.taskRow(r, c, w, st))
		case containerRow:
			lines = append(lines, containerLine(r, c, w, st))
		case stop:
			lines = append(lines, p.stopRow(r, w, st))
		}
	}
	return block(strings.Join(lines, "\n"), w, h)
}

func (p *tasksPane) taskRow(t lab.TaskStat, c columns, w int, st Styles) string {
	health := st.Bad.Render(fmt.Sprintf("%-9s", "unhealthy"))
	if t.Healthy {
		health = st.OK.Render(fmt.Sprintf("%-9s", "healthy"))
	}
	state := fmt.Sprintf("%-8s", t.State)
	if t.State != "running" {
		state = st.Warn.Render(state)
	}
	if t.StartsIn > 0 {
		// Held for the start delay: no container yet, so no health; the
		// state and the time left take both columns.
		state, health = st.Warn.Render(fmt.Sprintf("%-18s", heldState(t))), ""
	} else {
		health = " " + health
	}
	cpu := bar(t.CPUPct/100, c.cpuBar, st.level(t.CPUPct), st.BarEmpty) +
		fmt.Sprintf(" %4.0f%% ", t.CPUPct) + p.sparkline(t.ID, c.spark, st)
	memText := fmt.Sprintf("%5.0f/%-6d", t.MemMiB, t.Size.Memory)
	mem := bar(t.MemPct/100, c.memBar, st.level(t.MemPct), st.BarEmpty) + " " + memText
	row := fmt.Sprintf("%-4s %s%s %s %s %8d", t.ID, state, health, cpu, mem, t.Requests)
	if c.size > 0 {
		row += " " + fmt.Sprintf("%-*s", c.size, t.Size.String())
	}
	return fit(row, w)
}

// containerLine is a container's row under its task, in the task row's
// columns: its name (a star for an essential one) where the task's id
// and state are, its own health check (else its state, or its exit
// code) where the task's health is, its CPU of the task's envelope and
// its resident memory.
func containerLine(r containerRow, c columns, w int, st Styles) string {
	tree := "├"
	if r.last {
		tree = "└"
	}
	name := r.Name
	if r.Essential {
		name += "*"
	}
	status := fmt.Sprintf("%-9s", cmp.Or(r.Health, r.State))
	switch {
	case r.ExitCode != nil:
		status = st.Dim.Render(fmt.Sprintf("%-9s", fmt.Sprintf("exit %d", *r.ExitCode)))
	case r.Health == "healthy":
		status = st.OK.Render(status)
	case r.Health == "unhealthy":
		status = st.Bad.Render(status)
	case r.State != "running":
		status = st.Warn.Render(status)
	}
	cpu := bar(r.CPUPct/100, c.cpuBar, st.level(r.CPUPct), st.BarEmpty) + fmt.Sprintf(" %4.0f%% ", r.CPUPct) + strings.Repeat(" ", c.spark)
	mem := strings.Repeat(" ", c.memBar) + fmt.Sprintf(" %5.0f", r.MemMiB)
	row := fmt.Sprintf(" %s %s %s %s %s", tree, fit(name, 10), status, cpu, mem)
	return fit(row, w)
}

// heldState is a held task's ECS state and the time left before its
// container starts, e.g. "PROVISIONING 23s".
func heldState(t lab.TaskStat) string {
	return strings.ToUpper(t.State) + " " + format.Clock((t.StartsIn + time.Second - 1).Truncate(time.Second)) // rounded up
}

func (p *tasksPane) sparkline(id string, w int, st Styles) string {
	if w <= 0 {
		return ""
	}
	sl := sparkline.New(w, 1, sparkline.WithStyle(st.series(0)), sparkline.WithNoAutoMaxValue(), sparkline.WithMaxValue(100))
	h := p.cpu[id]
	if len(h) > w {
		h = h[len(h)-w:]
	}
	sl.PushAll(h)
	sl.DrawColumnsOnly()
	return sl.View()
}

func (p *tasksPane) stopRow(s stop, w int, st Styles) string {
	why := s.Reason
	if s.Container != "" {
		why += " · container " + s.Container
	}
	if s.Exit != nil {
		why += fmt.Sprintf(" (exit %d)", s.Exit.Code)
	}
	ago := fmt.Sprintf(" · %s ago", format.Clock(seconds(p.now-s.t)))
	style := st.Bad
	if s.ByLab {
		style = st.Dim
	}
	row := fmt.Sprintf("%-4s %s %s", s.Task, style.Render(fmt.Sprintf("%-8s", "stopped")), style.Render(why)+st.Dim.Render(ago))
	return fit(row, w)
}

// shortReason names a stop reason in a few letters for the pane title.
func shortReason(r string) string {
	switch {
	case lab.IsOOMReason(r):
		return "OOM"
	case strings.Contains(r, "health"):
		return "unhealthy"
	case strings.Contains(r, "exited"):
		return "exited"
	}
	return r
}

// compareIDs orders task ids as people count: t2 before t10.
func compareIDs(a, b string) int {
	na, ea := strconv.Atoi(strings.TrimLeft(a, "abcdefghijklmnopqrstuvwxyz-"))
	nb, eb := strconv.Atoi(strings.TrimLeft(b, "abcdefghijklmnopqrstuvwxyz-"))
	if ea == nil && eb == nil && na != nb {
		return cmp.Compare(na, nb)
	}
	return cmp.Compare(a, b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
