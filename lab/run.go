package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// teardownTimeout bounds clean-up after an interrupt: DESIGN.md promises
// every container is gone within 5 seconds of Ctrl-C.
const teardownTimeout = 5 * time.Second

// Options configure a run.
type Options struct {
	ID        string     // run id, e.g. "k3x9"
	Observers []Observer //
	Tick      time.Duration
	// Commands steer the run while it goes (the TUI's keys). Nil when
	// nobody steers.
	Commands <-chan Command
	// CloseTimeout bounds Target.Close at the end, interrupted or not
	// (default 5 s: local containers go at once; ECS needs minutes).
	CloseTimeout time.Duration
	// NetOfRTT judges latency thresholds net of the round trip to the
	// endpoint (see RTTProber), as if the load came from next to it.
	NetOfRTT bool
	// Calibration is the CPU scaling the target applies (lab run
	// --calibrated), recorded in the summary; nil when none.
	Calibration *Calibration
}

// Failer is implemented by a target that can fail on its own while the
// load goes, e.g. the local target when Docker stops answering: Failed
// yields the error once, and the run stops there with what ran written.
type Failer interface {
	Failed() <-chan error
}

// ErrInterrupted is returned (wrapped) when the run's context was cancelled:
// what ran is summarised and the target is cleaned up.
var ErrInterrupted = errors.New("interrupted")

// Run runs every entry of the scenario on the target, one after another,
// and returns the summary of what ran. The summary is valid (and was
// published to observers) even when an error is returned.
func Run(ctx context.Context, sc *scenarios.Scenario, target Target, opts Options) (Summary, error) {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = teardownTimeout
	}
	r := &runner{sc: sc, target: target, opts: opts}
	entries := sc.Entries()
	started := time.Now()
	r.summary = Summary{
		SchemaVersion: SchemaVersion,
		Scenario:      sc.Name,
		Target:        target.Name(),
		RunID:         opts.ID,
		StartedAt:     started.UTC().Truncate(time.Second),
		Calibration:   opts.Calibration,
		Entries:       []EntrySummary{},
	}
	if p, ok := target.(PlatformReporter); ok {
		r.summary.Platform = p.Platform()
	}
	// Observers write and show what they are given: env and header
	// values, which may be secrets, are not in it.
	info := RunInfo{ID: opts.ID, Scenario: sc.Redacted(), Entries: sc.Workload.RedactedEntries(entries), Target: target.Name(), StartedAt: started, Calibration: opts.Calibration}
	for _, o := range opts.Observers {
		o.Started(info)
	}

	var runErr error
	for _, e := range entries {
		if ctx.Err() != nil {
			// Stopped between two entries: the next one does not start.
			runErr = ErrInterrupted
			break
		}
		es, err := r.runEntry(ctx, e, len(entries))
		if es != nil {
			r.summary.Entries = append(r.summary.Entries, *es)
			r.publish(func(o Observer) { o.EntryDone(*es) })
		}
		if err != nil {
			runErr = err
			break
		}
	}

	cleanCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.CloseTimeout)
	defer cancel()
	if err := target.Close(cleanCtx); err != nil && runErr == nil {
		runErr = fmt.Errorf("clean up: %w", err)
	}

	r.summary.EndedAt = time.Now().UTC().Truncate(time.Second)
	r.summary.Interrupted = errors.Is(runErr, ErrInterrupted)
	r.summary.Passed = passed(r.summary.Entries)
	if c, ok := target.(Coster); ok {
		r.summary.Cost = c.Cost(r.summary)
	}
	r.publish(func(o Observer) { o.Done(r.summary) })
	return r.summary, runErr
}

// passed is the run's verdict: a single entry passes when every threshold
// holds; a matrix passes when at least one entry does, since a matrix
// exists to find which sizes do.
func passed(entries []EntrySummary) bool {
	for _, e := range entries {
		if e.Passed {
			return true
		}
	}
	return false
}

type runner struct {
	sc      *scenarios.Scenario
	target  Target
	opts    Options
	summary Summary

	mu        sync.Mutex // serialises observers and guards the fields below
	entry     int
	loadStart time.Time // zero until the entry's load starts
	pending   []Event   // events held until loadStart is known
	current   *EntrySummary
}

