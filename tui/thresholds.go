package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// thresholdBoard shows the entry's thresholds with their live state,
// evaluated by lab.Evaluate on a summary built from the snapshots so far,
// and their final outcome once the entry is done.
//
// The live summary is exact for rates, error rate, utilization and
// stopped tasks. Per-second windows do not add up to percentiles, so a
// latency percentile is the highest of the windows' (an upper bound of
// the entry's: no window had more than 1% of its requests above its p99,
// so neither has the whole) and shows with a "≤".
type thresholdBoard struct {
	defs  []scenarios.Threshold
	live  lab.EntrySummary
	cpu   utilization
	mem   utilization
	final []lab.ThresholdOutcome // nil while the entry runs
}

type utilization struct{ sum, max, n float64 }

func (u *utilization) add(v float64) {
	u.sum += v
	u.max = math.Max(u.max, v)
	u.n++
}

func (u utilization) result() lab.Utilization {
	if u.n == 0 {
		return lab.Utilization{}
	}
	return lab.Utilization{Avg: u.sum / u.n, Max: u.max}
}

func (b *thresholdBoard) reset(defs []scenarios.Threshold) {
	*b = thresholdBoard{defs: defs, live: lab.EntrySummary{Errors: map[string]int64{}}}
}

func (b *thresholdBoard) add(s lab.Snapshot) {
	if b.final != nil || s.Phase == "tail" {
		return // the summary covers the load phases only
	}
	e := &b.live
	w := s.Load
	e.OK += int64(w.OK)
	e.Requests += int64(w.OK + w.ErrorCount())
	for k, n := range w.Errors {
		e.Errors[k] += int64(n)
	}
	if e.Requests > 0 {
		e.ErrorRate = float64(e.Requests-e.OK) / float64(e.Requests)
	}
	e.LoadSeconds = math.Min(s.Elapsed.Seconds(), s.Total.Seconds())
	if e.LoadSeconds > 0 {
		e.OfferedRPS = float64(e.Requests) / e.LoadSeconds
		e.AchievedRPS = float64(e.OK) / e.LoadSeconds
	}
	if w.Latency.Count > 0 {
		l := &e.LatencyMS
		l.P50 = math.Max(l.P50, w.Latency.P50)
		l.P90 = math.Max(l.P90, w.Latency.P90)
		l.P95 = math.Max(l.P95, w.Latency.P95)
		l.P99 = math.Max(l.P99, w.Latency.P99)
		l.Max = math.Max(l.Max, w.Latency.Max)
	}
	if s.Service.Running > 0 {
		b.cpu.add(s.Service.CPUPct)
		b.mem.add(s.Service.MemPct)
		e.CPUUtilization = b.cpu.result()
		e.MemoryUtilization = b.mem.result()
	}
}

func (b *thresholdBoard) event(ev lab.Event) {
	if stop, ok := ev.Data.(lab.TaskStopped); ok && !stop.ByLab {
		b.live.Tasks.Stopped++
	}
}

func (b *thresholdBoard) done(es lab.EntrySummary) {
	b.final = es.Thresholds
	if b.final == nil {
		b.final = []lab.ThresholdOutcome{}
	}
}

// view is one line: each threshold with ✓ or ✗ and its value.
func (b *thresholdBoard) view(w int, st Styles) string {
	if len(b.defs) == 0 {
		return ""
	}
	label := "thresholds (live):"
	outcomes := b.final
	if outcomes == nil {
		outcomes = lab.Evaluate(b.live, b.defs)
	} else {
		label = "thresholds (entry result):"
	}
	parts := make([]string, len(outcomes))
	for i, o := range outcomes {
		value := format.OneDecimal(o.Value)
		if b.final == nil && i < len(b.defs) && isPercentile(b.defs[i].Metric) {
			value = "≤" + value
		}
		if b.final == nil && b.live.Requests == 0 {
			value = "pending"
		}
		mark, style := "✓", st.OK
		if !o.OK {
			mark, style = "✗", st.Bad
		}
		if value == "pending" {
			mark, style = "·", st.Dim
		}
		parts[i] = style.Render(mark+" "+o.Expr) + st.Dim.Render(fmt.Sprintf(" (%s)", value))
	}
	return fit(st.Dim.Render(label)+" "+strings.Join(parts, "  "), w)
}

func isPercentile(metric string) bool {
	switch metric {
	case scenarios.MetricP50, scenarios.MetricP90, scenarios.MetricP95, scenarios.MetricP99:
		return true
	}
	return false
}
