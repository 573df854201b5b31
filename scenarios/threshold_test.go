package scenarios

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseThreshold(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want Threshold // Expr is filled in from expr
	}{
		{"p99 < 500ms", Threshold{Metric: "p99", Op: "<", Value: 500, Unit: "ms"}},
		{"p50<=2s", Threshold{Metric: "p50", Op: "<=", Value: 2000, Unit: "s"}},
		{"  max  >  0.25 s ", Threshold{Metric: "max", Op: ">", Value: 250, Unit: "s"}},
		{"p95 == 100ms", Threshold{Metric: "p95", Op: "==", Value: 100, Unit: "ms"}},
		{"p90 != 1ms", Threshold{Metric: "p90", Op: "!=", Value: 1, Unit: "ms"}},
		{"error_rate < 1%", Threshold{Metric: "error_rate", Op: "<", Value: 1, Unit: "%"}},
		{"error_rate <= 0.5 %", Threshold{Metric: "error_rate", Op: "<=", Value: 0.5, Unit: "%"}},
		{"achieved_rps >= 4.9", Threshold{Metric: "achieved_rps", Op: ">=", Value: 4.9}},
		{"offered_rps > 10", Threshold{Metric: "offered_rps", Op: ">", Value: 10}},
		{"cpu_avg < 80", Threshold{Metric: "cpu_avg", Op: "<", Value: 80}},
		{"cpu_max <= 95%", Threshold{Metric: "cpu_max", Op: "<=", Value: 95, Unit: "%"}},
		{"mem_avg < 50%", Threshold{Metric: "mem_avg", Op: "<", Value: 50, Unit: "%"}},
		{"cpu_utilization.avg < 70", Threshold{Metric: "cpu_avg", Op: "<", Value: 70}},
		{"memory_utilization.max < 90%", Threshold{Metric: "mem_max", Op: "<", Value: 90, Unit: "%"}},
		{"latency_ms.p99 < 300ms", Threshold{Metric: "p99", Op: "<", Value: 300, Unit: "ms"}},
		{"tasks_stopped == 0", Threshold{Metric: "tasks_stopped", Op: "==", Value: 0}},
	} {
		got, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Errorf("ParseThreshold(%q): %v", tc.expr, err)
			continue
		}
		tc.want.Expr = tc.expr
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseThreshold(%q) (-want +got):\n%s", tc.expr, diff)
		}
	}
}

func TestParseThresholdErrors(t *testing.T) {
	for _, tc := range []struct {
		expr, want string
		column     int // of the problem in expr, 0-based
	}{
		{"", `threshold "": empty; write METRIC OP VALUE, e.g. "p99 < 500ms"`, 0},
		{"< 5", `threshold "< 5": expected a metric name, e.g. "p99 < 500ms"`, 0},
		{"p98 < 1s", `threshold "p98 < 1s": unknown metric "p98"; did you mean "p90"? (metrics: p50, p90, p95, p99, max, error_rate, achieved_rps, offered_rps, cpu_avg, cpu_max, mem_avg, mem_max, tasks_stopped)`, 0},
		{"latency < 1s", `threshold "latency < 1s": unknown metric "latency" (metrics: p50, p90, p95, p99, max, error_rate, achieved_rps, offered_rps, cpu_avg, cpu_max, mem_avg, mem_max, tasks_stopped)`, 0},
		{"p99 500ms", `threshold "p99 500ms": expected an operator (<, <=, >, >=, ==, !=) after p99`, 4},
		{"p99 = 500ms", `threshold "p99 = 500ms": = is not an operator; use == to test equality`, 4},
		{"p99 =< 500ms", `threshold "p99 =< 500ms": =< is not an operator; did you mean <=?`, 4},
		{"p99 <", `threshold "p99 <": expected a number after <`, 5},
		{"p99 < fast", `threshold "p99 < fast": expected a number after <`, 6},
		{"p99 < -5ms", `threshold "p99 < -5ms": the value must not be negative`, 6},
		{"p99 < 500", `threshold "p99 < 500": p99 needs a unit: ms or s (e.g. 500ms)`, 6},
		{"p99 < 500us", `threshold "p99 < 500us": p99 takes ms or s, not "us"`, 9},
		{"p99 < 500ms and p90 < 1s", `threshold "p99 < 500ms and p90 < 1s": unexpected "and p90 < 1s" after the value; write one expression per list item`, 12},
		{"error_rate < 0.01", `threshold "error_rate < 0.01": error_rate needs %: write 1% if 0.01 is a fraction (a bare number could mean either)`, 13},
		{"error_rate < 2", `threshold "error_rate < 2": error_rate needs %: write 2%`, 13},
		{"error_rate < 2ms", `threshold "error_rate < 2ms": error_rate takes %, not "ms"`, 14},
		{"achieved_rps >= 4.9rps", `threshold "achieved_rps >= 4.9rps": achieved_rps is a plain number of requests per second: write 4.9, without "rps"`, 19},
		{"cpu_avg < 80ms", `threshold "cpu_avg < 80ms": cpu_avg is a percentage of the task size: write 80%, not "ms"`, 12},
		{"tasks_stopped < 1.5", `threshold "tasks_stopped < 1.5": tasks_stopped is a whole number of tasks, not 1.5`, 16},
		{"tasks_stopped < 1%", `threshold "tasks_stopped < 1%": tasks_stopped is a plain count: write 1, without "%"`, 17},
	} {
		_, err := ParseThreshold(tc.expr)
		if err == nil {
			t.Errorf("ParseThreshold(%q) parses, want %q", tc.expr, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseThreshold(%q) =\n  %s\nwant\n  %s", tc.expr, err, tc.want)
		}
		if ee, ok := err.(*exprError); !ok {
			t.Errorf("ParseThreshold(%q): error is %T, want *exprError", tc.expr, err)
		} else if ee.column() != tc.column {
			t.Errorf("ParseThreshold(%q): column %d, want %d", tc.expr, ee.column(), tc.column)
		}
	}
}

func TestThresholdCheck(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		value float64 // canonical unit
		want  bool
	}{
		{"achieved_rps >= 4.9", 4.9, true},
		{"achieved_rps >= 4.9", 3.12, false},
		{"p99 < 2s", 1999, true},
		{"p99 < 2s", 2000, false},
		{"error_rate <= 1%", 1, true},
		{"tasks_stopped == 0", 0, true},
		{"tasks_stopped != 0", 0, false},
		{"cpu_max > 90", 95, true},
	} {
		th, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Check(tc.value); got != tc.want {
			t.Errorf("%q.Check(%g) = %v, want %v", tc.expr, tc.value, got, tc.want)
		}
	}
	th, _ := ParseThreshold("p99 < 2s")
	if got := th.InUnit(1500); got != 1.5 {
		t.Errorf("InUnit(1500 ms) of %q = %g, want 1.5 (s)", th.Expr, got)
	}
}
