package capacity

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/lab/load"
)

// stepPlan is how long a step runs.
type stepPlan struct {
	warmup, steady time.Duration
}

func (p stepPlan) length() time.Duration { return p.warmup + p.steady }

// plan sizes a step: a steady window of MinRequests at its rate, within
// [MinSteady, MaxSteady], in whole ticks; the probe, far below the knee
// by design, only MinSteady.
func (r *runner) plan(st search.Step) stepPlan {
	return r.planAt(st.Rate, st.Kind == search.KindProbe)
}

func (r *runner) planAt(rate float64, probe bool) stepPlan {
	steady := r.o.MinSteady
	if !probe {
		need := time.Duration(float64(r.o.MinRequests) / rate * float64(time.Second))
		steady = min(max(need, r.o.MinSteady), r.o.MaxSteady)
	}
	tick := r.o.Tick
	return stepPlan{
		warmup: (r.o.Warmup + tick - 1) / tick * tick,
		steady: (steady + tick - 1) / tick * tick,
	}
}

// stepRun is a step that ran: its record for capacity.json, its verdict,
// and what the summary of the size needs.
type stepRun struct {
	record  StepRecord
	verdict Verdict
	m       Measurement
}

// step drives one step: an open-model load at the step's rate for the
// warm-up and the steady window, a snapshot a tick, and the verdict. It
// stops as soon as the verdict is certain (a task stopped, or enough
// requests broke a bound that the SLO cannot hold).
func (r *runner) step(ctx context.Context, st search.Step, plan stepPlan, sofar search.Result) (*stepRun, error) {
	gen, err := load.New(load.Config{
		Mix:     lab.LoadMix(r.target.Endpoint(), r.o.Scenario.Load.Targets()),
		Timeout: r.o.Scenario.Load.Timeout,
		Phases:  []load.Phase{{Duration: plan.length(), Rate: st.Rate}},
	})
	if err != nil {
		return nil, err
	}
	r.startStep()
	note := r.note(st, sofar)
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- gen.Run(genCtx) }()
	ticker := time.NewTicker(r.o.Tick)
	defer ticker.Stop()

	var m Measurement
	m.Rate = st.Rate
	expected := st.Rate * plan.length().Seconds()
	var steadyStart time.Time
	early := ""
	for running := true; running; {
		select {
		case <-ticker.C:
		case err := <-done:
			if ctx.Err() != nil {
				return nil, ErrInterrupted
			}
			if err != nil {
				return nil, fmt.Errorf("load: %w", err)
			}
			running = false
		case <-ctx.Done():
			stopGen()
			<-done
			return nil, ErrInterrupted
		case err := <-r.failed():
			stopGen()
			<-done
			return nil, err
		}
		now := time.Now()
		var w load.Window
		if steadyStart.IsZero() && now.Sub(start) >= plan.warmup-r.o.Tick/2 && running {
			w = gen.Mark()
			steadyStart = now
		} else {
			w = gen.Window()
		}
		obs := r.target.Observe()
		if !steadyStart.IsZero() && now != steadyStart {
			m.Seconds = append(m.Seconds, Second{Load: w, CPUPct: obs.CPUPct, MemPct: obs.MemPct})
		}
		r.snapshot(lab.Snapshot{Time: now, Phase: strconv.Itoa(st.N), Elapsed: now.Sub(start), Total: plan.length(),
			Offered: st.Rate, Load: w, Service: obs, Note: note})
		if !running {
			break
		}
		if stops := r.stepStops(); len(stops) > 0 {
			early = "a task stopped: " + stops[0]
		} else if why, ok := Decided(r.o.SLO, expected, m.Seconds); ok {
			early = why
		}
		if early != "" {
			// The verdict is certain: cancel the rest (its requests are
			// counted nowhere) and cool down.
			stopGen()
			<-done
			break
		}
	}
	if !steadyStart.IsZero() {
		m.Steady = time.Since(steadyStart)
	}
	m.Totals = gen.SinceMark()
	m.Stops = r.stepStops()
	v := Judge(r.o.SLO, m)
	if early != "" && v.Held {
		// Decided on the windows' percentiles, which the totals agree
		// with but for the histogram's rounding: the decision stands.
		v.Held, v.Reason, v.Broke = false, search.ReasonLatency, early
	}
	return &stepRun{record: newRecord(st, m, v, early != ""), verdict: v, m: m}, nil
}