func (r *runner) publish(f func(Observer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.opts.Observers {
		f(o)
	}
}

// emit stamps an event with the entry's clock, counts what the summary
// needs, and hands it to the observers. Targets call it from any goroutine.
func (r *runner) emit(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Entry = r.entry
	if r.current != nil {
		countTaskEvent(&r.current.Tasks, ev)
		if r.target.Name() != "local" {
			countScaling(&r.current.Scaling, ev)
		}
	}
	if r.loadStart.IsZero() {
		// Before the load starts nobody knows when it will: hold the
		// event until its time relative to the load start is known.
		r.pending = append(r.pending, ev)
		return
	}
	r.publishEvent(ev)
}

// publishEvent stamps T and hands the event to the observers; r.mu must
// be held.
func (r *runner) publishEvent(ev Event) {
	ev.T = ev.Time.Sub(r.loadStart).Seconds()
	for _, o := range r.opts.Observers {
		o.Event(ev)
	}
}

// startLoad fixes the entry's time zero and publishes the events held
// until then, with negative times.
func (r *runner) startLoad(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loadStart = at
	for _, ev := range r.pending {
		r.publishEvent(ev)
	}
	r.pending = nil
}

// countTaskEvent keeps tasks.started/stopped. Stops that lab caused itself
// (teardown, scale-in, deployments) carry by_lab and are not counted.
func countTaskEvent(t *Tasks, ev Event) {
	switch d := ev.Data.(type) {
	case TaskStarted:
		t.Started++
	case TaskStopped:
		if d.ByLab {
			return
		}
		t.Stopped++
		t.StoppedReasons[d.Reason]++
	}
}

// countScaling counts the scaling a target reports having done itself
// (ECS: Application Auto Scaling's activities). Locally lab's own
// autoscaler counts what it applies.
func countScaling(s *Scaling, ev Event) {
	d, ok := ev.Data.(ScalingDecision)
	if !ok {
		return
	}
	switch d.Direction {
	case ScaleOut:
		s.ScaleOuts++
	case ScaleIn:
		s.ScaleIns++
	default:
		return
	}
	s.Decisions++
}

func (r *runner) runEntry(ctx context.Context, e scenarios.Entry, n int) (*EntrySummary, error) {
	es := newEntrySummary(e)
	r.mu.Lock()
	r.entry = e.Index + 1
	r.loadStart = time.Time{}
	r.current = &es
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.current = nil
		r.mu.Unlock()
	}()

	r.emit(Event{Data: EntryStarted{Label: e.Label, Count: e.Count}})
	deployStart := time.Now()
	if err := r.target.Deploy(ctx, e, r.emit); err != nil {
		r.startLoad(deployStart)
		if ctx.Err() != nil {
			es.Interrupted = true
			return &es, fmt.Errorf("entry %s: %w", e.Label, ErrInterrupted)
		}
		return nil, fmt.Errorf("entry %s: deploy: %w", e.Label, err)
	}
	r.probeRTT(ctx, &es)

	phases := loadPhases(r.sc.Load.Phases)
	gen, err := load.New(load.Config{
		Mix:     LoadMix(r.target.Endpoint(), r.sc.Load.Targets()),
		Timeout: r.sc.Load.Timeout,
		Phases:  phases,
	})
	if err != nil {
		r.startLoad(deployStart)
		return nil, fmt.Errorf("entry %s: %w", e.Label, err)
	}

	total := r.sc.LoadDuration()
	var cpu, mem utilizationAcc
	start := time.Now()
	r.startLoad(start)

	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	done := make(chan error, 1)
	go func() { done <- gen.Run(genCtx) }()
	var failed <-chan error
	if f, ok := r.target.(Failer); ok {
		failed = f.Failed()
	}
	var failErr error
	ticker := time.NewTicker(r.opts.Tick)
	defer ticker.Stop()

	// Commands run beside the tick loop (a resize takes seconds) and end
	// with the entry.
	cmdCtx, cancelCmds := context.WithCancel(ctx)
	var cmds sync.WaitGroup
	defer func() {
		cancelCmds()
		cmds.Wait()
	}()
	var paused atomic.Bool
	pause := func(p bool) {
		paused.Store(p)
		gen.Pause(p)
	}
	run := func(c Command) {
		cmds.Add(1)
		go func() {
			defer cmds.Done()
			r.apply(cmdCtx, c, pause)
		}()
	}
	actions := schedule{actions: r.sc.Actions}
	scaler, err := r.newScaler(start)
	if err != nil {
		return nil, fmt.Errorf("entry %s: autoscaling: %w", e.Label, err)
	}
	var prev Observation

	phase := -1
	var genErr error
	generating := true
	for finished := false; !finished; {
		select {
		case c := <-r.opts.Commands:
			run(c)
			continue
		case <-ticker.C:
			// Once the generator is done, the next whole second is the
			// last: every row covers one second.
			finished = !generating
		case genErr = <-done:
			generating = false
			// On interrupt there is no waiting for the second to end.
			finished = ctx.Err() != nil
			if !finished {
				continue
			}
		case failErr = <-failed:
			// The target cannot go on: stop the load at once and keep
			// what ran.
			failed = nil
			stopGen()
			if generating {
				genErr = <-done
				generating = false
			}
			finished = true
		}
		now := time.Now()
		elapsed := now.Sub(start)
		if p := load.PhaseAt(phases, elapsed); p != phase && p < len(phases) {
			for q := phase + 1; q <= p; q++ {
				r.emit(Event{Time: start.Add(phaseStart(phases, q)), Data: PhaseStarted{Phase: q + 1}})
			}
			phase = p
		}
		if elapsed <= total {
			for _, a := range actions.due(elapsed) {
				run(actionCommand(a))
			}
		}
		obs := r.target.Observe()
		if elapsed <= total+r.opts.Tick/2 && obs.Running > 0 {
			cpu.add(obs.CPUPct)
			mem.add(obs.MemPct)
		}
		if scaler != nil && elapsed <= total+r.opts.Tick/2 {
			r.autoscale(ctx, scaler, now, prev, obs, &es.Scaling)
		}
		prev = obs
		es.Scaling.MinCount = min(es.Scaling.MinCount, obs.Desired)
		es.Scaling.MaxCount = max(es.Scaling.MaxCount, obs.Desired)
		snap := Snapshot{
			Time:     now,
			T:        elapsed.Seconds(),
			Entry:    e.Index + 1,
			Entries:  n,
			Label:    e.Label,
			Phase:    phaseName(phases, elapsed-r.opts.Tick/2), // the second that just ended
			Elapsed:  elapsed,
			Total:    total,
			Offered:  offeredAt(phases, elapsed),
			Load:     gen.Window(),
			Service:  obs,
			Paused:   paused.Load(),
			Finished: finished,
		}
		r.publish(func(o Observer) { o.Snapshot(snap) })
	}

	loadSeconds := total.Seconds()
	interrupted := ctx.Err() != nil || (failErr == nil && errors.Is(genErr, context.Canceled))
	if interrupted || failErr != nil {
		loadSeconds = math.Min(loadSeconds, time.Since(start).Seconds())
	}
	fillTotals(&es, gen.Totals(), loadSeconds)
	es.CPUUtilization = cpu.result()
	es.MemoryUtilization = mem.result()
	r.remoteUtilization(ctx, &es, start, time.Now())
	judged := es
	if r.opts.NetOfRTT && es.RTTMS > 0 {
		judged, es.NetOfRTT = netOfRTT(es), true
	}
	es.Thresholds = Evaluate(judged, r.sc.Thresholds)
	for _, th := range es.Thresholds {
		r.emit(Event{Data: th})
	}
	es.Passed = allOK(es.Thresholds)
	es.Interrupted = interrupted

	cancelCmds()
	cmds.Wait()
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	teardownErr := r.target.Teardown(tctx)
	r.emit(Event{Data: EntryDone{Label: e.Label, Passed: es.Passed}})

	switch {
	case failErr != nil:
		return &es, fmt.Errorf("entry %s: %w", e.Label, failErr)
	case interrupted:
		return &es, fmt.Errorf("entry %s: %w", e.Label, ErrInterrupted)
	case genErr != nil:
		return &es, fmt.Errorf("entry %s: load: %w", e.Label, genErr)
	case teardownErr != nil:
		return &es, fmt.Errorf("entry %s: teardown: %w", e.Label, teardownErr)
	}
	return &es, nil
}

