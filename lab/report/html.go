package report

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// ReportFile is the HTML report in a results directory.
const ReportFile = "report.html"

//go:embed templates
var templateFS embed.FS

var pages = template.Must(template.New("").ParseFS(templateFS, "templates/*.tmpl"))

func mustAsset(name string) string {
	data, err := templateFS.ReadFile("templates/" + name)
	if err != nil {
		panic("report: " + err.Error())
	}
	return string(data)
}

var (
	styleCSS = template.CSS(mustAsset("style.css"))
	eventsJS = template.JS(mustAsset("events.js"))
)

// WriteHTML reads the results directory dir and writes dir/report.html,
// priced as o says. The page is one self-contained file: inline CSS and
// SVG, a few lines of inline script to filter the events, and no
// reference to any other host.
func WriteHTML(dir string, o Options) (path string, err error) {
	run, err := Read(dir)
	if err != nil {
		return "", err
	}
	view := newReportView(run, o.prices())
	capacityResults, err := readCapacity(dir)
	if err != nil {
		return "", err
	}
	if capacityResults != nil {
		view.Capacity = newCapacityView(capacityResults)
	}
	path = filepath.Join(dir, ReportFile)
	if err := writeTemplate(path, "report.html.tmpl", view); err != nil {
		return "", err
	}
	return path, nil
}

// reportView is everything report.html.tmpl shows, formatted.
type reportView struct {
	CSS         template.CSS
	JS          template.JS
	Title       string
	Lead        string // the description's first line
	Description string // the rest of it
	RunID       string
	Target      string
	Started     string
	Duration    string
	Status      string
	StatusClass string
	Dir         string
	Prices      string

	// Capacity is set for the results of lab capacity: it takes the place
	// of the right-size recommendation.
	Capacity   *capacityView
	Rec        recView
	Table      tableView
	Overview   []chartView // matrix runs: the entries on shared axes
	Thresholds thresholdMatrix
	Entries    []entryView
	Events     eventsView
	Scenario   string
}

type recView struct {
	Has        bool
	Label      string
	Size       string
	Note       string
	PerHour    string
	PerMonth   string
	Tasks      string
	PerMillion string
	Achieved   string
	Entries    []recRow
}

type recRow struct {
	Entry, Label, Finding, FindingClass string
	PerHour, PerMonth, PerMillion       string
	Reasons                             []string
	Best                                bool
	Anchor                              string
}

type thresholdMatrix struct {
	Entries []string
	Rows    []thresholdRow
}

type thresholdRow struct {
	Expr  string
	Cells []thresholdCell
}

type thresholdCell struct {
	Text  string
	Class string // pass | fail | "" (not evaluated)
}

type entryView struct {
	Index        int
	Anchor       string
	Label        string
	Size         string
	Pass         string
	PassClass    string
	Finding      string
	FindingClass string
	Reasons      []string
	Stats        []stat
	Thresholds   []thresholdCell
	Charts       []chartView
	Marked       []markedEvent
}

type stat struct {
	Label, Value, Sub string
}

type chartView struct {
	Title   string
	SVG     template.HTML
	Caption string
}

type markedEvent struct {
	T, What, Class string
}

type eventsView struct {
	Types   []string
	Entries []option
	Rows    []eventRow
}

type option struct{ Value, Label string }

type eventRow struct {
	Entry, EntryLabel, T, Time, Type, Details, Class string
}

func newReportView(run *Run, prices PriceTable) reportView {
	s := run.Summary
	v := reportView{
		CSS:      styleCSS,
		JS:       eventsJS,
		Title:    s.Scenario,
		RunID:    s.RunID,
		Target:   s.Target,
		Started:  s.StartedAt.UTC().Format("2006-01-02 15:04:05 MST"),
		Dir:      filepath.Base(filepath.Clean(run.Dir)),
		Prices:   prices.String(),
		Scenario: string(run.Scenario),
	}
	v.Lead, v.Description = describe(scenarioDescription(run.Scenario))
	if !s.EndedAt.IsZero() {
		v.Duration = s.EndedAt.Sub(s.StartedAt).Round(time.Second).String()
	}
	switch {
	case s.Interrupted:
		v.Status, v.StatusClass = "interrupted", "warn"
	case s.Passed:
		v.Status, v.StatusClass = "passed", "pass"
	default:
		v.Status, v.StatusClass = "failed", "fail"
	}

	rec := Recommend(s, prices, 0)
	v.Rec = newRecView(rec, s)
	v.Table = compareTable(CompareRows(run.Dir, s, prices), false)
	v.Thresholds = newThresholdMatrix(s)
	if len(s.Entries) > 1 {
		v.Overview = overviewCharts(run)
	}
	for i, e := range s.Entries {
		v.Entries = append(v.Entries, newEntryView(run, i, e, rec.Entries[i]))
	}
	v.Events = newEventsView(run)
	return v
}

