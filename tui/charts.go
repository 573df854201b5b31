package tui

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// point is one value of a series at T seconds of the entry's load.
type point struct{ t, v float64 }

// mark is something that happened at T, shown under the task count
// chart: a scaling decision or a task that died.
type mark struct {
	t    float64
	r    rune
	rank int // a higher rank wins a shared column
}

// Marks on the time axis of the task count chart.
const (
	markOut  = '▲' // scale-out decision applied
	markIn   = '▼' // scale-in decision applied
	markStop = 'x' // a task failed (exited, failed its health checks)
	markOOM  = '✗' // a task was OOM-killed
)

// charts is the history of one entry and its charts over time: offered
// vs achieved req/s, latency p50 and p99, error rate by class, running vs
// desired tasks with decisions and kills marked, and average utilization.
type charts struct {
	total    float64 // the entry's load seconds: the time axis spans at least this
	last     float64 // T of the latest snapshot
	offered  []point
	achieved []point
	p50, p99 []point
	errs     []errWindow
	running  []point
	desired  []point
	cpu, mem []point
	marks    []mark

	version int // changes with every snapshot or mark, for the cache
	cache   struct {
		version, w, h, perRow int
		view                  string
	}
}

// errWindow is one second's error rate in percent, by class (status code
// or transport error kind).
type errWindow struct {
	t       float64
	byClass map[string]float64
}

func (c *charts) reset() { *c = charts{} }

func (c *charts) add(s lab.Snapshot) {
	t := s.T
	c.total = s.Total.Seconds()
	c.last = t
	c.offered = append(c.offered, point{t, s.Offered})
	c.achieved = append(c.achieved, point{t, float64(s.Load.OK)})
	if s.Load.Latency.Count > 0 {
		c.p50 = append(c.p50, point{t, s.Load.Latency.P50})
		c.p99 = append(c.p99, point{t, s.Load.Latency.P99})
	}
	w := errWindow{t: t, byClass: map[string]float64{}}
	if done := s.Load.OK + s.Load.ErrorCount(); done > 0 {
		for class, n := range s.Load.Errors {
			if n > 0 {
				w.byClass[class] = 100 * float64(n) / float64(done)
			}
		}
	}
	c.errs = append(c.errs, w)
	c.running = append(c.running, point{t, float64(s.Service.Running)})
	c.desired = append(c.desired, point{t, float64(s.Service.Desired)})
	c.cpu = append(c.cpu, point{t, s.Service.CPUPct})
	c.mem = append(c.mem, point{t, s.Service.MemPct})
	c.version++
}

// event records the marks an event makes on the time axis.
func (c *charts) event(ev lab.Event) {
	switch d := ev.Data.(type) {
	case lab.ScalingDecision:
		r := markOut
		if d.Direction == lab.ScaleIn {
			r = markIn
		}
		c.marks = append(c.marks, mark{t: ev.T, r: r, rank: 1})
	case lab.TaskStopped:
		if d.ByLab {
			return
		}
		if d.OOMKilled() {
			c.marks = append(c.marks, mark{t: ev.T, r: markOOM, rank: 3})
		} else {
			c.marks = append(c.marks, mark{t: ev.T, r: markStop, rank: 2})
		}
	default:
		return
	}
	c.version++
}

// line is one series of a chart and how its legend shows the latest
// value.
type line struct {
	name   string
	pts    []point
	format func(float64) string
}

// chart is one chart to draw.
type chart struct {
	title string
	lines []line
	ymax  float64 // fixed top of the y axis; 0: from the data
	step  bool    // values hold until the next point (counts)
	marks []mark
	yfmt  func(float64) string
}

func (c *charts) specs() []chart {
	errLines := c.errorLines()
	return []chart{
		{title: "req/s", lines: []line{
			{"offered", c.offered, format.OneDecimal},
			{"ok", c.achieved, format.OneDecimal},
		}, yfmt: format.OneDecimal},
		{title: "latency", lines: []line{
			{"p50", c.p50, format.Latency},
			{"p99", c.p99, format.Latency},
		}, yfmt: format.Latency},
		{title: "errors", lines: errLines, yfmt: format.WholePercent},
		{title: "tasks", lines: []line{
			{"run", c.running, format.OneDecimal},
			{"want", c.desired, format.OneDecimal},
		}, step: true, marks: c.marks, yfmt: format.OneDecimal},
		{title: "util", lines: []line{
			{"cpu", c.cpu, format.WholePercent},
			{"mem", c.mem, format.WholePercent},
		}, ymax: 100, yfmt: format.WholePercent},
	}
}

// errorLines are the error rate series of the (at most three) classes
// seen most often, or one flat line when there were no errors.
func (c *charts) errorLines() []line {
	total := map[string]float64{}
	for _, w := range c.errs {
		for class, v := range w.byClass {
			total[class] += v
		}
	}
	classes := make([]string, 0, len(total))
	for class := range total {
		classes = append(classes, class)
	}
	slices.SortFunc(classes, func(a, b string) int {
		return cmp.Or(cmp.Compare(total[b], total[a]), cmp.Compare(a, b))
	})
	if len(classes) > 3 {
		classes = classes[:3]
	}
	if len(classes) == 0 {
		pts := make([]point, len(c.errs))
		for i, w := range c.errs {
			pts[i] = point{w.t, 0}
		}
		return []line{{"none", pts, func(float64) string { return "" }}}
	}
	lines := make([]line, len(classes))
	for i, class := range classes {
		pts := make([]point, len(c.errs))
		for j, w := range c.errs {
			pts[j] = point{w.t, w.byClass[class]}
		}
		lines[i] = line{class, pts, format.WholePercent}
	}
	return lines
}

