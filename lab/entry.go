package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecslab/lab/lab/autoscale"
	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// entryRun is one matrix entry on its way: deploy, the load with the
// commands beside it and one tick a second, the summary, the teardown.
type entryRun struct {
	r       *runner
	e       scenarios.Entry
	entries int // how many the run has
	es      EntrySummary

	phases []load.Phase
	total  time.Duration // the load's duration
	gen    loadSource
	fleet  *generators.Fleet // the generators, when load.generators splits the load; nil for lab's own
	start  time.Time         // the load's start
	scaler *autoscale.Scaler

	// What the ticks keep.
	phase    int // the last phase that started, from 0; -1 before
	actions  schedule
	prev     Observation
	cpu, mem utilizationAcc
	live     liveLoad

	// What had completed when the load's last phase ended (atEnd, once
	// ended), and when the generator returned: the drain is between.
	ended   bool
	atEnd   load.Totals
	genDone time.Time

	// Commands run beside the tick loop (a resize takes seconds) and
	// end with the entry.
	cmdCtx     context.Context
	cancelCmds context.CancelFunc
	cmds       sync.WaitGroup
	paused     atomic.Bool
}

// loadEnd is how the load ended: the generator's error, and the target's
// when it could not go on.
type loadEnd struct {
	genErr, failErr error
}

func (r *runner) runEntry(ctx context.Context, e scenarios.Entry, n int) (*EntrySummary, error) {
	x := &entryRun{
		r: r, e: e, entries: n, es: newEntrySummary(e),
		phases: loadPhases(r.sc.Load.Phases), total: r.sc.LoadDuration(),
		phase: -1, actions: schedule{actions: r.sc.Actions},
	}
	r.beginEntry(e.Index+1, &x.es)
	defer r.endEntry()

	r.emit(Event{Data: EntryStarted{Label: e.Label, Count: e.Count}})
	deployStart := time.Now()
	if err := r.target.Deploy(ctx, e, r.emit); err != nil {
		r.startLoad(deployStart)
		if ctx.Err() != nil {
			x.es.Interrupted = true
			return &x.es, fmt.Errorf("entry %s: %w", e.Label, ErrInterrupted)
		}
		return nil, fmt.Errorf("entry %s: deploy: %w", e.Label, err)
	}
	r.probeRTT(ctx, &x.es)
	if err := x.prepareLoad(ctx, deployStart); err != nil {
		return nil, fmt.Errorf("entry %s: %w", e.Label, err)
	}
	x.cmdCtx, x.cancelCmds = context.WithCancel(ctx)
	defer x.stopCommands()
	end := x.runLoad(ctx)
	return x.finish(ctx, end)
}

// prepareLoad makes the entry's load generator and autoscaler once the
// entry is deployed, and starts the load's clock (at the deploy's start
// when the generator cannot be made, for the events held until then).
func (x *entryRun) prepareLoad(ctx context.Context, deployStart time.Time) error {
	r := x.r
	var err error
	if r.sc.Load.GeneratorCount() > 1 || r.sc.Load.FromECS() {
		err = x.startGenerators(ctx)
	} else {
		x.gen, err = load.New(load.Config{
			Mix:     LoadMix(r.target.Endpoint(), r.sc.Load.Targets()),
			Timeout: r.sc.Load.Timeout,
			Phases:  x.phases,
		})
		x.start = time.Now()
	}
	if err != nil {
		r.startLoad(deployStart)
		return err
	}
	r.startLoad(x.start)
	if x.scaler, err = r.newScaler(x.start); err != nil {
		return fmt.Errorf("autoscaling: %w", err)
	}
	return nil
}

// runLoad sends the load and ticks until it is over: once the generator
// is done, at the end of that second; at once when the run is
// interrupted or the target fails.
func (x *entryRun) runLoad(ctx context.Context) loadEnd {
	if !sleepUntil(ctx, x.start) { // generators start together, a little later
		return loadEnd{genErr: ctx.Err()}
	}
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	done := make(chan error, 1)
	go func() { done <- x.gen.Run(genCtx) }()
	var failed <-chan error
	if f, ok := x.r.target.(Failer); ok {
		failed = f.Failed()
	}
	ticker := time.NewTicker(x.r.opts.Tick)
	defer ticker.Stop()
	endTimer := time.NewTimer(time.Until(x.start.Add(x.total)))
	defer endTimer.Stop()

	var end loadEnd
	generating := true
	for finished := false; !finished; {
		select {
		case c := <-x.r.opts.Commands:
			x.run(c)
			continue
		case <-endTimer.C:
			x.loadEnded()
			continue
		case <-ticker.C:
			// Once the generator is done, the next whole second is the
			// last: every row covers one second.
			finished = !generating
		case end.genErr = <-done:
			generating = false
			x.genDone = time.Now()
			if end.genErr == nil {
				x.loadEnded() // a no-op unless the timer is late
			}
			// On interrupt there is no waiting for the second to end.
			finished = ctx.Err() != nil
			if !finished {
				continue
			}
		case end.failErr = <-failed:
			// The target cannot go on: stop the load at once and keep
			// what ran.
			failed = nil
			stopGen()
			if generating {
				end.genErr = <-done
				generating = false
			}
			finished = true
		}
		x.tick(ctx, finished)
	}
	return end
}

