package autoscale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

// stepPolicy is a step scaling policy on cpu named "step" with one
// datapoint and no cooldown; opts adjust it.
func stepPolicy(cmpOp string, threshold float64, typ string, steps []scenarios.Step, opts ...func(*scenarios.StepScaling)) scenarios.Policy {
	st := &scenarios.StepScaling{
		Metric: scenarios.MetricCPU, Comparison: cmpOp, Threshold: threshold,
		Datapoints: 1, AdjustmentType: typ, Steps: steps,
	}
	for _, o := range opts {
		o(st)
	}
	return scenarios.Policy{Name: "step", StepScaling: st}
}

func stepCooldown(d time.Duration) func(*scenarios.StepScaling) {
	return func(s *scenarios.StepScaling) { s.Cooldown = d }
}

func stepDatapoints(n int) func(*scenarios.StepScaling) {
	return func(s *scenarios.StepScaling) { s.Datapoints = n }
}

func minMagnitude(n int) func(*scenarios.StepScaling) {
	return func(s *scenarios.StepScaling) { s.MinAdjustmentMagnitude = n }
}

var (
	// above: cpu > 70; [0, 10) adds 1, [10, +inf) adds 3.
	aboveSteps = []scenarios.Step{{Lower: f(0), Upper: f(10), Adjustment: 1}, {Lower: f(10), Adjustment: 3}}
	// below: cpu < 30; (-inf, -10] removes 2, (-10, 0] removes 1.
	belowSteps = []scenarios.Step{{Upper: f(-10), Adjustment: -2}, {Lower: f(-10), Upper: f(0), Adjustment: -1}}
)