// view lays the charts out in w x h, perRow charts a row.
func (c *charts) view(w, h, perRow int, st Styles) string {
	if c.cache.view != "" && c.cache.version == c.version && c.cache.w == w && c.cache.h == h && c.cache.perRow == perRow {
		return c.cache.view
	}
	v := c.render(w, h, perRow, st)
	c.cache.version, c.cache.w, c.cache.h, c.cache.perRow, c.cache.view = c.version, w, h, perRow, v
	return v
}

// span is the time axis: from the load's start to now, at least 30s.
func (c *charts) span() float64 { return math.Max(c.last, 30) }

func (c *charts) render(w, h, perRow int, st Styles) string {
	if len(c.running) == 0 {
		return block(st.Dim.Render("  charts start with the load"), w, h)
	}
	specs := c.specs()
	perRow = max(1, perRow)
	rows := (len(specs) + perRow - 1) / perRow
	rowH := h / rows
	if rowH < 3 {
		// Too low for every row: show the rows that fit.
		rows = max(1, h/3)
		rowH = h / rows
	}
	var out []string
	for r := 0; r < rows; r++ {
		row := specs[r*perRow : min(len(specs), (r+1)*perRow)]
		var cells []string
		used := 0
		for i, spec := range row {
			cw := (w - used) / (len(row) - i)
			used += cw
			cells = append(cells, c.draw(spec, cw, rowH, st))
		}
		out = append(out, lipgloss.JoinHorizontal(lipgloss.Top, cells...))
	}
	return block(strings.Join(out, "\n"), w, h)
}

// draw renders one chart in w x h cells: a title line with the legend
// and latest values, the plot with its y axis, and for charts with marks
// a line of marks under the plot. The last column stays blank as a gap.
func (c *charts) draw(spec chart, w, h int, st Styles) string {
	w-- // gap to the next chart
	title := st.Bold.Render(spec.title)
	for i, l := range spec.lines {
		title += " " + st.series(i).Render(l.name)
		if n := len(l.pts); n > 0 {
			if v := l.format(l.pts[n-1].v); v != "" {
				title += " " + v
			}
		}
	}
	ph := h - 1
	if spec.marks != nil {
		ph--
	}
	if ph < 1 || w < 8 {
		return block(title, w+1, h)
	}

	ymax := spec.ymax
	if ymax == 0 {
		for _, l := range spec.lines {
			for _, p := range l.pts {
				ymax = math.Max(ymax, p.v)
			}
		}
		if spec.step {
			ymax = math.Ceil(ymax) + 1
		} else {
			ymax = niceCeil(ymax * 1.1)
		}
	}
	top, bottom := spec.yfmt(ymax), spec.yfmt(0)
	gw := max(len(top), len(bottom))
	pw := w - gw - 1
	xmax := c.span()

	cv := canvas.New(pw, ph)
	for i, l := range spec.lines {
		grid := graph.NewBrailleGrid(pw, ph, 0, xmax, 0, ymax)
		var prev canvas.Point
		for j, p := range l.pts {
			gp := grid.GridPoint(canvas.Float64Point{X: p.t, Y: math.Min(math.Max(p.v, 0), ymax)})
			switch {
			case j == 0:
				grid.Set(gp)
			case spec.step:
				corner := canvas.Point{X: gp.X, Y: prev.Y}
				for _, q := range graph.GetLinePoints(prev, corner) {
					grid.Set(q)
				}
				for _, q := range graph.GetLinePoints(corner, gp) {
					grid.Set(q)
				}
			default:
				for _, q := range graph.GetLinePoints(prev, gp) {
					grid.Set(q)
				}
			}
			prev = gp
		}
		graph.DrawBraillePatterns(&cv, canvas.Point{}, grid.BraillePatterns(), st.series(i))
	}

	plot := strings.Split(cv.View(), "\n")
	lines := make([]string, 0, h)
	lines = append(lines, fit(title, w))
	for i, p := range plot {
		label, axis := "", "│"
		switch i {
		case 0:
			label, axis = top, "┤"
		case len(plot) - 1:
			label, axis = bottom, "┤"
		}
		lines = append(lines, st.Dim.Render(fmt.Sprintf("%*s%s", gw, label, axis))+p)
	}
	if spec.marks != nil {
		lines = append(lines, strings.Repeat(" ", gw+1)+marksLine(spec.marks, xmax, pw, st))
	}
	return block(strings.Join(lines, "\n"), w+1, h)
}

// marksLine places each mark in the column of its time; where two share
// a column the higher rank shows.
func marksLine(marks []mark, xmax float64, w int, st Styles) string {
	cells := make([]mark, w)
	for _, m := range marks {
		if m.t < 0 {
			continue
		}
		x := int(math.Round(m.t/xmax*float64(2*w-1))) / 2 // the braille dot's cell
		if x >= w {
			x = w - 1
		}
		if m.rank > cells[x].rank {
			cells[x] = m
		}
	}
	var b strings.Builder
	for _, m := range cells {
		switch m.r {
		case 0:
			b.WriteByte(' ')
		case markOOM, markStop:
			b.WriteString(st.Bad.Render(string(m.r)))
		default:
			b.WriteString(st.EventScaling.Render(string(m.r)))
		}
	}
	return b.String()
}

// niceCeil rounds v up to a round number: 1, 1.5, 2, 3, 4, 5, 6 or 8
// times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
