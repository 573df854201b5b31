package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// teardownTimeout bounds clean-up after an interrupt: a user who
// presses Ctrl-C expects the prompt back within seconds, with every
// container gone.
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
	// GeneratorLead is the time between launching the generators of a
	// split load (load.generators) and their common start; 0 is
	// generators.DefaultLead.
	GeneratorLead time.Duration
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
	if s, ok := target.(SelfScaling); ok {
		r.selfScaling = s.ScalesItself()
	}
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
	sc          *scenarios.Scenario
	target      Target
	selfScaling bool // the target scales by itself (SelfScaling)
	opts        Options
	summary     Summary

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
		if r.selfScaling {
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

// beginEntry makes entry n (1-based) the current one: its events count
// into es, and wait for its load to start.
func (r *runner) beginEntry(n int, es *EntrySummary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entry = n
	r.loadStart = time.Time{}
	r.current = es
}

// endEntry stops counting events into the entry's summary.
func (r *runner) endEntry() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current = nil
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

// fillTotals sets an entry's load figures from the generator's totals;
// inLoadOK are the OK responses that completed before the load's end,
// the only ones achieved_rps counts.
func fillTotals(es *EntrySummary, t load.Totals, inLoadOK int64, loadSeconds float64) {
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
		es.AchievedRPS = round(float64(inLoadOK)/loadSeconds, 3)
	}
	es.LatencyMS = latencyOf(t.Latency)
	ok := latencyOf(t.LatencyOK)
	es.LatencyOKMS = &ok
}

// latencyOf is a summary's Latency of the generator's percentiles.
func latencyOf(p load.Percentiles) Latency {
	return Latency{P50: round(p.P50, 1), P90: round(p.P90, 1), P95: round(p.P95, 1), P99: round(p.P99, 1), Max: round(p.Max, 1)}
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

// intendedRPS is the rate the profile asks for, averaged over its first
// seconds of load, when it has a closed phase; 0 when it has none, or
// one whose workers send as fast as they can (no rate was intended).
func intendedRPS(ps []load.Phase, seconds float64) float64 {
	closed := false
	for _, p := range ps {
		if p.Workers > 0 {
			closed = true
			if p.WorkerRate == 0 {
				return 0
			}
		}
	}
	if !closed || seconds <= 0 {
		return 0
	}
	var sum, start float64 // requests intended, and where the phase starts
	for _, p := range ps {
		d := min(p.Duration.Seconds(), seconds-start)
		if d <= 0 {
			break
		}
		switch {
		case p.Workers > 0:
			sum += float64(p.Workers) * p.WorkerRate * d
		case p.Ramp:
			at := p.From + (p.To-p.From)*d/p.Duration.Seconds()
			sum += (p.From + at) / 2 * d
		default:
			sum += p.Rate * d
		}
		start += p.Duration.Seconds()
	}
	return round(sum/seconds, 3)
}

// closedAt reports whether the profile is in a closed phase with a rate
// at elapsed: what offeredAt says is then intended, not sent.
func closedAt(ps []load.Phase, elapsed time.Duration) bool {
	i := load.PhaseAt(ps, elapsed)
	return i < len(ps) && ps[i].Workers > 0 && ps[i].WorkerRate > 0
}
