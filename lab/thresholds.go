package lab

import (
	"fmt"

	"github.com/ecslab/lab/scenarios"
)

// MetricValue is the value of a threshold metric on an entry, in the
// metric's canonical unit (ms for latencies, percent for rates and
// utilizations).
func MetricValue(s EntrySummary, metric string) (float64, error) {
	switch metric {
	case "p50":
		return s.LatencyMS.P50, nil
	case "p90":
		return s.LatencyMS.P90, nil
	case "p95":
		return s.LatencyMS.P95, nil
	case "p99":
		return s.LatencyMS.P99, nil
	case "max":
		return s.LatencyMS.Max, nil
	case "error_rate":
		return 100 * s.ErrorRate, nil
	case "achieved_rps":
		return s.AchievedRPS, nil
	case "offered_rps":
		return s.OfferedRPS, nil
	case "cpu_avg":
		return s.CPUUtilization.Avg, nil
	case "cpu_max":
		return s.CPUUtilization.Max, nil
	case "mem_avg":
		return s.MemoryUtilization.Avg, nil
	case "mem_max":
		return s.MemoryUtilization.Max, nil
	case "tasks_stopped":
		return float64(s.Tasks.Stopped), nil
	}
	return 0, fmt.Errorf("unknown threshold metric %q", metric)
}

// Evaluate checks every threshold on an entry. Each outcome's value is in
// the unit the expression was written in ("p99 < 1s" reports seconds).
func Evaluate(s EntrySummary, thresholds []scenarios.Threshold) []ThresholdOutcome {
	out := make([]ThresholdOutcome, 0, len(thresholds))
	for _, th := range thresholds {
		v, err := MetricValue(s, th.Metric)
		out = append(out, ThresholdOutcome{
			Expr:  th.Expr,
			OK:    err == nil && th.Check(v),
			Value: round(th.InUnit(v), 3),
		})
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