// scenarioDescription digs the description out of scenario.yaml without a
// YAML parser: a plain scalar on the line, or a block scalar (| or >)
// below it.
func scenarioDescription(yaml []byte) string {
	lines := strings.Split(string(yaml), "\n")
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, "description:")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if rest != "" && rest[0] != '|' && rest[0] != '>' {
			if u, err := strconv.Unquote(rest); err == nil {
				return u
			}
			return strings.Trim(rest, "'")
		}
		var b []string
		for _, l := range lines[i+1:] {
			if l != "" && l[0] != ' ' {
				break
			}
			b = append(b, strings.TrimSpace(l))
		}
		return strings.Join(b, "\n")
	}
	return ""
}

// describe splits a description into its first line and the rest, the
// rest's hard-wrapped lines joined.
func describe(d string) (lead, rest string) {
	lead, rest, _ = strings.Cut(strings.TrimSpace(d), "\n")
	return lead, strings.Join(strings.Fields(rest), " ")
}

func newRecView(rec Recommendation, s lab.Summary) recView {
	v := recView{Note: rec.Note}
	if best, ok := rec.Recommended(); ok {
		v.Has = true
		v.Label = best.Label
		v.Size = sizeText(best.Size)
		v.PerHour = money(best.Cost.PerHour)
		v.PerMonth = money(best.Cost.PerMonth)
		v.Tasks = plural(best.Cost.Tasks, "task")
		v.PerMillion = millionText(best.Cost)
		v.Achieved = fmt.Sprintf("%.2f", s.Entries[best.Entry-1].AchievedRPS)
	}
	for i, a := range rec.Entries {
		v.Entries = append(v.Entries, recRow{
			Entry: fmt.Sprint(a.Entry), Label: a.Label,
			Finding: string(a.Finding), FindingClass: findingClass(a.Finding),
			PerHour: money(a.Cost.PerHour), PerMonth: money(a.Cost.PerMonth), PerMillion: millionText(a.Cost),
			Reasons: a.Reasons, Best: i == rec.Best,
			Anchor: fmt.Sprintf("#entry-%d", a.Entry),
		})
	}
	return v
}

func newThresholdMatrix(s lab.Summary) thresholdMatrix {
	var m thresholdMatrix
	index := map[string]int{}
	for _, e := range s.Entries {
		m.Entries = append(m.Entries, e.Label)
		for _, t := range e.Thresholds {
			if _, ok := index[t.Expr]; !ok {
				index[t.Expr] = len(m.Rows)
				m.Rows = append(m.Rows, thresholdRow{Expr: t.Expr, Cells: make([]thresholdCell, len(s.Entries))})
			}
		}
	}
	for i, e := range s.Entries {
		for _, t := range e.Thresholds {
			m.Rows[index[t.Expr]].Cells[i] = outcomeCell(t)
		}
	}
	return m
}

func outcomeCell(t lab.ThresholdOutcome) thresholdCell {
	v := outcomeValue(t)
	if t.OK {
		return thresholdCell{Text: "✓ " + v, Class: "pass"}
	}
	return thresholdCell{Text: "✗ " + v, Class: "fail"}
}

