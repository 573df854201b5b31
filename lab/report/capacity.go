package report

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab/capacity"
	"github.com/ecslab/lab/scenarios"
)

// The capacity section of report.html, for the results of `lab capacity`
// (a directory with capacity.json): what each size sustains, a
// latency-versus-throughput chart per size with its knee marked, and the
// fleet for the peak.

// capacityView is what the template shows of capacity.json.
type capacityView struct {
	SLO      string
	Headroom string
	Prices   string
	Note     string // calibration, interruption
	Fleet    *fleetView
	Sizes    []capacitySizeView
}

type fleetView struct {
	Sentence string
	Why      string
	Class    string // pass | fail | warn (a projection)
	Rows     []fleetRow
}

type fleetRow struct {
	Label, Count, PerTask, PerHour, PerMonth, ARM64 string
	Best                                            bool
	Why                                             string
}

type capacitySizeView struct {
	Label       string
	Anchor      string
	Sustainable string
	Bracket     string
	P50, P99    string
	CPU, Mem    string
	LimitedBy   string
	LimitClass  string
	Broke       string
	X86, ARM64  string
	Search      string
	Chart       template.HTML
	Steps       []capacityStepView
}

type capacityStepView struct {
	N, Kind, Rate, Verdict, Class, P50, P99, Errors, CPU, Seconds, Why string
}

