package autoscale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

// TestSeveralPolicies: out if any policy says out (to the largest
// capacity); target tracking in only if every target tracking policy with
// scale-in enabled says in (to the largest, most conservative capacity); a
// step scale-in is not blocked by target tracking.
func TestSeveralPolicies(t *testing.T) {
	fast := []func(*scenarios.TargetTracking){outCooldown(0), inCooldown(0)}
	cpuTT := tracking("cpu", scenarios.MetricCPU, 60, fast...)
	memTT := tracking("mem", scenarios.MetricMemory, 60, fast...)
	memNoIn := tracking("mem", scenarios.MetricMemory, 60, append(fast, noScaleIn)...)
	cpuStepIn := scenarios.Policy{Name: "cpu-low", StepScaling: &scenarios.StepScaling{
		Metric: scenarios.MetricCPU, Comparison: "<", Threshold: 30, Datapoints: 1,
		AdjustmentType: scenarios.ChangeInCapacity, Cooldown: 0,
		Steps: []scenarios.Step{{Upper: f(0), Adjustment: -1}},
	}}
	cpuStepOut := scenarios.Policy{Name: "cpu-high", StepScaling: &scenarios.StepScaling{
		Metric: scenarios.MetricCPU, Comparison: ">", Threshold: 80, Datapoints: 1,
		AdjustmentType: scenarios.ChangeInCapacity, Cooldown: 0,
		Steps: []scenarios.Step{{Lower: f(0), Adjustment: 1}},
	}}
	tests := []struct {
		name     string
		policies []scenarios.Policy
		desired  int
		periods  []gen
		want     []string
	}{
		{
			name:     "one says out, the other in: out",
			policies: []scenarios.Policy{cpuTT, memTT},
			desired:  2,
			periods:  times(6, cpuMem(90, 10)),
			want:     []string{"p3 cpu out 2->3", "p4 cpu out 3->5", "p5 cpu out 5->8", "p6 cpu out 8->12"},
		},
		{
			name:     "both out: the largest",
			policies: []scenarios.Policy{cpuTT, memTT},
			desired:  2,
			periods:  times(3, cpuMem(90, 150)), // cpu wants 3, memory 5
			want:     []string{"p3 mem out 2->5"},
		},
		{
			name:     "both in: the largest capacity",
			policies: []scenarios.Policy{cpuTT, memTT},
			desired:  6,
			periods:  times(15, cpuMem(20, 40)), // cpu wants 2, memory 4
			want:     []string{"p15 mem in 6->4"},
		},
		{
			name:     "one in, the other within the band: held, reason policies",
			policies: []scenarios.Policy{cpuTT, memTT},
			desired:  6,
			periods:  times(16, cpuMem(20, 57)),
			want: []string{
				"p15 cpu held(policies) in 6->2",
				"p15 mem held(band) in 6->6",
				"p16 cpu held(policies) in 6->2",
			},
		},
		{
			name:     "one in, the other has no data: held, reason policies",
			policies: []scenarios.Policy{cpuTT, tracking("rt", scenarios.MetricResponseTime, 2000, fast...)},
			desired:  6,
			periods:  times(15, cpu(20)),
			want:     []string{"p15 cpu held(policies) in 6->2"},
		},
		{
			name:     "a policy with scale-in disabled does not block the other's scale-in",
			policies: []scenarios.Policy{cpuTT, memNoIn},
			desired:  6,
			periods:  times(15, cpuMem(20, 57)),
			want:     []string{"p15 cpu in 6->2"},
		},
		{
			name:     "a step scale-in is not blocked by target tracking",
			policies: []scenarios.Policy{tracking("mem", scenarios.MetricMemory, 60, fast...), cpuStepIn},
			desired:  4,
			periods:  times(2, cpuMem(20, 57)),
			want:     []string{"p1 cpu-low in 4->3", "p2 cpu-low in 3->2"},
		},
		{
			name:     "target tracking and step both in: the largest capacity",
			policies: []scenarios.Policy{cpuTT, cpuStepIn},
			desired:  6,
			periods:  cat(times(14, noTasks()), times(15, cpu(20))),
			want: append(
				[]string{"p15 cpu-low in 6->5", "p16 cpu-low in 5->4"},
				"p17 cpu-low in 4->3", "p18 cpu-low in 3->2", "p19 cpu-low in 2->1",
				"p20 cpu-low held(min) in 1->0", "p21 cpu-low held(min) in 1->0",
				"p22 cpu-low held(min) in 1->0", "p23 cpu-low held(min) in 1->0",
				"p24 cpu-low held(min) in 1->0", "p25 cpu-low held(min) in 1->0",
				"p26 cpu-low held(min) in 1->0", "p27 cpu-low held(min) in 1->0",
				"p28 cpu-low held(min) in 1->0",
				// the low alarm's 15th datapoint: cpu is held at min too
				"p29 cpu held(min) in 1->1", "p29 cpu-low held(min) in 1->0",
			),
		},
		{
			name:     "target tracking out and step out: the largest",
			policies: []scenarios.Policy{cpuTT, cpuStepOut},
			desired:  2,
			periods:  times(3, cpu(90)), // step: 2+1 at each period; tracking at p3: ceil(4 x 90/60) = 6
			want:     []string{"p1 cpu-high out 2->3", "p2 cpu-high out 3->4", "p3 cpu out 4->6"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, config(1, 20, tc.policies...))
			got := summary(drive(t, s, tc.desired, tc.periods))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPoliciesNote: a scale-in held by another policy names it.
func TestPoliciesNote(t *testing.T) {
	s := mustNew(t, config(1, 10,
		tracking("cpu", scenarios.MetricCPU, 60),
		tracking("mem", scenarios.MetricMemory, 60)))
	got := decisions(drive(t, s, 6, times(15, cpuMem(20, 58))))
	if len(got) != 2 || got[1].Reason != ReasonBand {
		t.Fatalf("got %v, want cpu held by policies and mem by the band", got)
	}
	want := "target tracking scales in only when all its policies are ready to; not ready: mem"
	if got[0].Reason != ReasonPolicies || got[0].Note != want {
		t.Errorf("got reason %q note %q, want %q %q", got[0].Reason, got[0].Note, ReasonPolicies, want)
	}
}

// TestCooldownsAcrossPolicies: a scale-out by one policy starts the
// scale-out cooldown of the others too (each with its own length), so the
// stale metric does not make a second policy add the same need again.
func TestCooldownsAcrossPolicies(t *testing.T) {
	s := mustNew(t, config(1, 20,
		tracking("cpu", scenarios.MetricCPU, 60, outCooldown(60*time.Second)),
		tracking("mem", scenarios.MetricMemory, 60, outCooldown(20*time.Second))))
	// Both want ceil(2 x 90/60) = 3 at p3; cpu, first, applies it.
	got := summary(drive(t, s, 2, times(6, cpuMem(90, 90))))
	want := []string{
		"p3 cpu out 2->3",
		"p4 cpu held(cooldown) out 3->3",
		"p4 mem held(cooldown) out 3->3", // not ceil(3 x 90/60) = 5: cpu's scale-out started mem's cooldown
		"p5 mem out 3->5",                // mem's 20s are over; cpu's 60s are not
		"p6 cpu held(cooldown) out 5->5",
		"p6 mem held(cooldown) out 5->5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}