func newEntryView(run *Run, i int, e lab.EntrySummary, a Assessment) entryView {
	n := i + 1
	v := entryView{
		Index: n, Anchor: fmt.Sprintf("entry-%d", n), Label: e.Label,
		Size:    sizeText(a.Size) + " · " + plural(max(e.Scaling.MaxCount, 1), "task"),
		Finding: string(a.Finding), FindingClass: findingClass(a.Finding),
		Reasons: a.Reasons,
	}
	switch {
	case e.Interrupted:
		v.Pass, v.PassClass = "interrupted", "warn"
	case len(e.Thresholds) == 0:
		v.Pass, v.PassClass = "no thresholds", "muted"
	case a.MetThresholds:
		v.Pass, v.PassClass = "passed", "pass"
	default:
		v.Pass, v.PassClass = "failed", "fail"
	}
	errs := "none"
	if c := errorCodes(e.Errors); c != "" {
		errs = c
	}
	tasks := fmt.Sprintf("%d started, %d stopped", e.Tasks.Started, e.Tasks.Stopped)
	count := fmt.Sprint(e.Scaling.MinCount)
	if e.Scaling.MaxCount != e.Scaling.MinCount {
		count = fmt.Sprintf("%d–%d", e.Scaling.MinCount, e.Scaling.MaxCount)
	}
	v.Stats = []stat{
		{"achieved", fmt.Sprintf("%.2f req/s", e.AchievedRPS), achievedNote(e)},
		{"latency p50", format.Latency(e.LatencyMS.P50), latencyNote(e)},
		{"errors", format.Percent(100 * e.ErrorRate), errs},
		utilizationStat("CPU avg", e.CPUUtilization),
		utilizationStat("memory avg", e.MemoryUtilization),
		{"tasks", count, tasks},
		{"cost", money(a.Cost.PerHour) + "/h", money(a.Cost.PerMonth) + "/month, " + millionText(a.Cost) + "/M req"},
	}
	for _, t := range e.Thresholds {
		c := outcomeCell(t)
		c.Text = t.Expr + " — " + strings.TrimLeft(c.Text, "✓✗ ")
		v.Thresholds = append(v.Thresholds, c)
	}
	v.Charts, v.Marked = entryCharts(run.EntrySamples(n), run.EntryEvents(n), e)
	return v
}

// latencyNote is the note under an entry's p50: its p99 and max, and the
// round trip to the endpoint they include when it was measured (ECS).
func latencyNote(e lab.EntrySummary) string {
	note := "p99 " + format.Latency(e.LatencyMS.P99) + ", max " + format.Latency(e.LatencyMS.Max)
	if rtt := rttText(e.RTTMS, e.NetOfRTT); rtt != "" {
		note += " (" + rtt + ")"
	}
	return note
}

// Series colours: one palette for every chart, readable on white.
const (
	colBlue   = "#2563eb"
	colGrey   = "#64748b"
	colGreen  = "#16a34a"
	colRed    = "#dc2626"
	colOrange = "#ea580c"
	colPurple = "#7c3aed"
	colTeal   = "#0d9488"
	colSky    = "#0ea5e9"
)

