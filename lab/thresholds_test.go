package lab

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ecslab/lab/scenarios"
)

// TestMetricValueReadsSummaryFigures checks that every metric a threshold
// accepts reads the summary.json figure it names, and that the evaluator
// knows no metric the parser does not.
func TestMetricValueReadsSummaryFigures(t *testing.T) {
	s := EntrySummary{
		ErrorRate: 0.0125, OfferedRPS: 10.5, AchievedRPS: 9.5,
		LatencyMS:         Latency{P50: 11, P90: 12, P95: 13, P99: 14, Max: 15},
		CPUUtilization:    Utilization{Avg: 21, Max: 22},
		MemoryUtilization: Utilization{Avg: 31, Max: 32},
		Tasks:             Tasks{Started: 4, Stopped: 3},
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// Where each metric's figure is in summary.json, and its scale to the
	// metric's canonical unit.
	figures := map[string]struct {
		path  string
		scale float64
	}{
		"p50": {"latency_ms.p50", 1}, "p90": {"latency_ms.p90", 1}, "p95": {"latency_ms.p95", 1},
		"p99": {"latency_ms.p99", 1}, "max": {"latency_ms.max", 1},
		"error_rate":   {"error_rate", 100},
		"achieved_rps": {"achieved_rps", 1}, "offered_rps": {"offered_rps", 1},
		"cpu_avg": {"cpu_utilization.avg", 1}, "cpu_max": {"cpu_utilization.max", 1},
		"mem_avg": {"memory_utilization.avg", 1}, "mem_max": {"memory_utilization.max", 1},
		"tasks_stopped": {"tasks.stopped", 1},
	}
	if len(figures) != len(scenarios.ThresholdMetrics()) || len(metricValues) != len(figures) {
		t.Errorf("%d metrics parse, %d evaluate, %d in this test", len(scenarios.ThresholdMetrics()), len(metricValues), len(figures))
	}
	for _, m := range scenarios.ThresholdMetrics() {
		f, ok := figures[m]
		if !ok {
			t.Errorf("metric %s: not in this test", m)
			continue
		}
		var at any = doc
		for _, key := range strings.Split(f.path, ".") {
			at = at.(map[string]any)[key]
		}
		got, err := MetricValue(s, m)
		if want := at.(float64) * f.scale; err != nil || got != want {
			t.Errorf("MetricValue(%s) = %g, %v; want %s = %g", m, got, err, f.path, want)
		}
	}
	if _, err := MetricValue(s, "p98"); err == nil {
		t.Error("MetricValue(p98) has no error")
	}
}

// A threshold over nothing must not hold: "p99 < 500ms" on an entry that
// sent no request, or was interrupted, fails and says why.
func TestEvaluateFailsWithoutData(t *testing.T) {
	var ths []scenarios.Threshold
	for _, expr := range []string{"p99 < 500ms", "error_rate < 1%", "tasks_stopped == 0", "achieved_rps >= 0"} {
		th, err := scenarios.ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		ths = append(ths, th)
	}
	judged := EntrySummary{Requests: 100, OK: 100, AchievedRPS: 10, LatencyMS: Latency{P99: 20}}
	for _, o := range Evaluate(judged, ths) {
		if !o.OK || o.Reason != "" {
			t.Errorf("entry with data: %+v, want ok", o)
		}
	}
	for name, c := range map[string]struct {
		s      EntrySummary
		reason string
	}{
		"no request":  {EntrySummary{}, ReasonNoData},
		"interrupted": {EntrySummary{Requests: 100, OK: 100, Interrupted: true}, ReasonInterrupted},
	} {
		for _, o := range Evaluate(c.s, ths) {
			if o.OK || o.Reason != c.reason {
				t.Errorf("%s: %+v, want failed with %q", name, o, c.reason)
			}
		}
	}
}