// TestStepScaling: the alarm, the step chosen by the metric's distance
// from the threshold (bounds inclusive on the side nearer the threshold),
// each adjustment type, the cooldown.
func TestStepScaling(t *testing.T) {
	tests := []struct {
		name    string
		policy  scenarios.Policy
		desired int
		periods []gen
		want    []string
	}{
		{
			name:    "change in capacity, first step",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 2, periods: times(1, cpu(75)),
			want: []string{"p1 step out 2->3"},
		},
		{
			name:    "above the threshold the lower bound is inclusive",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 2, periods: times(1, cpu(80)),
			want: []string{"p1 step out 2->5"},
		},
		{
			name:    "> does not fire at the threshold",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 2, periods: times(3, cpu(70)),
			want: []string{},
		},
		{
			name:    ">= fires at the threshold, in the step starting at 0",
			policy:  stepPolicy(">=", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 2, periods: times(1, cpu(70)),
			want: []string{"p1 step out 2->3"},
		},
		{
			name:    "below the threshold the upper bound is inclusive",
			policy:  stepPolicy("<", 30, scenarios.ChangeInCapacity, belowSteps),
			desired: 5, periods: times(1, cpu(20)),
			want: []string{"p1 step in 5->3"},
		},
		{
			name:    "below, the step nearer the threshold",
			policy:  stepPolicy("<", 30, scenarios.ChangeInCapacity, belowSteps),
			desired: 5, periods: times(1, cpu(25)),
			want: []string{"p1 step in 5->4"},
		},
		{
			name:    "<= fires at the threshold, in the step ending at 0",
			policy:  stepPolicy("<=", 30, scenarios.ChangeInCapacity, belowSteps),
			desired: 5, periods: times(1, cpu(30)),
			want: []string{"p1 step in 5->4"},
		},
		{
			name:    "the alarm needs all its datapoints",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps, stepDatapoints(2)),
			desired: 2, periods: cat(times(1, cpu(75)), times(1, cpu(60)), times(1, cpu(75)), times(1, noTasks()), times(2, cpu(75))),
			want: []string{"p6 step out 2->3"},
		},
		{
			name:    "exact capacity, up",
			policy:  stepPolicy(">", 70, scenarios.ExactCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 4}}),
			desired: 2, periods: times(2, cpu(90)),
			want: []string{"p1 step out 2->4"}, // at 4 there is nothing left to do
		},
		{
			name:    "exact capacity below the count scales in",
			policy:  stepPolicy(">", 70, scenarios.ExactCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 4}}),
			desired: 6, periods: times(1, cpu(90)),
			want: []string{"p1 step in 6->4"},
		},
		{
			name:    "percent change: 50% of 3 = 1.5 rounds down to 1",
			policy:  stepPolicy(">", 70, scenarios.PercentChangeInCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 50}}),
			desired: 3, periods: times(1, cpu(90)),
			want: []string{"p1 step out 3->4"},
		},
		{
			name:    "percent change: -30% of 2 = -0.6 rounds to -1",
			policy:  stepPolicy("<", 30, scenarios.PercentChangeInCapacity, []scenarios.Step{{Upper: f(0), Adjustment: -30}}),
			desired: 2, periods: times(1, cpu(10)),
			want: []string{"p1 step in 2->1"},
		},
		{
			name:    "percent change with min_adjustment_magnitude",
			policy:  stepPolicy(">", 70, scenarios.PercentChangeInCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 25}}, minMagnitude(2)),
			desired: 4, periods: times(1, cpu(90)),
			want: []string{"p1 step out 4->6"}, // 25% of 4 = 1, at least 2
		},
		{
			name:    "no step covers the distance: held, reason no_step",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, []scenarios.Step{{Lower: f(0), Upper: f(10), Adjustment: 1}}),
			desired: 2, periods: times(1, cpu(85)),
			want: []string{"p1 step held(no_step) out 2->2"},
		},
		{
			name:    "the step alarm re-fires every period while in ALARM",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 2, periods: times(3, cpu(75)),
			want: []string{"p1 step out 2->3", "p2 step out 3->4", "p3 step out 4->5"},
		},
		{
			name:    "cooldown: the capacity added counts; a larger step adds only the difference",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, []scenarios.Step{{Lower: f(0), Upper: f(10), Adjustment: 2}, {Lower: f(10), Adjustment: 3}}, stepCooldown(60*time.Second)),
			desired: 2, periods: cat(times(2, cpu(75)), times(1, cpu(85))),
			want: []string{
				"p1 step out 2->4",
				"p2 step held(cooldown) out 4->4", // 2 + 2: already there
				"p3 step out 4->5",                // 2 + 3: one more
			},
		},
		{
			name:    "cooldown: scale-in waits",
			policy:  stepPolicy("<", 30, scenarios.ChangeInCapacity, belowSteps, stepCooldown(30*time.Second)),
			desired: 6, periods: times(4, cpu(25)),
			want: []string{"p1 step in 6->5", "p2 step held(cooldown) in 5->4", "p3 step held(cooldown) in 5->4", "p4 step in 5->4"},
		},
		{
			name:    "max",
			policy:  stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps),
			desired: 8, periods: times(2, cpu(90)),
			want: []string{"p1 step out 8->10", "p2 step held(max) out 10->13"},
		},
		{
			name:    "min",
			policy:  stepPolicy("<", 30, scenarios.ChangeInCapacity, belowSteps),
			desired: 2, periods: times(2, cpu(5)),
			want: []string{"p1 step in 2->1", "p2 step held(min) in 1->0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, config(1, 10, tc.policy))
			got := summary(drive(t, s, tc.desired, tc.periods))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStepNumbers checks the formula and note each adjustment type writes.
func TestStepNumbers(t *testing.T) {
	tests := []struct {
		name          string
		policy        scenarios.Policy
		desired       int
		formula, note string
	}{
		{
			"change", stepPolicy(">", 70, scenarios.ChangeInCapacity, aboveSteps), 2,
			"2 + 3 = 5", "metric 85 - threshold 70 = 15, in step [10, +inf): +3 change in capacity",
		},
		{
			"exact", stepPolicy(">", 70, scenarios.ExactCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 4}}), 2,
			"exact capacity 4", "metric 85 - threshold 70 = 15, in step [0, +inf): exact capacity 4",
		},
		{
			"percent", stepPolicy(">", 70, scenarios.PercentChangeInCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 50}}), 3,
			"3 + 1 = 4 (50% of 3 = 1.5, rounded to 1)", "metric 85 - threshold 70 = 15, in step [0, +inf): +50% change in capacity",
		},
		{
			"percent with min magnitude", stepPolicy(">", 70, scenarios.PercentChangeInCapacity, []scenarios.Step{{Lower: f(0), Adjustment: 25}}, minMagnitude(2)), 4,
			"4 + 2 = 6 (25% of 4 = 1, raised to the min adjustment magnitude 2)", "metric 85 - threshold 70 = 15, in step [0, +inf): +25% change in capacity",
		},
		{
			"below", stepPolicy("<", 90, scenarios.ChangeInCapacity, belowSteps), 5,
			"5 - 1 = 4", "metric 85 - threshold 90 = -5, in step (-10, 0]: -1 change in capacity",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, config(1, 10, tc.policy))
			got := decisions(drive(t, s, tc.desired, times(1, cpu(85))))
			if len(got) != 1 {
				t.Fatalf("got %v, want one decision", got)
			}
			if got[0].Formula != tc.formula || got[0].Note != tc.note {
				t.Errorf("got formula %q note %q\nwant formula %q note %q", got[0].Formula, got[0].Note, tc.formula, tc.note)
			}
			if got[0].Target != tc.policy.StepScaling.Threshold || !cmp.Equal(got[0].Datapoints, []float64{85}) {
				t.Errorf("target %g datapoints %v", got[0].Target, got[0].Datapoints)
			}
		})
	}
}