// entryCharts builds the five charts of one entry and the list of the
// events they mark.
func entryCharts(samples []Sample, events []lab.Event, e lab.EntrySummary) ([]chartView, []markedEvent) {
	xmax := 0.0
	for _, s := range samples {
		xmax = math.Max(xmax, s.T)
	}
	xmax = math.Max(xmax, 1)
	col := func(f func(Sample) float64) ([]float64, []float64) {
		xs, ys := make([]float64, len(samples)), make([]float64, len(samples))
		for i, s := range samples {
			xs[i], ys[i] = s.T, f(s)
		}
		return xs, ys
	}
	line := func(name, color string, dash, step bool, f func(Sample) float64) series {
		xs, ys := col(f)
		return series{Name: name, Color: color, Dash: dash, Step: step, X: xs, Y: ys}
	}
	latency := func(f func(Sample) float64) func(Sample) float64 {
		return func(s Sample) float64 {
			if s.P50 == 0 && s.Max == 0 {
				return math.NaN() // no response that second
			}
			return f(s)
		}
	}

	bands := tailBands(samples, xmax)
	all, labelled, marked := eventMarks(events, xmax)
	base := chart{XMax: xmax, Bands: bands, Marks: all}

	throughput := base
	throughput.Title, throughput.Unit = "Throughput", "req/s"
	throughput.Marks = append(phaseMarks(events, xmax), all...)
	throughput.Series = []series{
		line("achieved (ok)", colBlue, false, false, func(s Sample) float64 { return s.OKRPS }),
		line("offered (sent)", colGrey, true, false, func(s Sample) float64 { return s.SentRPS }),
	}

	lat := base
	lat.Title, lat.Unit = "Latency", "ms"
	lat.Series = []series{
		line("p50", colBlue, false, false, latency(func(s Sample) float64 { return s.P50 })),
		line("p90", colSky, false, false, latency(func(s Sample) float64 { return s.P90 })),
		line("p99", colPurple, false, false, latency(func(s Sample) float64 { return s.P99 })),
	}

	errs := base
	errs.Title, errs.Unit = "Errors", "errors/s"
	errs.Series = []series{line("errors", colRed, false, false, func(s Sample) float64 { return s.ErrorRPS })}
	errCaption := "No errors."
	if c := errorCodes(e.Errors); c != "" {
		errCaption = fmt.Sprintf("By status code or transport error, over the load: %s (%s of requests).", c, format.Percent(100*e.ErrorRate))
	}

	tasks := base
	tasks.Title, tasks.Unit, tasks.Integer = "Tasks", "tasks", true
	tasks.Marks = labelled
	tasks.Series = []series{
		line("running", colBlue, false, true, func(s Sample) float64 { return float64(s.Running) }),
		line("healthy", colGreen, false, true, func(s Sample) float64 { return float64(s.Healthy) }),
		line("desired", colGrey, true, true, func(s Sample) float64 { return float64(s.Desired) }),
	}

	util := base
	util.Title, util.Unit, util.YMax = "CPU and memory", "% of envelope", 100
	util.Series = []series{
		line("CPU", colOrange, false, false, func(s Sample) float64 { return s.CPUPct }),
		line("memory", colPurple, false, false, func(s Sample) float64 { return s.MemPct }),
	}

	tasksCaption := "Marked: tasks stopped by something other than lab, scaling decisions, actions."
	return []chartView{
		{Title: "Offered vs achieved requests", SVG: lineChart(throughput)},
		{Title: "Latency percentiles", SVG: lineChart(lat), Caption: "Over the responses of each second; gaps are seconds without one."},
		{Title: "Errors", SVG: lineChart(errs), Caption: errCaption},
		{Title: "Running and desired tasks", SVG: lineChart(tasks), Caption: tasksCaption},
		{Title: "CPU and memory utilization", SVG: lineChart(util), Caption: "Used over task size × running tasks, as ECS reports it."},
	}, marked
}

// entryColors tell the entries of a matrix apart on the overview charts.
var entryColors = []string{colBlue, colOrange, colGreen, colPurple, "#db2777", colTeal, "#ca8a04", colGrey}

// overviewCharts puts the load phases of a matrix run's entries on shared
// axes: achieved rate (a 5 s moving average, since per-second counts of
// slow requests jump), p99 latency, and CPU utilization.
func overviewCharts(run *Run) []chartView {
	load := func(entry int) []Sample {
		var out []Sample
		for _, s := range run.EntrySamples(entry) {
			if s.Phase != "tail" {
				out = append(out, s)
			}
		}
		return out
	}
	xmax := 1.0
	for i := range run.Summary.Entries {
		for _, s := range load(i + 1) {
			xmax = math.Max(xmax, s.T)
		}
	}
	rps := chart{Title: "Achieved requests", Unit: "req/s", XMax: xmax}
	p99 := chart{Title: "p99 latency", Unit: "ms", XMax: xmax}
	cpu := chart{Title: "CPU utilization", Unit: "% of envelope", XMax: xmax, YMax: 100}
	for i, e := range run.Summary.Entries {
		samples := load(i + 1)
		color := entryColors[i%len(entryColors)]
		n := len(samples)
		xs, ok, lat, util := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for j, s := range samples {
			xs[j], lat[j], util[j] = s.T, s.P99, s.CPUPct
			if s.P50 == 0 && s.Max == 0 {
				lat[j] = math.NaN()
			}
			sum, k := 0.0, 0
			for w := max(0, j-4); w <= j; w++ {
				sum += samples[w].OKRPS
				k++
			}
			ok[j] = sum / float64(k)
		}
		rps.Series = append(rps.Series, series{Name: e.Label, Color: color, X: xs, Y: ok})
		p99.Series = append(p99.Series, series{Name: e.Label, Color: color, X: xs, Y: lat})
		cpu.Series = append(cpu.Series, series{Name: e.Label, Color: color, X: xs, Y: util})
	}
	return []chartView{
		{Title: "Achieved requests, 5 s average", SVG: lineChart(rps), Caption: "Every entry's load phases, on the same axes."},
		{Title: "p99 latency", SVG: lineChart(p99)},
		{Title: "CPU utilization", SVG: lineChart(cpu), Caption: "Of each entry's envelope: task size × running tasks."},
	}
}

