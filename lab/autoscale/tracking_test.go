package autoscale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

// TestTargetTracking drives one target tracking policy on cpu (target 60,
// 10s datapoints, high alarm 3 of 3, low alarm 15 of 15) through scripted
// metric streams and lists every decision it returns.
func TestTargetTracking(t *testing.T) {
	tests := []struct {
		name    string
		lo, hi  int
		opts    []func(*scenarios.TargetTracking)
		desired int
		periods []gen
		want    []string
	}{
		{
			name: "3 datapoints above the target scale out proportionally",
			lo:   1, hi: 10, desired: 2,
			periods: times(3, cpu(87.5)),
			want:    []string{"p3 cpu out 2->3"}, // ceil(2 x 87.5 / 60) = 3
		},
		{
			name: "2 datapoints above the target do nothing",
			lo:   1, hi: 10, desired: 2,
			periods: cat(times(2, cpu(87.5)), times(1, cpu(50)), times(2, cpu(87.5))),
			want:    []string{},
		},
		{
			name: "a datapoint at the target is not above it",
			lo:   1, hi: 10, desired: 2,
			periods: cat(times(2, cpu(87.5)), times(1, cpu(60))),
			want:    []string{},
		},
		{
			name: "a period without running tasks is missing: the alarm needs 3 present datapoints",
			lo:   1, hi: 10, desired: 2,
			periods: cat(times(2, cpu(87.5)), times(1, noTasks()), times(3, cpu(87.5))),
			want:    []string{"p6 cpu out 2->3"},
		},
		{
			name: "a period without samples is missing",
			lo:   1, hi: 10, desired: 2,
			periods: cat(times(2, cpu(87.5)), times(1, gap()), times(3, cpu(87.5))),
			want:    []string{"p6 cpu out 2->3"},
		},
		{
			name: "only missing data: nothing",
			lo:   1, hi: 10, desired: 2,
			periods: times(20, noTasks()),
			want:    []string{},
		},
		{
			name: "scale-out cooldown: added capacity counts, a larger need scales out further",
			lo:   1, hi: 10, desired: 2,
			opts: []func(*scenarios.TargetTracking){outCooldown(60 * time.Second)},
			periods: cat(
				times(4, cpu(90)),  // p3: ceil(2 x 90/60) = 3; p4: still 3 from the base 2: held
				times(2, cpu(150)), // p5: ceil(2 x 150/60) = 5 > 3: out; p6: 5 covers it
				times(5, cpu(70)),  // p7-p10: ceil(2 x 70/60) = 3: held; p11: cooldown over, ceil(5 x 70/60) = 6
			),
			want: []string{
				"p3 cpu out 2->3",
				"p4 cpu held(cooldown) out 3->3",
				"p5 cpu out 3->5",
				"p6 cpu held(cooldown) out 5->5",
				"p7 cpu held(cooldown) out 5->3",
				"p8 cpu held(cooldown) out 5->3",
				"p9 cpu held(cooldown) out 5->3",
				"p10 cpu held(cooldown) out 5->3",
				"p11 cpu out 5->6",
			},
		},
		{
			name: "the alarm stays in ALARM: after the cooldown it scales again without 3 fresh datapoints",
			lo:   1, hi: 10, desired: 2,
			opts:    []func(*scenarios.TargetTracking){outCooldown(20 * time.Second)},
			periods: times(5, cpu(90)),
			want: []string{
				"p3 cpu out 2->3",
				"p4 cpu held(cooldown) out 3->3",
				"p5 cpu out 3->5", // ceil(3 x 90 / 60) = 5
			},
		},
		{
			name: "max: a scale-out from max is held",
			lo:   1, hi: 5, desired: 5,
			periods: times(4, cpu(90)),
			want: []string{
				"p3 cpu held(max) out 5->8", // ceil(5 x 90 / 60) = 8
				"p4 cpu held(max) out 5->8",
			},
		},
		{
			name: "max: a scale-out past max stops at max",
			lo:   1, hi: 4, desired: 3,
			periods: times(3, cpu(150)),
			want:    []string{"p3 cpu out 3->4"},
		},
		{
			name: "14 low datapoints do nothing, the 15th scales in",
			lo:   1, hi: 10, desired: 4,
			periods: times(15, cpu(20)),
			want:    []string{"p15 cpu in 4->2"}, // ceil(4 x 20 / 60) = 2
		},
		{
			name: "below the target but within 10% of it: held once, reason band",
			lo:   1, hi: 10, desired: 4,
			periods: times(17, cpu(54)), // 0.9 x 60 = 54 is not more than 10% below
			want:    []string{"p15 cpu held(band) in 4->4"},
		},
		{
			name: "the band ends and starts again: reported again",
			lo:   1, hi: 10, desired: 4,
			periods: cat(times(15, cpu(55)), times(1, cpu(61)), times(15, cpu(55))),
			want:    []string{"p15 cpu held(band) in 4->4", "p31 cpu held(band) in 4->4"},
		},
		{
			name: "a missing datapoint restarts the low window",
			lo:   1, hi: 10, desired: 4,
			periods: cat(times(10, cpu(20)), times(1, noTasks()), times(15, cpu(20))),
			want:    []string{"p26 cpu in 4->2"},
		},
		{
			name: "scale-in rounds the removal down: 10 x 40/60 = 6.67 removes 3",
			lo:   1, hi: 10, desired: 10,
			periods: times(15, cpu(40)),
			want:    []string{"p15 cpu in 10->7"},
		},
		{
			name: "scale-in that would remove less than a task is held, reason rounding",
			lo:   1, hi: 10, desired: 5,
			periods: times(16, cpu(50)), // ceil(5 x 50 / 60) = ceil(4.17) = 5
			want:    []string{"p15 cpu held(rounding) in 5->5", "p16 cpu held(rounding) in 5->5"},
		},
		{
			name: "scale-in stops at min, then is held at min",
			lo:   2, hi: 10, desired: 4,
			opts:    []func(*scenarios.TargetTracking){inCooldown(0)},
			periods: times(16, cpu(5)), // ceil(4 x 5 / 60) = 1, raised to 2
			want:    []string{"p15 cpu in 4->2", "p16 cpu held(min) in 2->1"},
		},
		{
			name: "the scale-in cooldown blocks further scale-in",
			lo:   1, hi: 10, desired: 8,
			opts:    []func(*scenarios.TargetTracking){inCooldown(60 * time.Second)},
			periods: times(21, cpu(40)),
			want: []string{
				"p15 cpu in 8->6", // ceil(8 x 40 / 60) = 6
				"p16 cpu held(cooldown) in 6->4",
				"p17 cpu held(cooldown) in 6->4",
				"p18 cpu held(cooldown) in 6->4",
				"p19 cpu held(cooldown) in 6->4",
				"p20 cpu held(cooldown) in 6->4",
				"p21 cpu in 6->4",
			},
		},
		{
			name: "a scale-out ends the scale-in cooldown",
			lo:   1, hi: 10, desired: 6,
			opts: []func(*scenarios.TargetTracking){outCooldown(0), inCooldown(300 * time.Second)},
			periods: cat(
				times(15, cpu(20)), // p15: in 6->2
				times(3, cpu(90)),  // p18: out 2->3
				times(15, cpu(20)), // p33: in, not blocked by the cooldown that began at p15
			),
			want: []string{"p15 cpu in 6->2", "p18 cpu out 2->3", "p33 cpu in 3->1"},
		},
		{
			name: "without the scale-out the scale-in cooldown holds",
			lo:   1, hi: 10, desired: 6,
			opts:    []func(*scenarios.TargetTracking){inCooldown(300 * time.Second)},
			periods: cat(times(15, cpu(20)), times(2, cpu(20))),
			want:    []string{"p15 cpu in 6->2", "p16 cpu held(cooldown) in 2->1", "p17 cpu held(cooldown) in 2->1"},
		},
		{
			name: "disable_scale_in: low for long, nothing",
			lo:   1, hi: 10, desired: 4,
			opts:    []func(*scenarios.TargetTracking){noScaleIn},
			periods: times(30, cpu(10)),
			want:    []string{},
		},
		{
			name: "disable_scale_in still scales out",
			lo:   1, hi: 10, desired: 2,
			opts:    []func(*scenarios.TargetTracking){noScaleIn},
			periods: times(3, cpu(90)),
			want:    []string{"p3 cpu out 2->3"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, config(tc.lo, tc.hi, tracking("cpu", scenarios.MetricCPU, 60, tc.opts...)))
			got := summary(drive(t, s, tc.desired, tc.periods))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTargetTrackingNumbers checks the numbers each decision carries.
func TestTargetTrackingNumbers(t *testing.T) {
	t.Run("scale-out", func(t *testing.T) {
		s := mustNew(t, config(1, 10, tracking("cpu", scenarios.MetricCPU, 60)))
		// Each datapoint is the average of its period's samples: 80 and 95 alternate.
		alt := func(sec, desired int) (Sample, bool) {
			v := 80.0
			if sec%2 == 0 {
				v = 95
			}
			return Sample{CPUPct: v, Running: desired, Desired: desired}, true
		}
		got := decisions(drive(t, s, 2, times(3, alt)))
		want := []Decision{{
			Time: t0.Add(30 * time.Second), Direction: Out, From: 2, To: 3,
			Policy: "cpu", Metric: "cpu", Datapoints: []float64{87.5, 87.5, 87.5}, Target: 60,
			Formula: "ceil(2 x 87.5 / 60) = 3",
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("scale-out during the cooldown and past max", func(t *testing.T) {
		s := mustNew(t, config(1, 4, tracking("cpu", scenarios.MetricCPU, 60, outCooldown(60*time.Second))))
		got := decisions(drive(t, s, 2, cat(times(3, cpu(90)), times(1, cpu(150)))))
		want := []Decision{{
			Time: t0.Add(30 * time.Second), Direction: Out, From: 2, To: 3,
			Policy: "cpu", Metric: "cpu", Datapoints: []float64{90, 90, 90}, Target: 60,
			Formula: "ceil(2 x 90 / 60) = 3",
		}, {
			Time: t0.Add(40 * time.Second), Direction: Out, From: 3, To: 4,
			Policy: "cpu", Metric: "cpu", Datapoints: []float64{90, 90, 150}, Target: 60,
			Formula: "ceil(2 x 150 / 60) = 5, capped at max 4",
			Note:    "scale-out cooldown, 50s left: the need is computed from 2, the count it began from, as the capacity added since counts toward it",
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("scale-in raised to min", func(t *testing.T) {
		s := mustNew(t, config(2, 10, tracking("cpu", scenarios.MetricCPU, 60)))
		got := decisions(drive(t, s, 4, times(15, cpu(5))))
		if len(got) != 1 {
			t.Fatalf("got %d decisions, want 1: %v", len(got), got)
		}
		d := got[0]
		if d.Formula != "ceil(4 x 5 / 60) = 1, raised to min 2" || d.To != 2 || len(d.Datapoints) != 15 {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("held at max", func(t *testing.T) {
		s := mustNew(t, config(1, 5, tracking("cpu", scenarios.MetricCPU, 60)))
		got := decisions(drive(t, s, 5, times(3, cpu(90))))
		want := []Decision{{
			Time: t0.Add(30 * time.Second), Direction: Out, From: 5, To: 8,
			Policy: "cpu", Metric: "cpu", Datapoints: []float64{90, 90, 90}, Target: 60,
			Formula: "ceil(5 x 90 / 60) = 8", Held: true, Reason: ReasonMax,
			Note: "the desired count is at max 5",
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestProportional checks the capacity formula and its rounding.
func TestProportional(t *testing.T) {
	tests := []struct {
		c              int
		metric, target float64
		want           int
	}{
		{2, 87.5, 60, 3},   // 2.92 rounds up
		{3, 40, 60, 2},     // exactly 2: no extra task from float error
		{10, 40, 60, 7},    // 6.67: out rounds up; in removes floor(3.33) = 3
		{4, 20, 60, 2},     // 1.33
		{1, 2500, 2000, 2}, // response time in ms
		{0, 90, 60, 0},     // nothing to scale from
		{5, 0, 60, 0},      // idle
	}
	for _, tc := range tests {
		if got := proportional(tc.c, tc.metric, tc.target); got != tc.want {
			t.Errorf("proportional(%d, %g, %g) = %d, want %d", tc.c, tc.metric, tc.target, got, tc.want)
		}
	}
}