func newRecord(st search.Step, m Measurement, v Verdict, early bool) StepRecord {
	rec := StepRecord{
		N: st.N, Rate: round(st.Rate, 3), Kind: string(st.Kind), Why: st.Why,
		OK: v.Held, Reason: string(v.Reason), Broke: v.Broke,
		Seconds: round(m.Steady.Seconds(), 1), StoppedEarly: early,
		Requests:          m.Totals.Requests,
		P50MS:             round(m.Totals.Latency.P50, 1),
		P99MS:             round(m.Totals.Latency.P99, 1),
		ErrorRate:         round(m.Totals.ErrorRate(), 6),
		CPUUtilization:    roundUtil(v.CPU),
		MemoryUtilization: roundUtil(v.Memory),
	}
	if s := m.Steady.Seconds(); s > 0 {
		rec.AchievedRPS = round(float64(m.Totals.OK)/s, 3)
	}
	return rec
}

func roundUtil(u lab.Utilization) lab.Utilization {
	return lab.Utilization{Avg: round(u.Avg, 1), Max: round(u.Max, 1)}
}

// cooldown waits, once a step is over, until the task is idle again and
// healthy (a task killed during the step is replaced), for at least
// Cooldown and at most maxCooldown. Idle is the envelope's CPU at or
// under a fifth of the step's (5% at least) for a whole tick: the
// balancer's in-flight count cannot tell, since requests whose clients
// went away (a step stopped early) still run in the task, and one stats
// sample can fall between two requests.
func (r *runner) cooldown(ctx context.Context, run *stepRun) error {
	idle := math.Max(5, 0.2*run.verdict.CPU.Avg)
	start := time.Now()
	poll := time.NewTicker(r.o.Tick / 4)
	defer poll.Stop()
	var lastSnap, quiet time.Time
	note := fmt.Sprintf("cooling down after step %d, until the task is idle", run.record.N)
	for {
		now := time.Now()
		obs := r.target.Observe()
		elapsed := now.Sub(start)
		switch {
		case obs.Healthy < 1 || obs.CPUPct > idle:
			quiet = time.Time{}
		case quiet.IsZero():
			quiet = now
		}
		if elapsed >= r.o.Cooldown && !quiet.IsZero() && now.Sub(quiet) >= r.o.Tick || elapsed >= maxCooldown {
			return nil
		}
		if now.Sub(lastSnap) >= r.o.Tick {
			lastSnap = now
			r.snapshot(lab.Snapshot{Time: now, Phase: "cooldown", Elapsed: elapsed, Total: r.o.Cooldown,
				Load: load.Window{Errors: map[string]int{}}, Service: obs, Note: note})
		}
		select {
		case <-ctx.Done():
			return ErrInterrupted
		case err := <-r.failed():
			return err
		case <-poll.C:
		}
	}
}

// failed is the target's failure channel (lab.Failer); nil, which never
// yields, for a target that cannot fail on its own.
func (r *runner) failed() <-chan error {
	if f, ok := r.target.(lab.Failer); ok {
		return f.Failed()
	}
	return nil
}

// note is the dashboard's line about the search: the step, the bracket
// so far and the last verdict.
func (r *runner) note(st search.Step, sofar search.Result) string {
	s := fmt.Sprintf("step %d (%s) at %s req/s", st.N, st.Kind, rateText(st.Rate))
	switch {
	case sofar.Low > 0 && sofar.High > 0:
		s += fmt.Sprintf(" · bracket [%s, %s]", rateText(sofar.Low), rateText(sofar.High))
	case sofar.Low > 0:
		s += fmt.Sprintf(" · held up to %s", rateText(sofar.Low))
	case sofar.High > 0:
		s += fmt.Sprintf(" · broke down to %s", rateText(sofar.High))
	}
	if n := len(sofar.Steps); n > 0 {
		last := sofar.Steps[n-1]
		verdict := "held"
		if !last.Held {
			verdict = "broke (" + string(last.Reason) + ")"
		}
		s += fmt.Sprintf(" · last: %s at %s req/s, CPU %s", verdict, rateText(last.Rate), format.WholePercent(last.CPU))
	}
	return s
}