// tailBands shades the seconds after the load (phase "tail"), when lab
// awaits the requests still in flight.
func tailBands(samples []Sample, xmax float64) []band {
	for i, s := range samples {
		if s.Phase == "tail" {
			x0 := s.T
			if i > 0 {
				x0 = samples[i-1].T
			}
			return []band{{X0: x0, X1: xmax, Label: "tail"}}
		}
	}
	return nil
}

// eventMarks turns an entry's events into chart marks: all of them
// unlabelled for most charts, labelled for the tasks chart, and a list
// for people.
func eventMarks(events []lab.Event, xmax float64) (all, labelled []mark, list []markedEvent) {
	for _, ev := range events {
		var m mark
		switch d := ev.Data.(type) {
		case lab.TaskStopped:
			if d.ByLab {
				continue
			}
			m = mark{Color: colRed, Label: "stop"}
			if d.OOMKilled() || lab.IsOOMReason(d.Reason) {
				m.Label = "OOM"
			}
			m.Title = fmt.Sprintf("task %s stopped: %s", d.Task, d.Reason)
			if d.Container != "" {
				m.Title += " (container " + d.Container + ")"
			}
			if d.Exit != nil {
				m.Title += fmt.Sprintf(" (exit code %d)", d.Exit.Code)
			}
		case lab.ScalingDecision:
			arrow := "↑"
			if d.Direction == lab.ScaleIn {
				arrow = "↓"
			}
			m = mark{Color: colTeal, Label: fmt.Sprintf("%s%d→%d", arrow, d.From, d.To)}
			var datapoints, target string
			if d.Evaluation != nil {
				datapoints, target = str(d.Datapoints), str(d.Target)
			}
			m.Title = fmt.Sprintf("scale %s %d → %d by %s: %s %s, target %s", d.Direction, d.From, d.To,
				d.Policy, d.Metric, datapoints, target)
			if d.Formula != "" {
				m.Title += " (" + d.Formula + ")"
			}
		case lab.Action:
			m = mark{Color: colGrey, Label: d.Name}
			m.Title = strings.TrimSpace("action " + d.Name + " " + str(d.Args))
		default:
			continue
		}
		m.X = ev.T
		m.Title = fmt.Sprintf("%s s: %s", format.Decimal(ev.T), m.Title)
		list = append(list, markedEvent{T: fmt.Sprintf("%.1f s", ev.T), What: strings.SplitN(m.Title, ": ", 2)[1], Class: classOf(m.Color)})
		if ev.T < 0 || ev.T > xmax {
			continue
		}
		labelled = append(labelled, m)
		m.Label = ""
		all = append(all, m)
	}
	return all, labelled, list
}

// phaseMarks marks where each load phase after the first starts.
func phaseMarks(events []lab.Event, xmax float64) []mark {
	var out []mark
	for _, ev := range events {
		if d, ok := ev.Data.(lab.PhaseStarted); ok && ev.T > 0 && ev.T <= xmax {
			p := strconv.Itoa(d.Phase)
			out = append(out, mark{X: ev.T, Color: colGrey, Label: "phase " + p, Title: fmt.Sprintf("%s s: phase %s starts", format.Decimal(ev.T), p)})
		}
	}
	return out
}

func classOf(color string) string {
	switch color {
	case colRed:
		return "stop"
	case colTeal:
		return "scale"
	}
	return "action"
}

// str formats a JSON value from an event for people.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

