package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/scenarios"
)

// Defaults for the zero values of Options.
const (
	DefaultWarmup      = 2 * time.Second
	DefaultMinSteady   = 10 * time.Second
	DefaultMaxSteady   = 60 * time.Second
	DefaultMinRequests = 100
	DefaultCooldown    = 2 * time.Second
	DefaultHeadroom    = 0.3
	DefaultMaxDuration = 15 * time.Minute
	DefaultMaxRate     = 5000.0
	// DefaultStartPerVCPU is the first size's probe rate per vCPU when
	// none is given: 1 req/s at 0.25 vCPU.
	DefaultStartPerVCPU = 4.0
)

// maxCooldown bounds the wait for a task to turn idle (or be replaced)
// between two steps.
const maxCooldown = time.Minute

// teardownTimeout bounds removing a size's task, and everything at the
// end.
const teardownTimeout = 10 * time.Second

// Options configure a search. Scenario, Sizes and SLO are required.
type Options struct {
	RunID    string
	Scenario *scenarios.Scenario // the requests to send and their timeout
	// Sizes are searched in order, one task each; an entry's Env is the
	// workload's environment at that size.
	Sizes   []scenarios.Entry
	SLO     []scenarios.Threshold
	SLOFrom string // "scenario", "flag" or "default", recorded in capacity.json

	Headroom  float64 // default 30%
	Precision float64 // default 3%
	// A step's steady window lasts MinRequests / rate, at least MinSteady
	// and at most MaxSteady, after a Warmup that is discarded; the first
	// step (a probe far below the knee) lasts MinSteady. Between steps the
	// task cools down for at least Cooldown, until its CPU has dropped.
	Warmup, MinSteady, MaxSteady, Cooldown time.Duration
	MinRequests                            int
	// StartRate is the first size's probe rate (default 4 req/s per vCPU);
	// later sizes start at half the rate the sizes before predict.
	StartRate   float64
	MaxRate     float64       // the highest rate tried (default 5000 req/s)
	MaxDuration time.Duration // the whole search, verification included (default 15 min)

	// Peak, when set, sizes a fleet for it; HostCPUs is how many cores a
	// run of that fleet may use here (0: never verify).
	Peak     float64
	HostCPUs float64

	Prices      Prices
	Calibration *lab.Calibration
	// Dir is the results directory: capacity.json is rewritten there
	// after every step.
	Dir       string
	Observers []lab.Observer
	// Progress, when set, hears of every step and size as they end
	// (headless output).
	Progress func(Progress)
	// Tick is the snapshot period (default 1 s).
	Tick time.Duration
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Warmup, DefaultWarmup)
	def(&o.MinSteady, DefaultMinSteady)
	def(&o.MaxSteady, DefaultMaxSteady)
	def(&o.Cooldown, DefaultCooldown)
	def(&o.MaxDuration, DefaultMaxDuration)
	def(&o.Tick, time.Second)
	o.MaxSteady = max(o.MaxSteady, o.MinSteady)
	if o.MinRequests <= 0 {
		o.MinRequests = DefaultMinRequests
	}
	if o.Headroom <= 0 || o.Headroom >= 1 {
		o.Headroom = DefaultHeadroom
	}
	if o.Precision <= 0 {
		o.Precision = search.DefaultPrecision
	}
	if o.MaxRate <= 0 {
		o.MaxRate = DefaultMaxRate
	}
}

// Progress is one step or size that ended, for people.
type Progress struct {
	Size  int // from 1
	Sizes int
	Label string
	// Step is set when a step ended; Size when a size's search did.
	Step   *StepRecord
	Result *SizeResult
}

// ErrInterrupted is wrapped by Run's error when its context ended.
var ErrInterrupted = lab.ErrInterrupted

// runner is one Run's state.
type runner struct {
	o      Options
	target lab.Target
	report *Report
	sums   []lab.EntrySummary

	mu      sync.Mutex // serialises observers and guards the fields below
	entry   int        // 1-based
	t0      time.Time  // the current size's start
	stops   []string   // stops not by lab during the current step
	tasks   lab.Tasks  // of the current size
	stepped bool       // a step is running: stops count against it
}

