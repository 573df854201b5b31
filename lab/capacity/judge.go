package capacity

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// This file judges a step: pure functions of what the runner measured
// over the step's steady window.

// SaturatedCPU is the envelope CPU (percent, averaged over the steady
// window) at or above which a step that broke on latency is said to be
// limited by CPU: the task had no CPU left to catch up with.
const SaturatedCPU = 90.0

// Rising latency: the median latency of the last third of the steady
// window exceeds the first third's by this fraction of it, and by at
// least risingFloor. A queue that grows without bound breaks any SLO in
// the end, however long the window.
const (
	risingFraction = 0.5
	risingFloor    = 20 * time.Millisecond
	// risingMinSeconds: fewer seconds with responses tell no trend.
	risingMinSeconds = 6
)

// Second is one second of a step, as the runner saw it.
type Second struct {
	Load   load.Window
	CPUPct float64 // the envelope's CPU, percent
	MemPct float64 // the envelope's memory, percent
}

// Measurement is what the runner measured over a step's steady window.
type Measurement struct {
	Rate    float64       // the rate offered, req/s
	Steady  time.Duration // how long the steady window lasted
	Totals  load.Totals   // the requests that completed in or after it (generator's SinceMark)
	Seconds []Second      // its seconds
	// Stops are the reasons of the tasks that stopped during the step
	// without lab stopping them (OOM kills, crashes, failed health checks).
	Stops []string
}

// Verdict is a judged step: held or broke, why, and its figures.
type Verdict struct {
	Held   bool
	Reason search.Reason // why it broke
	Broke  string        // what broke, in words; empty when it held
	Rising bool          // latency rose through the window
	CPU    lab.Utilization
	Memory lab.Utilization
}

// Judge decides whether a step held the SLO over its steady window, and
// if not, why: a task killed for memory first (oom), then the error
// bounds (errors), then the latency bounds or a latency that kept rising
// (cpu when the envelope's CPU was saturated, latency otherwise).
func Judge(slo []scenarios.Threshold, m Measurement) Verdict {
	v := Verdict{CPU: utilization(m.Seconds, func(s Second) float64 { return s.CPUPct }),
		Memory: utilization(m.Seconds, func(s Second) float64 { return s.MemPct })}
	saturated := v.CPU.Avg >= SaturatedCPU
	latencyReason := search.ReasonLatency
	cpuNote := ""
	if saturated {
		latencyReason = search.ReasonCPU
		cpuNote = fmt.Sprintf(", CPU at %.0f%% of the envelope", v.CPU.Avg)
	}
	if len(m.Stops) > 0 {
		v.Reason, v.Broke = search.ReasonErrors, "a task stopped: "+m.Stops[0]
		for _, s := range m.Stops {
			if lab.IsOOMReason(s) {
				v.Reason = search.ReasonOOM
				v.Broke = fmt.Sprintf("a task was killed for memory (%s), memory at %.0f%% of the envelope", s, v.Memory.Max)
				break
			}
		}
		return v
	}
	if m.Totals.Requests == 0 {
		v.Reason, v.Broke = latencyReason, "no request completed in the steady window"+cpuNote
		return v
	}
	entry := entryOf(m.Totals)
	var errs, slow []string
	for i, o := range lab.Evaluate(entry, slo) {
		if o.OK {
			continue
		}
		value, _ := lab.MetricValue(entry, slo[i].Metric)
		text := fmt.Sprintf("%s %s against %s", slo[i].Metric, metricText(slo[i], value), slo[i].Expr)
		if slo[i].Metric == scenarios.MetricErrorRate {
			errs = append(errs, text)
		} else {
			slow = append(slow, text)
		}
	}
	switch {
	case len(errs) > 0:
		v.Reason, v.Broke = search.ReasonErrors, strings.Join(errs, "; ")
	case len(slow) > 0:
		v.Reason, v.Broke = latencyReason, strings.Join(slow, "; ")+cpuNote
	default:
		if from, to, ok := rising(m.Seconds); ok {
			v.Rising = true
			v.Reason = latencyReason
			v.Broke = fmt.Sprintf("latency kept rising, median %s -> %s through the window (a queue that grows)%s",
				format.Latency(from), format.Latency(to), cpuNote)
		} else {
			v.Held = true
		}
	}
	return v
}

