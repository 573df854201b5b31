package lab

import (
	"maps"
	"math"

	"github.com/ecslab/lab/lab/load"
)

// liveLoad adds up the generator's one-second windows over the entry's
// load phases, for the summary so far that each snapshot carries.
// Counts, rates and the error rate add up exactly. Percentiles do not:
// a latency percentile is the highest of the windows', an upper bound
// of the entry's (no window had more than 1% of its requests above its
// p99, so neither has the whole).
type liveLoad struct {
	totals  load.Totals
	seconds float64 // of load so far
}

func (l *liveLoad) add(w load.Window, seconds float64) {
	t := &l.totals
	if t.Errors == nil {
		t.Errors = map[string]int64{}
	}
	t.OK += int64(w.OK)
	t.Requests += int64(w.OK + w.ErrorCount())
	for k, n := range w.Errors {
		t.Errors[k] += int64(n)
	}
	upperBound(&t.Latency, w.Latency)
	upperBound(&t.LatencyOK, w.LatencyOK)
	l.seconds = seconds
}

// upperBound raises each of p's percentiles to w's when w's is higher.
func upperBound(p *load.Percentiles, w load.Percentiles) {
	if w.Count == 0 {
		return
	}
	p.P50 = math.Max(p.P50, w.P50)
	p.P90 = math.Max(p.P90, w.P90)
	p.P95 = math.Max(p.P95, w.P95)
	p.P99 = math.Max(p.P99, w.P99)
	p.Max = math.Max(p.Max, w.Max)
	p.Count += w.Count
}

// liveSummary is the entry's summary so far, made as the final one is:
// tasks and scaling as counted until now, the load from liveLoad, and the
// thresholds evaluated on it. Passed and Interrupted are known at the end
// only.
func (x *entryRun) liveSummary() EntrySummary {
	x.r.mu.Lock()
	s := x.es
	s.Tasks.StoppedReasons = maps.Clone(x.es.Tasks.StoppedReasons)
	x.r.mu.Unlock()
	s.Errors = map[string]int64{}
	fillTotals(&s, x.live.totals, x.live.totals.OK, x.live.seconds)
	s.IntendedRPS = intendedRPS(x.phases, x.live.seconds)
	s.CPUUtilization = x.cpu.result()
	s.MemoryUtilization = x.mem.result()
	s.Thresholds = Evaluate(s, x.r.sc.Thresholds)
	return s
}