// Run searches every size in turn on target and returns capacity.json's
// content. The report is valid (and written) even when an error is
// returned: an interrupted search leaves what it found.
func Run(ctx context.Context, target lab.Target, o Options) (*Report, error) {
	o.defaults()
	if len(o.Sizes) == 0 || o.Scenario == nil {
		return nil, errors.New("capacity: no sizes to search")
	}
	started := time.Now()
	r := &runner{o: o, target: target}
	r.report = &Report{
		SchemaVersion: SchemaVersion,
		Scenario:      o.Scenario.Name,
		Target:        target.Name(),
		RunID:         o.RunID,
		StartedAt:     started.UTC().Truncate(time.Second),
		SLO:           exprs(o.SLO),
		SLOFrom:       o.SLOFrom,
		Headroom:      o.Headroom,
		Precision:     o.Precision,
		Steps: StepSettings{
			Warmup: o.Warmup.Seconds(), MinSteady: o.MinSteady.Seconds(), MinRequests: o.MinRequests,
			MaxSteady: o.MaxSteady.Seconds(), Cooldown: o.Cooldown.Seconds(),
		},
		Calibration: o.Calibration,
		Prices:      o.Prices.Name,
		Sizes:       []SizeResult{},
	}
	r.publish(func(ob lab.Observer) {
		ob.Started(lab.RunInfo{ID: o.RunID, Scenario: o.Scenario, Entries: o.Sizes, Target: target.Name(), StartedAt: started, Calibration: o.Calibration})
	})

	deadline := started.Add(o.MaxDuration)
	if o.Peak > 0 {
		deadline = deadline.Add(-verifyReserve(o))
	}
	runErr := r.searchSizes(ctx, deadline)
	if o.Peak > 0 {
		f := PlanFleet(r.report.Sizes, o.Peak, o.Headroom, o.Prices, sloText(o.SLO))
		r.report.Fleet = &f
		if runErr == nil {
			runErr = r.verify(ctx, &f)
		}
	}

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	if err := target.Close(cctx); err != nil && runErr == nil {
		runErr = fmt.Errorf("clean up: %w", err)
	}
	r.report.EndedAt = time.Now().UTC().Truncate(time.Second)
	r.report.Interrupted = errors.Is(runErr, ErrInterrupted)
	if err := r.write(); err != nil && runErr == nil {
		runErr = err
	}
	r.publish(func(ob lab.Observer) { ob.Done(r.summary(started)) })
	return r.report, runErr
}