func fillTotals(es *EntrySummary, t load.Totals, loadSeconds float64) {
	es.LoadSeconds = round(loadSeconds, 3)
	es.Requests = t.Requests
	es.OK = t.OK
	for k, v := range t.Errors {
		es.Errors[k] = v
	}
	if t.Requests > 0 {
		es.ErrorRate = round(float64(t.ErrorCount())/float64(t.Requests), 6)
	}
	if loadSeconds > 0 {
		es.OfferedRPS = round(float64(t.Requests)/loadSeconds, 3)
		es.AchievedRPS = round(float64(t.OK)/loadSeconds, 3)
	}
	es.LatencyMS = Latency{
		P50: round(t.Latency.P50, 1),
		P90: round(t.Latency.P90, 1),
		P95: round(t.Latency.P95, 1),
		P99: round(t.Latency.P99, 1),
		Max: round(t.Latency.Max, 1),
	}
}

// loadPhases converts the scenario's phases to the generator's, resolving
// where each ramp starts: at the previous phase's rate, 0 for the first.
func loadPhases(ps []scenarios.Phase) []load.Phase {
	out := make([]load.Phase, 0, len(ps))
	prev := 0.0
	for _, p := range ps {
		lp := load.Phase{Duration: p.Duration}
		switch {
		case p.Closed():
			lp.Workers, lp.WorkerRate = p.Workers, p.WorkerRate
			prev = 0
		case p.Ramp():
			lp.Ramp, lp.From, lp.To = true, prev, p.RampTo
			prev = p.RampTo
		default:
			lp.Rate = p.Rate
			prev = p.Rate
		}
		out = append(out, lp)
	}
	return out
}

func phaseStart(ps []load.Phase, i int) time.Duration {
	var d time.Duration
	for _, p := range ps[:i] {
		d += p.Duration
	}
	return d
}

func phaseName(ps []load.Phase, elapsed time.Duration) string {
	if i := load.PhaseAt(ps, elapsed); i < len(ps) {
		return strconv.Itoa(i + 1)
	}
	return "tail"
}

// offeredAt is the rate the profile asks for at elapsed: the open model's
// arrival rate, or the closed model's cap (workers x worker_rate).
func offeredAt(ps []load.Phase, elapsed time.Duration) float64 {
	var start time.Duration
	for _, p := range ps {
		if elapsed < start+p.Duration {
			switch {
			case p.Workers > 0:
				return float64(p.Workers) * p.WorkerRate
			case p.Ramp:
				frac := float64(elapsed-start) / float64(p.Duration)
				return p.From + (p.To-p.From)*frac
			default:
				return p.Rate
			}
		}
		start += p.Duration
	}
	return 0
}