func newEventsView(run *Run) eventsView {
	var v eventsView
	labels := map[int]string{}
	for i, e := range run.Summary.Entries {
		labels[i+1] = e.Label
		v.Entries = append(v.Entries, option{Value: fmt.Sprint(i + 1), Label: fmt.Sprintf("%d · %s", i+1, e.Label)})
	}
	types := map[string]bool{}
	for i, ev := range run.Events {
		types[ev.Type()] = true
		var details map[string]any
		if i < len(run.eventFields) {
			details = run.eventFields[i]
		}
		keys := make([]string, 0, len(details))
		for k := range details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + str(details[k])
		}
		class := ""
		switch d := ev.Data.(type) {
		case lab.TaskStopped:
			if !d.ByLab {
				class = "stop"
			}
		case lab.ScalingDecision:
			class = "scale"
		case lab.ThresholdOutcome:
			if !d.OK {
				class = "stop"
			}
		}
		v.Rows = append(v.Rows, eventRow{
			Entry: fmt.Sprint(ev.Entry), EntryLabel: labels[ev.Entry],
			T: fmt.Sprintf("%.1f", ev.T), Time: ev.Time.UTC().Format("15:04:05.000"),
			Type: ev.Type(), Details: strings.Join(parts, "  "), Class: class,
		})
	}
	for t := range types {
		v.Types = append(v.Types, t)
	}
	sort.Strings(v.Types)
	return v
}

// chart is one line chart: a time axis in seconds since the entry's load
// start, and series in one unit.
type chart struct {
	Title   string
	Unit    string  // the y axis' unit, e.g. "req/s"
	XMax    float64 // seconds
	YMax    float64 // the least y axis maximum (e.g. 100 for percent); else from the data
	Integer bool    // y ticks at whole numbers
	Series  []series
	Marks   []mark
	Bands   []band
}

type series struct {
	Name  string
	Color string
	Dash  bool
	Step  bool      // hold each value until the next (counts)
	X, Y  []float64 // a NaN y is a gap
}

// mark is a vertical line at X: an event on the time axis.
type mark struct {
	X     float64
	Label string // drawn beside the line when set
	Title string // shown on hover
	Color string
}

// band shades [X0, X1].
type band struct {
	X0, X1 float64
	Label  string
}

// Chart geometry, in SVG user units; the SVG scales to its box.
const (
	chartW, chartH = 420.0, 230.0
	padL, padR     = 50.0, 12.0
	padT, padB     = 30.0, 36.0
	plotW, plotH   = chartW - padL - padR, chartH - padT - padB
)