// readCapacity reads capacity.json when the directory has one.
func readCapacity(dir string) (*capacity.Report, error) {
	r, err := capacity.Read(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return r, err
}

func newCapacityView(r *capacity.Report) *capacityView {
	v := &capacityView{
		SLO:      strings.Join(r.SLO, ", "),
		Headroom: fmt.Sprintf("%.0f%%", 100*r.Headroom),
		Prices:   r.Prices,
	}
	var notes []string
	if r.Interrupted {
		notes = append(notes, "The search was interrupted: the figures are what it had found by then.")
	}
	if c := r.Calibration; c != nil {
		notes = append(notes, fmt.Sprintf("CPU quotas were scaled by %.3f to stand for Fargate %s (%s).", c.Factor, c.Platform, c.Source))
	}
	v.Note = strings.Join(notes, " ")
	for _, s := range r.Sizes {
		v.Sizes = append(v.Sizes, newCapacitySizeView(s, r))
	}
	if f := r.Fleet; f != nil {
		v.Fleet = newFleetView(f)
	}
	return v
}

func newCapacitySizeView(s capacity.SizeResult, r *capacity.Report) capacitySizeView {
	sv := capacitySizeView{
		Label:       s.Label,
		Anchor:      "capacity-" + strings.ReplaceAll(s.Label, "/", "-"),
		Sustainable: format.TwoDecimals(s.SustainableRPS),
		Bracket:     fmt.Sprintf("[%s, %s]", format.TwoDecimals(s.Bracket[0]), bound(s.Bracket[1])),
		P50:         format.Latency(s.LatencyMS.P50),
		P99:         format.Latency(s.LatencyMS.P99),
		CPU:         format.WholePercent(s.CPUUtilization.Avg),
		Mem:         format.WholePercent(s.MemoryUtilization.Max),
		LimitedBy:   s.LimitedBy,
		LimitClass:  "warn",
		Broke:       s.Broke,
		X86:         dollarsOrDash(s.CostPerMillion.X86),
		ARM64:       dollarsOrDash(s.CostPerMillion.ARM64),
		Search:      fmt.Sprintf("%s in %d steps, %.0f s", s.End, len(s.Steps), s.Seconds),
		Chart:       kneeChart(s, r.SLO),
	}
	if s.SustainableRPS == 0 {
		sv.LimitClass = "fail"
	}
	for _, st := range s.Steps {
		row := capacityStepView{
			N: fmt.Sprint(st.N), Kind: st.Kind, Rate: format.TwoDecimals(st.Rate),
			Verdict: "held", Class: "pass",
			P50: format.Latency(st.P50MS), P99: format.Latency(st.P99MS),
			Errors: format.Percent(100 * st.ErrorRate), CPU: format.WholePercent(st.CPUUtilization.Avg),
			Seconds: fmt.Sprintf("%.0f", st.Seconds), Why: st.Why,
		}
		if !st.OK {
			row.Verdict, row.Class = "broke ("+st.Reason+"): "+st.Broke, "fail"
			if st.StoppedEarly {
				row.Seconds += " (decided early)"
			}
			if st.Repeated {
				row.Verdict += "; CPU far from saturated: repeated once"
			}
		}
		sv.Steps = append(sv.Steps, row)
	}
	return sv
}

func newFleetView(f *capacity.Fleet) *fleetView {
	v := &fleetView{Sentence: f.Sentence, Why: f.Why, Class: "warn"}
	switch {
	case f.Choice == nil, f.Verification != nil && !f.Verification.Held:
		v.Class = "fail"
	case f.Verified:
		v.Class = "pass"
	}
	add := func(o capacity.FleetOption, best bool) {
		row := fleetRow{Label: o.Label, Best: best, Why: o.Why}
		if o.Count > 0 {
			row.Count = fmt.Sprint(o.Count)
			row.PerTask = format.TwoDecimals(o.PerTaskRPS)
			row.PerHour = fmt.Sprintf("$%.4f", o.USDPerHour)
			row.PerMonth = fmt.Sprintf("$%.2f", o.USDPerMonth)
			row.ARM64 = "-"
			if o.ARM64PerHour != nil {
				row.ARM64 = fmt.Sprintf("$%.4f", *o.ARM64PerHour)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if f.Choice != nil {
		add(*f.Choice, true)
	}
	for _, a := range f.Alternatives {
		add(a, false)
	}
	return v
}

func bound(v float64) string {
	if v == 0 {
		return "-"
	}
	return format.TwoDecimals(v)
}

func dollarsOrDash(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("$%.2f", *v)
}

// latencyBound is the SLO's bound on p99 (or the highest percentile it
// bounds), in ms, and its expression; 0 when it bounds no latency.
func latencyBound(slo []string) (float64, string) {
	for _, metric := range []string{scenarios.MetricP99, scenarios.MetricLatencyMax, scenarios.MetricP95, scenarios.MetricP90, scenarios.MetricP50} {
		for _, e := range slo {
			th, err := scenarios.ParseThreshold(e)
			if err == nil && th.Metric == metric && (th.Op == "<" || th.Op == "<=") {
				return th.Value, e
			}
		}
	}
	return 0, ""
}

// kneeChart is a size's latency against the rate offered, one point per
// step: p50 and p99, held steps as dots and broken ones as crosses, the
// knee (the sustainable rate) a vertical line and the SLO's latency bound
// a horizontal one. Latencies far above the bound are drawn at the top
// edge, with their value on hover.
func kneeChart(s capacity.SizeResult, slo []string) template.HTML {
	steps := slices.Clone(s.Steps)
	// Along the rate axis, as the search did not go.
	slices.SortStableFunc(steps, func(a, b capacity.StepRecord) int { return cmp.Compare(a.Rate, b.Rate) })
	limit, limitExpr := latencyBound(slo)
	ax, ok := kneeAxes(steps, limit)
	if !ok {
		return template.HTML(`<p class="muted">No step ran.</p>`)
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	title := "Latency against req/s offered, " + s.Label
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s"><title>%s</title>`, chartW, chartH, esc(title), esc(title))
	ax.draw(&b)
	if limit > 0 {
		fmt.Fprintf(&b, `<g><title>%s</title><line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#b91c1c" stroke-dasharray="4 3" class="mark"/>`,
			esc("the SLO: "+limitExpr), padL, padL+plotW, ax.py(limit), ax.py(limit))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" style="fill:#b91c1c" class="ml">%s</text></g>`, padL+4, ax.py(limit)-3, esc(limitExpr))
	}
	if s.SustainableRPS > 0 {
		x := ax.px(s.SustainableRPS)
		label := "knee " + format.TwoDecimals(s.SustainableRPS) + " req/s"
		anchor, dx := "start", 4.0
		if x > padL+plotW-90 {
			anchor, dx = "end", -4
		}
		fmt.Fprintf(&b, `<g><title>%s</title><line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#15803d" stroke-dasharray="5 3" class="mark"/>`,
			esc("the highest rate that held: "+label), x, x, padT, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" style="fill:#15803d" text-anchor="%s" class="ml">%s</text></g>`, x+dx, padT+plotH-6, anchor, esc(label))
	}
	kneeSeries(&b, steps, ax)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// kneeAxis is the knee chart's scales.
type kneeAxis struct {
	xmax, xstep, ymax, ystep float64
}

func (a kneeAxis) px(x float64) float64 { return padL + plotW*x/a.xmax }
func (a kneeAxis) py(y float64) float64 { return padT + plotH*(1-math.Min(y, a.ymax)/a.ymax) }

// kneeAxes scales the chart to the steps' rates and to the latencies of
// the steps that held, with room above the SLO's bound.
func kneeAxes(steps []capacity.StepRecord, limit float64) (kneeAxis, bool) {
	xmax, ytop := 0.0, 0.0
	for _, st := range steps {
		xmax = math.Max(xmax, st.Rate)
		if st.OK || limit <= 0 {
			ytop = math.Max(ytop, st.P99MS)
		}
	}
	if limit > 0 {
		ytop = math.Max(ytop, limit) * 1.6
	} else {
		ytop *= 1.1
	}
	xmax *= 1.1
	if xmax <= 0 || ytop <= 0 {
		return kneeAxis{}, false
	}
	a := kneeAxis{xstep: niceStep(xmax, 6, false), ystep: niceStep(ytop, 5, false)}
	a.xmax = math.Ceil(xmax/a.xstep-1e-9) * a.xstep
	a.ymax = math.Ceil(ytop/a.ystep-1e-9) * a.ystep
	return a, true
}

// draw writes the grid, the ticks and the axes' labels.
func (a kneeAxis) draw(b *strings.Builder) {
	for y := 0.0; y <= a.ymax+a.ystep/1e6; y += a.ystep {
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+plotW, a.py(y), a.py(y))
		fmt.Fprintf(b, `<text x="%g" y="%.1f" class="yt">%s</text>`, padL-6, a.py(y)+3.5, tick(y, a.ystep))
	}
	fmt.Fprintf(b, `<text class="axis" transform="translate(12 %g) rotate(-90)">ms</text>`, padT+plotH/2)
	for x := 0.0; x <= a.xmax+a.xstep/1e6; x += a.xstep {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" class="tk"/>`, a.px(x), a.px(x), padT+plotH, padT+plotH+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%g" class="xt">%s</text>`, a.px(x), padT+plotH+15, tick(x, a.xstep))
	}
	fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%g" y2="%g" class="ax"/>`, padL, padL+plotW, padT+plotH, padT+plotH)
	fmt.Fprintf(b, `<text x="%g" y="%g" class="axis">req/s offered to one task</text>`, padL+plotW/2, chartH-4)
}

// kneeSeries draws p50 and p99 through the steps, a dot for a step that
// held and a cross for one that broke, and the legend.
func kneeSeries(b *strings.Builder, steps []capacity.StepRecord, a kneeAxis) {
	esc := template.HTMLEscapeString
	series := []struct {
		name, color string
		value       func(capacity.StepRecord) float64
	}{
		{"p50", "#2563eb", func(st capacity.StepRecord) float64 { return st.P50MS }},
		{"p99", "#7c3aed", func(st capacity.StepRecord) float64 { return st.P99MS }},
	}
	for _, sr := range series {
		var d strings.Builder
		for i, st := range steps {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, a.px(st.Rate), a.py(sr.value(st)))
		}
		fmt.Fprintf(b, `<path d="%s" stroke="%s" class="line" stroke-opacity="0.5"/>`, d.String(), sr.color)
		for _, st := range steps {
			x, y := a.px(st.Rate), a.py(sr.value(st))
			tip := fmt.Sprintf("step %d: %s req/s, %s %s, %s", st.N, format.TwoDecimals(st.Rate), sr.name, format.Latency(sr.value(st)), verdictText(st))
			if st.OK {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.2" fill="%s"><title>%s</title></circle>`, x, y, sr.color, esc(tip))
			} else {
				fmt.Fprintf(b, `<path d="M%.1f %.1fl6 6m0 -6l-6 6" stroke="#b91c1c" stroke-width="1.8"><title>%s</title></path>`, x-3, y-3, esc(tip))
			}
		}
	}
	x := chartW - padR
	for i := len(series) - 1; i >= 0; i-- {
		x -= 6.1*float64(len(series[i].name)) + 22
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="12" y2="12" stroke="%s" class="line"/><text x="%.1f" y="16" class="lg">%s</text>`,
			x, x+14, series[i].color, x+18, series[i].name)
		x -= 8
	}
	fmt.Fprintf(b, `<text x="%.1f" y="16" class="lg" style="fill:#b91c1c">× broke</text>`, x-52)
}

func verdictText(st capacity.StepRecord) string {
	if st.OK {
		return "held"
	}
	return "broke (" + st.Reason + ")"
}
