package lab

import (
	"errors"
	"fmt"

	"github.com/ecslab/lab/scenarios"
)

// metricValues read each threshold metric off an entry's summary, in the
// metric's canonical unit (ms for latencies, percent for rates and
// utilizations).
var metricValues = map[string]func(EntrySummary) float64{
	scenarios.MetricP50:          func(s EntrySummary) float64 { return s.LatencyMS.P50 },
	scenarios.MetricP90:          func(s EntrySummary) float64 { return s.LatencyMS.P90 },
	scenarios.MetricP95:          func(s EntrySummary) float64 { return s.LatencyMS.P95 },
	scenarios.MetricP99:          func(s EntrySummary) float64 { return s.LatencyMS.P99 },
	scenarios.MetricLatencyMax:   func(s EntrySummary) float64 { return s.LatencyMS.Max },
	scenarios.MetricErrorRate:    func(s EntrySummary) float64 { return 100 * s.ErrorRate },
	scenarios.MetricAchievedRPS:  func(s EntrySummary) float64 { return s.AchievedRPS },
	scenarios.MetricOfferedRPS:   func(s EntrySummary) float64 { return s.OfferedRPS },
	scenarios.MetricCPUAvg:       func(s EntrySummary) float64 { return s.CPUUtilization.Avg },
	scenarios.MetricCPUMax:       func(s EntrySummary) float64 { return s.CPUUtilization.Max },
	scenarios.MetricMemAvg:       func(s EntrySummary) float64 { return s.MemoryUtilization.Avg },
	scenarios.MetricMemMax:       func(s EntrySummary) float64 { return s.MemoryUtilization.Max },
	scenarios.MetricTasksStopped: func(s EntrySummary) float64 { return float64(s.Tasks.Stopped) },
}

// MetricValue is the value of a threshold metric on an entry, in the
// metric's canonical unit (ms for latencies, percent for rates and
// utilizations).
func MetricValue(s EntrySummary, metric string) (float64, error) {
	value, ok := metricValues[metric]
	if !ok {
		return 0, fmt.Errorf("unknown threshold metric %q", metric)
	}
	switch metric {
	case scenarios.MetricCPUAvg, scenarios.MetricCPUMax:
		if s.CPUUtilization.NoData {
			return 0, errNoData
		}
	case scenarios.MetricMemAvg, scenarios.MetricMemMax:
		if s.MemoryUtilization.NoData {
			return 0, errNoData
		}
	}
	return value(s), nil
}

// errNoData is the value of a utilization metric that had no datapoint:
// its thresholds fail.
var errNoData = errors.New(ReasonNoData)

// Evaluate checks every threshold on an entry. Each outcome's value is in
// the unit the expression was written in ("p99 < 1s" reports seconds).
// An entry that sent no request, or was interrupted, passes none: "p99 <
// 500ms" must not hold over nothing, nor over the part of a load that ran.
func Evaluate(s EntrySummary, thresholds []scenarios.Threshold) []ThresholdOutcome {
	out := make([]ThresholdOutcome, 0, len(thresholds))
	for _, th := range thresholds {
		o := ThresholdOutcome{Expr: th.Expr}
		v, err := MetricValue(s, th.Metric)
		switch {
		case s.Interrupted:
			o.Reason = ReasonInterrupted
		case s.Requests == 0 || errors.Is(err, errNoData):
			o.Reason = ReasonNoData
		case err == nil:
			o.OK = th.Check(v)
			o.Value = round(th.InUnit(v), 3)
		}
		out = append(out, o)
	}
	return out
}

// allOK reports whether every outcome passed.
func allOK(outcomes []ThresholdOutcome) bool {
	for _, o := range outcomes {
		if !o.OK {
			return false
		}
	}
	return true
}