// lineChart draws c as an inline SVG: grid, labelled axes with units, a
// legend, the series, shaded bands and event marks. Every chart of the
// report is drawn by it.
func lineChart(c chart) template.HTML {
	top := 0.0
	for _, s := range c.Series {
		for _, y := range s.Y {
			if !math.IsNaN(y) {
				top = math.Max(top, y)
			}
		}
	}
	if c.YMax > 0 && top <= c.YMax {
		top = c.YMax // e.g. percent: 0 to 100 unless the data goes beyond
	} else {
		top *= 1.08
	}
	ystep := niceStep(top, 5, c.Integer)
	ymax := math.Max(ystep, math.Ceil(top/ystep-1e-9)*ystep)
	xstep := niceStep(c.XMax, 6, true)
	px := func(x float64) float64 { return padL + plotW*x/c.XMax }
	py := func(y float64) float64 { return padT + plotH*(1-y/ymax) }

	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s">`, chartW, chartH, esc(c.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	for _, bd := range c.Bands {
		x0, x1 := px(math.Max(bd.X0, 0)), px(math.Min(bd.X1, c.XMax))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%g" width="%.1f" height="%g" fill="#f1f5f9"/>`, x0, padT, math.Max(x1-x0, 0), plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="band">%s</text>`, x1-3, padT+11, esc(bd.Label))
	}
	// Grid and y axis.
	for y := 0.0; y <= ymax+ystep/1e6; y += ystep {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+plotW, py(y), py(y))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="yt">%s</text>`, padL-6, py(y)+3.5, tick(y, ystep))
	}
	fmt.Fprintf(&b, `<text class="axis" transform="translate(12 %g) rotate(-90)">%s</text>`, padT+plotH/2, esc(c.Unit))
	// X axis.
	for x := 0.0; x <= c.XMax+xstep/1e6; x += xstep {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" class="tk"/>`, px(x), px(x), padT+plotH, padT+plotH+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="xt">%s</text>`, px(x), padT+plotH+15, tick(x, xstep))
	}
	fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%g" y2="%g" class="ax"/>`, padL, padL+plotW, padT+plotH, padT+plotH)
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis">seconds since load start</text>`, padL+plotW/2, chartH-4)
	// Marks.
	for i, m := range c.Marks {
		x := px(m.X)
		fmt.Fprintf(&b, `<g><title>%s</title><line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="%s" class="mark"/>`, esc(m.Title), x, x, padT, padT+plotH, m.Color)
		if m.Label != "" {
			anchor, dx := "start", 3.0
			if x > padL+plotW-40 {
				anchor, dx = "end", -3
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" style="fill:%s" text-anchor="%s" class="ml">%s</text>`, x+dx, padT+10+float64(i%3)*11, m.Color, anchor, esc(m.Label))
		}
		b.WriteString(`</g>`)
	}
	// Series.
	for _, s := range c.Series {
		d := seriesPath(s, px, py)
		if d == "" {
			continue
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<path d="%s" stroke="%s"%s class="line"/>`, d, s.Color, dash)
	}
	// Legend, top right.
	x := chartW - padR
	for i := len(c.Series) - 1; i >= 0; i-- {
		s := c.Series[i]
		w := 6.1*float64(len([]rune(s.Name))) + 22
		x -= w
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="12" y2="12" stroke="%s"%s class="line"/><text x="%.1f" y="16" class="lg">%s</text>`,
			x, x+14, s.Color, dash, x+18, esc(s.Name))
		x -= 8
	}
	if len(c.Series) == 0 || len(c.Series[0].X) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="axis">no samples</text>`, padL+plotW/2, padT+plotH/2)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// seriesPath is the SVG path of a series, broken at NaN values; a point
// alone between gaps is drawn as a dot.
func seriesPath(s series, px, py func(float64) float64) string {
	var b strings.Builder
	gap := func(i int) bool { return i < 0 || i >= len(s.Y) || math.IsNaN(s.Y[i]) }
	for i := range s.X {
		if gap(i) {
			continue
		}
		x, y := px(s.X[i]), py(s.Y[i])
		switch {
		case gap(i-1) && gap(i+1):
			fmt.Fprintf(&b, "M%.1f %.1fh0.1", x, y)
		case gap(i - 1):
			fmt.Fprintf(&b, "M%.1f %.1f", x, y)
		case s.Step:
			fmt.Fprintf(&b, "H%.1fV%.1f", x, y)
		default:
			fmt.Fprintf(&b, "L%.1f %.1f", x, y)
		}
	}
	return b.String()
}

// niceStep is a tick step of 1, 2 or 5 times a power of ten that cuts span
// into about n parts; whole numbers only when integer is set.
func niceStep(span float64, n int, integer bool) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	if integer {
		step = math.Max(1, math.Round(step))
	}
	return step
}

// tick formats a tick value with the decimals its step needs.
func tick(v, step float64) string {
	if step >= 1 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	digits := int(math.Ceil(-math.Log10(step)))
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// utilizationStat shows the average and peak of the envelope, with the
// count of CloudWatch datapoints on ECS, or "no data".
func utilizationStat(name string, u lab.Utilization) stat {
	if u.NoData {
		return stat{name, "no data", "CloudWatch had no datapoint inside the entry"}
	}
	detail := "peak " + format.Percent(u.Max) + " of the envelope"
	if u.Source != "" {
		detail += fmt.Sprintf(", %d %s datapoint(s) of a minute", u.Datapoints, u.Source)
	}
	return stat{name, format.Percent(u.Avg), detail}
}

// achievedNote is what the achieved rate is of: the rate intended (closed
// model) and sent, the requests, and those that completed after the load
// (not in the achieved rate).
func achievedNote(e lab.EntrySummary) string {
	note := fmt.Sprintf("of %s offered, %d requests", offeredText(e.IntendedRPS, e.OfferedRPS), e.Requests)
	if e.IntendedRPS > 0 {
		note = fmt.Sprintf("of %s, %d requests", offeredText(e.IntendedRPS, e.OfferedRPS), e.Requests)
	}
	if d := e.Drain; d != nil && d.Requests > 0 {
		note += fmt.Sprintf("; %d more completed in the %.1f s after the load", d.Requests, d.Seconds)
	}
	return note
}