// searchSizes searches each size in turn, each within its share of what
// is left of the time: a size that finishes early leaves its time to the
// next.
func (r *runner) searchSizes(ctx context.Context, deadline time.Time) error {
	hint := 0.0 // sustainable req/s per vCPU of the sizes so far
	for i, e := range r.o.Sizes {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		share := time.Until(deadline) / time.Duration(len(r.o.Sizes)-i)
		start := r.o.StartRate
		if hint > 0 {
			start = hint * e.Size.VCPU() / 2
		} else if start <= 0 {
			start = DefaultStartPerVCPU * e.Size.VCPU()
		}
		start = math.Min(start, r.o.MaxRate)
		err := r.searchSize(ctx, i, e, time.Now().Add(share), start)
		res := r.report.Sizes[i]
		if res.SustainableRPS > 0 {
			hint = res.SustainableRPS / e.Size.VCPU()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// searchSize deploys one task of a size, runs the search's steps on it
// until the search is done or the size's time is up, and removes it.
func (r *runner) searchSize(ctx context.Context, i int, e scenarios.Entry, deadline time.Time, start float64) (err error) {
	began := time.Now()
	e.Count = 1
	r.report.Sizes = append(r.report.Sizes, SizeResult{Label: e.Label, CPU: e.Size.CPU, Memory: e.Size.Memory, Steps: []StepRecord{}})
	res := &r.report.Sizes[i]
	es := newEntrySummary(e)
	r.beginSize(i)
	defer func() {
		res.Seconds = round(time.Since(began).Seconds(), 1)
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
		defer cancel()
		if terr := r.target.Teardown(tctx); terr != nil && err == nil {
			err = fmt.Errorf("size %s: teardown: %w", e.Label, terr)
		}
		r.emit(lab.Event{Data: lab.EntryDone{Label: e.Label, Passed: res.SustainableRPS > 0}})
		es.Tasks = r.sizeTasks()
		r.sums = append(r.sums, es)
		r.publish(func(ob lab.Observer) { ob.EntryDone(es) })
		if werr := r.write(); werr != nil && err == nil {
			err = werr
		}
		r.progress(Progress{Size: i + 1, Sizes: len(r.o.Sizes), Label: e.Label, Result: res})
	}()

	s, err := search.New(search.Config{Start: start, Max: r.o.MaxRate, Precision: r.o.Precision})
	if err != nil {
		return err
	}
	defer func() { fill(res, s.Result(), r.o) }()
	r.emit(lab.Event{Data: lab.EntryStarted{Label: e.Label, Count: 1}})
	if err := r.target.Deploy(ctx, e, r.emit); err != nil {
		s.Stop(search.EndStopped)
		if ctx.Err() != nil {
			return fmt.Errorf("size %s: %w", e.Label, ErrInterrupted)
		}
		return fmt.Errorf("size %s: deploy: %w", e.Label, err)
	}
	return r.steps(ctx, i, e, s, res, &es, deadline)
}

// steps runs the search's steps on the deployed task.
func (r *runner) steps(ctx context.Context, i int, e scenarios.Entry, s *search.Search, res *SizeResult, es *lab.EntrySummary, deadline time.Time) error {
	var best *stepRun // the step at the highest rate that held
	for {
		st, ok := s.Next()
		if !ok {
			break
		}
		plan := r.plan(st)
		if time.Now().Add(plan.length() + r.o.Cooldown).After(deadline) {
			s.Stop(search.EndBudget)
			break
		}
		run, err := r.confirmedStep(ctx, st, plan, s.Result(), func(first *stepRun) {
			res.Steps = append(res.Steps, first.record)
			r.progress(Progress{Size: i + 1, Sizes: len(r.o.Sizes), Label: e.Label, Step: &first.record})
		})
		if err != nil {
			s.Stop(search.EndStopped)
			return fmt.Errorf("size %s: %w", e.Label, err)
		}
		if err := s.Record(search.Verdict{Held: run.verdict.Held, Reason: run.verdict.Reason, CPU: run.verdict.CPU.Avg}); err != nil {
			return err
		}
		res.Steps = append(res.Steps, run.record)
		if run.verdict.Held && (best == nil || st.Rate > best.record.Rate) {
			best = run
		}
		fill(res, s.Result(), r.o)
		if best != nil {
			atRate(res, best)
		}
		*es = entryAt(e, best, run, r.o.SLO)
		if err := r.write(); err != nil {
			return err
		}
		r.progress(Progress{Size: i + 1, Sizes: len(r.o.Sizes), Label: e.Label, Step: &run.record})
		if s.Done() {
			break
		}
		if err := r.cooldown(ctx, run); err != nil {
			s.Stop(search.EndStopped)
			return fmt.Errorf("size %s: %w", e.Label, err)
		}
	}
	return nil
}

// repeatBelowCPU: a step that broke on latency while the envelope's CPU
// averaged under this (percent) runs once more, and the second verdict
// counts. A task that is not busy and yet too slow is either slow by
// nature (a downstream, a lock: the repeat breaks too, at the cost of one
// step) or was starved for a moment by something else on the host; a
// CPU-bound task breaks near its knee with the CPU saturated, and is not
// repeated.
const repeatBelowCPU = 60.0

// confirmedStep runs a step, and once more when its break is in doubt
// (see repeatBelowCPU); repeated hears of the first run.
func (r *runner) confirmedStep(ctx context.Context, st search.Step, plan stepPlan, sofar search.Result, repeated func(*stepRun)) (*stepRun, error) {
	run, err := r.step(ctx, st, plan, sofar)
	if err != nil || run.verdict.Held || run.verdict.Reason != search.ReasonLatency || run.verdict.CPU.Avg >= repeatBelowCPU {
		return run, err
	}
	run.record.Repeated = true
	repeated(run)
	if err := r.write(); err != nil {
		return nil, err
	}
	if err := r.cooldown(ctx, run); err != nil {
		return nil, err
	}
	return r.step(ctx, st, plan, sofar)
}

// fill copies the search's result into a size's record.
func fill(res *SizeResult, sr search.Result, o Options) {
	res.SustainableRPS = round(sr.Sustainable, 3)
	res.Bracket = [2]float64{round(sr.Low, 3), round(sr.High, 3)}
	res.End = string(sr.End)
	res.LimitedBy = string(sr.LimitedBy)
	if sr.High == 0 {
		res.LimitedBy = LimitedByNone
	}
	res.Broke = ""
	for _, st := range res.Steps {
		if !st.OK && st.Rate == round(sr.High, 3) {
			res.Broke = st.Broke
		}
	}
	if res.SustainableRPS == 0 {
		res.LatencyMS, res.CPUUtilization, res.MemoryUtilization = StepLatency{}, lab.Utilization{}, lab.Utilization{}
	}
	Price(res, o.Headroom, o.Prices)
}

// atRate copies the figures of the step at the sustainable rate.
func atRate(res *SizeResult, best *stepRun) {
	res.LatencyMS = StepLatency{P50: best.record.P50MS, P99: best.record.P99MS}
	res.CPUUtilization = best.record.CPUUtilization
	res.MemoryUtilization = best.record.MemoryUtilization
}

func (r *runner) write() error {
	if r.o.Dir == "" {
		return nil
	}
	return r.report.Write(r.o.Dir)
}

func (r *runner) progress(p Progress) {
	if r.o.Progress != nil {
		r.o.Progress(p)
	}
}

func exprs(slo []scenarios.Threshold) []string {
	out := make([]string, len(slo))
	for i, th := range slo {
		out[i] = th.Expr
	}
	return out
}

// sloText is the SLO in one phrase: "p99 < 1s, error_rate < 1%".
func sloText(slo []scenarios.Threshold) string {
	s := ""
	for i, th := range slo {
		if i > 0 {
			s += ", "
		}
		s += th.Expr
	}
	if s == "" {
		return "the SLO"
	}
	return s
}
