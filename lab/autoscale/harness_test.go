package autoscale

import (
	"fmt"
	"testing"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// t0 is the scripted run's start: metric period i (from 1) holds the
// samples of seconds (i-1)*period+1 .. i*period after it.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

const testPeriod = 10 * time.Second

// gen makes the sample of one second (sec from 1) of a period, given the
// service's desired count; ok false leaves the second without a sample.
type gen func(sec, desired int) (x Sample, ok bool)

// cpu is a period whose samples all report cpu v (percent) and memory 0.
func cpu(v float64) gen {
	return func(_, desired int) (Sample, bool) {
		return Sample{CPUPct: v, Running: desired, Desired: desired, HealthyTargets: desired}, true
	}
}

// mem is a period whose samples all report memory v (percent) and cpu 0.
func mem(v float64) gen {
	return func(_, desired int) (Sample, bool) {
		return Sample{MemPct: v, Running: desired, Desired: desired, HealthyTargets: desired}, true
	}
}

// cpuMem is a period with cpu c and memory m.
func cpuMem(c, m float64) gen {
	return func(_, desired int) (Sample, bool) {
		return Sample{CPUPct: c, MemPct: m, Running: desired, Desired: desired, HealthyTargets: desired}, true
	}
}

// noTasks is a period whose samples report no running task: no cpu or
// memory datapoint.
func noTasks() gen {
	return func(_, desired int) (Sample, bool) { return Sample{Desired: desired}, true }
}

// gap is a period without any sample.
func gap() gen { return func(int, int) (Sample, bool) { return Sample{}, false } }

// times repeats g n times.
func times(n int, g gen) []gen {
	gs := make([]gen, n)
	for i := range gs {
		gs[i] = g
	}
	return gs
}

// cat joins period lists.
func cat(lists ...[]gen) []gen {
	var out []gen
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// tick is a decision with the 1-based period that produced it.
type tick struct {
	period int
	d      Decision
}

// drive feeds s one sample a second, period after period, like the run
// would: the service starts at desired, applied decisions set its desired
// count, and the next samples report it. It checks that each decision
// comes with the sample that ends its period and is stamped with that
// time.
func drive(t *testing.T, s *Scaler, desired int, periods []gen) []tick {
	t.Helper()
	per := int(s.Period() / time.Second)
	var out []tick
	for i, g := range periods {
		for j := 1; j <= per; j++ {
			sec := i*per + j
			x, ok := g(sec, desired)
			if !ok {
				continue
			}
			x.Time = t0.Add(time.Duration(sec) * time.Second)
			for _, d := range s.Observe(x) {
				end := t0.Add(time.Duration(i+1) * s.Period())
				if !d.Time.Equal(end) && j == per {
					t.Errorf("decision at %s stamped %s, want the period's end %s", x.Time, d.Time, end)
				}
				p := int(d.Time.Sub(t0) / s.Period())
				out = append(out, tick{p, d})
				if !d.Held {
					desired = d.To
				}
			}
		}
	}
	return out
}

// summary writes decisions as "p3 cpu out 2->3" or
// "p4 cpu held(cooldown) out 3->3", in order.
func summary(ts []tick) []string {
	out := []string{}
	for _, tk := range ts {
		d := tk.d
		held := ""
		if d.Held {
			held = "held(" + d.Reason + ") "
		}
		out = append(out, fmt.Sprintf("p%d %s %s%s %d->%d", tk.period, d.Policy, held, d.Direction, d.From, d.To))
	}
	return out
}

// decisions are the decisions without their periods.
func decisions(ts []tick) []Decision {
	out := make([]Decision, len(ts))
	for i, tk := range ts {
		out[i] = tk.d
	}
	return out
}

// config is an autoscaling section with the test period, alarms of 3 and
// 15 datapoints, and the given policies.
func config(lo, hi int, policies ...scenarios.Policy) scenarios.Autoscaling {
	return scenarios.Autoscaling{
		Min:            lo,
		Max:            hi,
		MetricPeriod:   testPeriod,
		HighDatapoints: 3,
		LowDatapoints:  15,
		Policies:       policies,
	}
}

// tracking is a target tracking policy named name with the loader's
// defaults (300s cooldowns); opts adjust it.
func tracking(name, metric string, target float64, opts ...func(*scenarios.TargetTracking)) scenarios.Policy {
	tt := &scenarios.TargetTracking{
		Metric:           metric,
		Target:           target,
		ScaleOutCooldown: scenarios.DefaultCooldown,
		ScaleInCooldown:  scenarios.DefaultCooldown,
	}
	for _, o := range opts {
		o(tt)
	}
	return scenarios.Policy{Name: name, TargetTracking: tt}
}

func outCooldown(d time.Duration) func(*scenarios.TargetTracking) {
	return func(t *scenarios.TargetTracking) { t.ScaleOutCooldown = d }
}

func inCooldown(d time.Duration) func(*scenarios.TargetTracking) {
	return func(t *scenarios.TargetTracking) { t.ScaleInCooldown = d }
}

func noScaleIn(t *scenarios.TargetTracking) { t.DisableScaleIn = true }

func mustNew(t *testing.T, cfg scenarios.Autoscaling) *Scaler {
	t.Helper()
	s, err := New(cfg, t0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func f(v float64) *float64 { return &v }
