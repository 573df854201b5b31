package autoscale

import (
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// TestDecisionString: a decision on one line, as logs and tests show it.
func TestDecisionString(t *testing.T) {
	held := Decision{
		Time: t0, Direction: Out, From: 2, To: 3, Policy: "cpu", Metric: "cpu",
		Datapoints: []float64{87.51234, 90, 88}, Target: 60, Formula: "ceil(2 x 88 / 60) = 3",
		Held: true, Reason: ReasonCooldown, Note: "scale-out cooldown, 20s left",
	}
	if got := held.String(); got != "held(cooldown) out 2->3 cpu: ceil(2 x 88 / 60) = 3" {
		t.Errorf("String() = %q", got)
	}
}

// TestNewErrors: a configuration the scaler cannot run is an error, not a
// silent no-op.
func TestNewErrors(t *testing.T) {
	ok := tracking("cpu", scenarios.MetricCPU, 60)
	tests := []struct {
		name string
		cfg  scenarios.Autoscaling
		want string
	}{
		{"no policies", config(1, 5), "no policies"},
		{"max below min", config(3, 2, ok), "max 2"},
		{"max 0", config(0, 0, ok), "max 0"},
		{"negative min", config(-1, 2, ok), "min -1"},
		{"zero target", config(1, 5, tracking("cpu", scenarios.MetricCPU, 0)), "target 0"},
		{"unknown metric", config(1, 5, tracking("x", "latency", 60)), `metric "latency"`},
		{"neither kind", config(1, 5, scenarios.Policy{Name: "p"}), "exactly one"},
		{"no steps", config(1, 5, stepPolicy(">", 70, scenarios.ChangeInCapacity, nil)), "at least one step"},
		{"bad comparison", config(1, 5, stepPolicy("=", 70, scenarios.ChangeInCapacity, aboveSteps)), "comparison"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestNewDefaults: zero periods and datapoint counts take AWS's values;
// names default as the loader's do.
func TestNewDefaults(t *testing.T) {
	s, err := New(scenarios.Autoscaling{Min: 1, Max: 5, Policies: []scenarios.Policy{
		{TargetTracking: &scenarios.TargetTracking{Metric: scenarios.MetricCPU, Target: 60}},
	}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Period() != time.Minute {
		t.Errorf("period %s, want 1m", s.Period())
	}
	tt := s.policies[0].(*targetTracking)
	if tt.high != 3 || tt.low != 15 || tt.name != "cpu-target-tracking" {
		t.Errorf("got high %d low %d name %q", tt.high, tt.low, tt.name)
	}
	// 3 one-minute datapoints above the target: out at 3 minutes.
	var got []Decision
	for sec := 1; sec <= 180; sec++ {
		got = append(got, s.Observe(Sample{Time: t0.Add(time.Duration(sec) * time.Second), CPUPct: 90, Running: 1, Desired: 1})...)
	}
	if len(got) != 1 || got[0].Time != t0.Add(3*time.Minute) || got[0].To != 2 {
		t.Errorf("got %v, want out 1->2 at 3m", got)
	}
}