// entryOf puts a step's totals where the threshold evaluator reads them.
func entryOf(t load.Totals) lab.EntrySummary {
	return lab.EntrySummary{
		Requests:  t.Requests,
		OK:        t.OK,
		ErrorRate: t.ErrorRate(),
		LatencyMS: lab.Latency{P50: t.Latency.P50, P90: t.Latency.P90, P95: t.Latency.P95, P99: t.Latency.P99, Max: t.Latency.Max},
	}
}

func metricText(th scenarios.Threshold, value float64) string {
	if th.Metric == scenarios.MetricErrorRate {
		return format.Percent(value)
	}
	return format.Latency(value)
}

// rising reports whether latency rose through the window: the median of
// the per-second medians over its last third against its first third.
func rising(seconds []Second) (from, to float64, ok bool) {
	var p50 []float64
	for _, s := range seconds {
		if s.Load.Latency.Count > 0 {
			p50 = append(p50, s.Load.Latency.P50)
		}
	}
	if len(p50) < risingMinSeconds {
		return 0, 0, false
	}
	third := len(p50) / 3
	from, to = median(p50[:third]), median(p50[len(p50)-third:])
	floor := float64(risingFloor) / float64(time.Millisecond)
	return from, to, to-from > math.Max(risingFraction*from, floor)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func utilization(seconds []Second, f func(Second) float64) lab.Utilization {
	var u lab.Utilization
	for _, s := range seconds {
		v := f(s)
		u.Avg += v
		u.Max = math.Max(u.Max, v)
	}
	if len(seconds) > 0 {
		u.Avg /= float64(len(seconds))
	}
	return u
}

// quantiles are the fraction of requests at or below each latency
// metric: a bound on it breaks once more than 1 - q of them exceed it.
var quantiles = map[string]float64{
	scenarios.MetricP50: 0.50, scenarios.MetricP90: 0.90, scenarios.MetricP95: 0.95,
	scenarios.MetricP99: 0.99, scenarios.MetricLatencyMax: 1,
}

// Decided reports whether a step has already broken, before its steady
// window ends: enough requests of the window have exceeded a latency
// bound, or failed, that the bound cannot hold over the whole window
// whatever the rest do. expected bounds the requests the window will
// count (the rate x the step's length). From each second's percentiles
// it takes the fewest requests that can have exceeded a bound (more than
// half when its p50 did, more than 10% when its p90 did, ...), so it
// never decides a step that could still hold.
func Decided(slo []scenarios.Threshold, expected float64, seconds []Second) (string, bool) {
	for _, th := range slo {
		if th.Op != "<" && th.Op != "<=" {
			continue
		}
		if th.Metric == scenarios.MetricErrorRate {
			var errs float64
			for _, s := range seconds {
				errs += float64(s.Load.ErrorCount())
			}
			if 100*errs/expected > th.Value {
				return fmt.Sprintf("%.0f errors of at most %.0f requests: %s cannot hold", errs, expected, th.Expr), true
			}
			continue
		}
		q, ok := quantiles[th.Metric]
		if !ok {
			continue
		}
		var over float64
		for _, s := range seconds {
			over += overBound(s.Load.Latency, th)
		}
		if over > (1-q)*expected {
			return fmt.Sprintf("%.0f of at most %.0f requests over %s: %s cannot hold", over, expected, format.Latency(th.Value), th.Expr), true
		}
	}
	return "", false
}

// overBound is the fewest responses of a second that exceeded the
// threshold's latency bound, as its percentiles show: a percentile q
// above the bound means more than (1 - q) of them did.
func overBound(p load.Percentiles, th scenarios.Threshold) float64 {
	n := float64(p.Count)
	// The histogram reports a bucket's bound, up to 0.1% above the value.
	exceeds := func(v float64) bool { return !th.Check(v / 1.001) }
	switch {
	case n == 0:
		return 0
	case exceeds(p.P50):
		return math.Floor(n*0.5) + 1
	case exceeds(p.P90):
		return math.Floor(n*0.1) + 1
	case exceeds(p.P95):
		return math.Floor(n*0.05) + 1
	case exceeds(p.P99):
		return math.Floor(n*0.01) + 1
	case exceeds(p.Max):
		return 1
	}
	return 0
}
