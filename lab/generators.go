package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load"
)

// loadSource is what sends an entry's load and reports it: lab's own
// generator (load.Generator), or generators that run apart and report
// their windows (generators.Fleet).
type loadSource interface {
	Run(ctx context.Context) error
	Window() load.Window
	Totals() load.Totals
	Pause(paused bool)
}

var (
	_ loadSource = (*load.Generator)(nil)
	_ loadSource = (*generators.Fleet)(nil)
)

// GeneratorHost is a target that can run load generators beside the
// service (load.generators): the local target runs them as containers
// of lab's workload image.
type GeneratorHost interface {
	generators.Launcher
	// GeneratorEndpoint is the base URL at which generators reach the
	// service, e.g. the balancer's address on the run's network.
	GeneratorEndpoint() (string, error)
}

// GeneratorPace is a GeneratorHost whose generators start more slowly
// than containers here (Lead, e.g. Fargate's provisioning) or whose
// windows reach lab later (Lag, e.g. through CloudWatch Logs).
type GeneratorPace interface {
	GeneratorLead() time.Duration
	GeneratorLag() time.Duration
}

// GeneratorClock is a GeneratorHost whose generators keep another clock
// than this machine's (Fargate tasks keep AWS's, by Amazon Time Sync):
// GeneratorClockOffset is how far that clock is ahead of this machine's,
// the bound of the measurement's error, and false when it is unknown.
type GeneratorClock interface {
	GeneratorClockOffset() (offset, bound time.Duration, ok bool)
}

// startGenerators launches the generators that split the entry's load;
// the load starts when they start together.
func (x *entryRun) startGenerators(ctx context.Context) error {
	r := x.r
	n := r.sc.Load.GeneratorCount()
	host, ok := r.target.(GeneratorHost)
	if !ok {
		return fmt.Errorf("load.generators: %d: the %s target cannot run generators; use 1, or --target local", n, r.target.Name())
	}
	endpoint, err := host.GeneratorEndpoint()
	if err != nil {
		return fmt.Errorf("load.generators: %w", err)
	}
	lead, lag := r.opts.GeneratorLead, time.Duration(0)
	if p, ok := host.(GeneratorPace); ok {
		lead, lag = max(lead, p.GeneratorLead()), p.GeneratorLag()
	}
	var offset *generators.Offset
	if c, ok := host.(GeneratorClock); ok {
		if by, bound, ok := c.GeneratorClockOffset(); ok {
			offset = &generators.Offset{By: by, Bound: bound}
		}
	}
	fleet, err := generators.Start(ctx, host, generators.Config{
		Count:   n,
		Mix:     LoadMix(endpoint, r.sc.Load.Targets()),
		Timeout: r.sc.Load.Timeout,
		Phases:  x.phases,
		Lead:    lead,
		Lag:     lag,
		Offset:  offset,
		OnLost: func(l generators.Lost) {
			r.emit(Event{Data: GeneratorLost{Generator: l.Gen, Second: l.Second, Reason: l.Reason}})
		},
		OnLate: func(l generators.Late) {
			r.emit(Event{Data: GeneratorLate{Generator: l.Gen, Second: l.From, LateMS: ms(l.By)}})
		},
	})
	if err != nil {
		return err
	}
	x.gen, x.fleet, x.start = fleet, fleet, fleet.Start()
	return nil
}

// reportGenerators removes the entry's generators and records in its
// summary how they did.
func (x *entryRun) reportGenerators(ctx context.Context) {
	if x.fleet == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	_ = x.fleet.Remove(rctx) // the target's Close removes whatever is left of the run
	rep := x.fleet.Report(x.total)
	g := &Generators{Count: rep.Count, UnderSentSeconds: rep.UnderSent}
	for _, l := range rep.Lost {
		g.Lost = append(g.Lost, l.Gen)
	}
	for _, l := range rep.LateStarts {
		g.Late = append(g.Late, l.Gen)
	}
	if rep.Offset != nil || rep.ClockKnown {
		var bound time.Duration
		if o := rep.Offset; o != nil {
			g.ClockOffsetMS, bound = ptr(ms(o.By)), o.Bound
		}
		g.ClockErrorMS = ptr(ms(bound + rep.ClockErrorBound))
	}
	x.es.Generators = g
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ptr[T any](v T) *T { return &v }

// sleepUntil waits until t; false when ctx is done first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