// tick is one tick of the load: the phases that started, the scheduled
// actions that came due, the service's observation, the autoscaler, and
// the snapshot for the observers.
func (x *entryRun) tick(ctx context.Context, finished bool) {
	r := x.r
	now := time.Now()
	elapsed := now.Sub(x.start)
	x.startPhases(elapsed)
	if elapsed <= x.total {
		for _, a := range x.actions.due(elapsed) {
			x.run(actionCommand(a))
		}
	}
	obs := r.target.Observe()
	window := x.gen.Window()
	inLoad := elapsed <= x.total+r.opts.Tick/2
	if inLoad {
		x.live.add(window, min(elapsed, x.total).Seconds())
	}
	if inLoad && obs.Running > 0 {
		x.cpu.add(obs.CPUPct)
		x.mem.add(obs.MemPct)
	}
	if x.scaler != nil && inLoad {
		r.autoscale(ctx, x.scaler, now, x.prev, obs, &x.es.Scaling)
	}
	x.prev = obs
	x.es.Scaling.MinCount = min(x.es.Scaling.MinCount, obs.Desired)
	x.es.Scaling.MaxCount = max(x.es.Scaling.MaxCount, obs.Desired)
	snap := Snapshot{
		Time:     now,
		T:        elapsed.Seconds(),
		Entry:    x.e.Index + 1,
		Entries:  x.entries,
		Label:    x.e.Label,
		Phase:    phaseName(x.phases, elapsed-r.opts.Tick/2), // the second that just ended
		Elapsed:  elapsed,
		Total:    x.total,
		Offered:  offeredAt(x.phases, elapsed),
		Intended: closedAt(x.phases, elapsed),
		Load:     window,
		Service:  obs,
		Summary:  x.liveSummary(),
		Paused:   x.paused.Load(),
		Finished: finished,
	}
	r.publish(func(o Observer) { o.Snapshot(snap) })
}

// loadEnded keeps what had completed when the load's phases ended:
// achieved_rps counts those, and the rest is the drain.
func (x *entryRun) loadEnded() {
	if !x.ended {
		x.ended, x.atEnd = true, x.gen.Totals()
	}
}

// startPhases emits phase_started for the phases that started by elapsed,
// at the time each started.
func (x *entryRun) startPhases(elapsed time.Duration) {
	p := load.PhaseAt(x.phases, elapsed)
	if p == x.phase || p >= len(x.phases) {
		return
	}
	for q := x.phase + 1; q <= p; q++ {
		x.r.emit(Event{Time: x.start.Add(phaseStart(x.phases, q)), Data: PhaseStarted{Phase: q + 1}})
	}
	x.phase = p
}

// run carries out a command beside the tick loop.
func (x *entryRun) run(c Command) {
	x.cmds.Add(1)
	go func() {
		defer x.cmds.Done()
		x.r.apply(x.cmdCtx, c, x.pause)
	}()
}

// pause pauses (true) or resumes (false) the load.
func (x *entryRun) pause(p bool) {
	x.paused.Store(p)
	x.gen.Pause(p)
}

// stopCommands cancels the commands still running and waits for them.
func (x *entryRun) stopCommands() {
	x.cancelCmds()
	x.cmds.Wait()
}

// finish summarises the entry over the load that ran, evaluates its
// thresholds, stops its commands, tears it down, and says how it ended.
func (x *entryRun) finish(ctx context.Context, end loadEnd) (*EntrySummary, error) {
	r, es := x.r, &x.es
	loadSeconds := x.total.Seconds()
	interrupted := ctx.Err() != nil || (end.failErr == nil && errors.Is(end.genErr, context.Canceled))
	if interrupted || end.failErr != nil {
		loadSeconds = math.Min(loadSeconds, time.Since(x.start).Seconds())
	}
	t := x.gen.Totals()
	inLoad := t
	if x.ended {
		inLoad = x.atEnd
	}
	if x.ended && x.fleet != nil {
		// Generators report each second after it ends: what completed
		// during the load is in their windows, not in what had arrived
		// when it ended.
		inLoad.Requests, inLoad.OK = x.fleet.CompletedBefore(x.total)
	}
	fillTotals(es, t, inLoad.OK, loadSeconds)
	es.IntendedRPS = intendedRPS(x.phases, loadSeconds)
	if x.ended && !interrupted && end.failErr == nil && end.genErr == nil {
		es.Drain = &Drain{
			Seconds:  round(max(0, x.genDone.Sub(x.start.Add(x.total)).Seconds()), 3),
			Requests: t.Requests - inLoad.Requests,
			OK:       t.OK - inLoad.OK,
		}
	}
	x.reportGenerators(ctx)
	es.CPUUtilization = x.cpu.result()
	es.MemoryUtilization = x.mem.result()
	r.remoteUtilization(ctx, es, x.start, time.Now())
	es.Interrupted = interrupted
	judged := *es
	if r.opts.NetOfRTT && es.RTTMS > 0 {
		judged, es.NetOfRTT = netOfRTT(*es), true
	}
	// A load the target cut short is judged as one interrupted: what ran
	// is not the load the thresholds are about.
	judged.Interrupted = interrupted || end.failErr != nil
	es.Thresholds = Evaluate(judged, r.sc.Thresholds)
	for _, th := range es.Thresholds {
		r.emit(Event{Data: th})
	}
	// With no threshold to fail, an entry that sent nothing or was cut
	// short still did not pass.
	es.Passed = allOK(es.Thresholds) && !judged.Interrupted && es.Requests > 0

	x.stopCommands()
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	teardownErr := r.target.Teardown(tctx)
	r.emit(Event{Data: EntryDone{Label: x.e.Label, Passed: es.Passed}})

	label := x.e.Label
	switch {
	case end.failErr != nil:
		return es, fmt.Errorf("entry %s: %w", label, end.failErr)
	case interrupted:
		return es, fmt.Errorf("entry %s: %w", label, ErrInterrupted)
	case end.genErr != nil:
		return es, fmt.Errorf("entry %s: load: %w", label, end.genErr)
	case teardownErr != nil:
		return es, fmt.Errorf("entry %s: teardown: %w", label, teardownErr)
	}
	return es, nil
}