// TestPercentChange is the documented rounding of PercentChangeInCapacity:
// above 1 rounds down, between 0 and 1 rounds to 1, between -1 and 0
// rounds to -1, below -1 rounds up; then min_adjustment_magnitude.
func TestPercentChange(t *testing.T) {
	tests := []struct {
		c, pct, minMagnitude int
		want                 int
	}{
		{4, 50, 0, 2},    // 2
		{3, 50, 0, 1},    // 1.5 -> 1
		{10, 33, 0, 3},   // 3.3 -> 3
		{10, 100, 0, 10}, // 10
		{1, 50, 0, 1},    // 0.5 -> 1
		{1, 100, 0, 1},   // 1
		{1, -50, 0, -1},  // -0.5 -> -1
		{3, -50, 0, -1},  // -1.5 -> -1
		{5, -50, 0, -2},  // -2.5 -> -2
		{10, -33, 0, -3}, // -3.3 -> -3
		{4, 25, 2, 2},    // 1, raised to 2
		{4, -25, 2, -2},  // -1, raised to -2
		{10, 50, 2, 5},   // 5 is more than 2
		{0, 50, 0, 0},    // nothing to take a percentage of
	}
	for _, tc := range tests {
		if got, _ := percentChange(tc.c, tc.pct, tc.minMagnitude); got != tc.want {
			t.Errorf("percentChange(%d, %d%%, min %d) = %d, want %d", tc.c, tc.pct, tc.minMagnitude, got, tc.want)
		}
	}
}

// TestFindStep: bounds inclusive on the side nearer the threshold.
func TestFindStep(t *testing.T) {
	steps := []scenarios.Step{
		{Upper: f(-10), Adjustment: -2},
		{Lower: f(-10), Upper: f(0), Adjustment: -1},
		{Lower: f(0), Upper: f(10), Adjustment: 1},
		{Lower: f(10), Adjustment: 2},
	}
	tests := []struct {
		diff  float64
		above bool
		want  int
	}{
		{-20, false, -2}, {-10, false, -2}, {-9.9, false, -1}, {0, false, -1},
		{0, true, 1}, {9.9, true, 1}, {10, true, 2}, {50, true, 2},
	}
	for _, tc := range tests {
		i, ok := findStep(steps, tc.diff, tc.above)
		if !ok || steps[i].Adjustment != tc.want {
			t.Errorf("findStep(%g, above %v) = step %d (%v), want adjustment %d", tc.diff, tc.above, i, ok, tc.want)
		}
	}
}
