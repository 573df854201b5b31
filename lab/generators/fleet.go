// Package generators runs a load's generators apart from lab (containers
// here, through a Launcher the target provides), reads the windows each
// one writes on its standard output, and merges them by second (package
// wire) into the windows and totals lab's in-process generator gives, so
// that the run, its results and its dashboard read them the same way.
// A generator that dies is reported, and the seconds it left under-sent
// are listed.
package generators

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/lab/load/wire"
)

// Process is one generator as its launcher runs it.
type Process interface {
	// Output is the generator's standard output; it ends when the
	// generator does.
	Output() io.Reader
	// Wait returns how the generator ended once it has: its exit code.
	Wait(ctx context.Context) (int, error)
	// Remove stops the generator at once (if it still runs) and removes
	// what the launcher made for it.
	Remove(ctx context.Context) error
}

// StopReasoner is a Process that can say why it stopped beyond its exit
// code, as ECS does for a task (its stopped reason).
type StopReasoner interface {
	StopReason() string
}

// Launcher starts generators: gen is the generator's index, config its
// generate.Config as JSON.
type Launcher interface {
	Launch(ctx context.Context, gen int, config []byte) (Process, error)
}

// DefaultLead is the time between the launch of the generators and the
// start of their common schedule: a container starts in well under a
// second on an idle host, and a busy one may take a few.
const DefaultLead = 3 * time.Second

// Config is a load split across generators.
type Config struct {
	Count   int            // how many generators, at least 1
	Mix     []load.Request // what each sends, to URLs the generators reach
	Timeout time.Duration
	Phases  []load.Phase
	Lead    time.Duration // default DefaultLead
	// Lag is how late windows reach lab after their second ends besides
	// windowWait (0 for containers here): Window shows seconds that much
	// behind the clock.
	Lag time.Duration
	// OnLost is told of each generator that ended before its load was
	// over; it may be called from any goroutine.
	OnLost func(Lost)
	// OnLate is told of each generator that began after the common
	// start; it may be called from any goroutine.
	OnLate func(Late)
	// Offset is how far the generators' clock is ahead of this
	// machine's, as the target measured it (AWS's clock, for Fargate
	// tasks): the common start they are given is on their clock. Nil
	// when they share this machine's clock.
	Offset *Offset
}

// Offset is how far one clock is ahead of another, and the bound of the
// measurement's error.
type Offset struct {
	By, Bound time.Duration
}

// Late is a generator that began after the common start: it sent
// nothing of the seconds before From, which are under-sent.
type Late struct {
	Gen  int
	From int           // the first second it sent in
	By   time.Duration // how long after the start it was ready, by its clock
}

// Lost is a generator that ended before its load was over.
type Lost struct {
	Gen int
	// Second is the first second it reported nothing of: its windows
	// from there on are missing.
	Second int
	Reason string // e.g. "exited with code 137"
}

// Fleet is a running load's generators.
type Fleet struct {
	cfg   Config
	start time.Time
	procs []Process

	mu       sync.Mutex
	merger   *wire.Merger
	ended    []bool // its output ended (done or lost)
	done     []bool // it wrote done
	from     []int  // the first second it sends in, from its start line
	lost     []Lost
	late     []Late
	clocks   []*wire.Clock // what each one's host said of its clock
	last     int           // the highest second any window holds, -1 before one
	changed  chan struct{} // closed and replaced at every window and end
	finished bool          // every generator's output ended
	bad      int           // lines that were no window line
}

// Start launches cfg.Count generators, all following one schedule from
// Start(). If one cannot be launched, those launched are removed.
func Start(ctx context.Context, l Launcher, cfg Config) (*Fleet, error) {
	if cfg.Count < 1 {
		return nil, fmt.Errorf("generators: %d, want at least 1", cfg.Count)
	}
	if cfg.Lead <= 0 {
		cfg.Lead = DefaultLead
	}
	f := &Fleet{
		cfg: cfg, start: time.Now().Add(cfg.Lead).Truncate(time.Millisecond),
		procs: make([]Process, cfg.Count), merger: wire.NewMerger(cfg.Count),
		ended: make([]bool, cfg.Count), done: make([]bool, cfg.Count),
		from: make([]int, cfg.Count), clocks: make([]*wire.Clock, cfg.Count),
		last: -1, changed: make(chan struct{}),
	}
	errs := make([]error, cfg.Count)
	var wg sync.WaitGroup
	for i := range cfg.Count {
		start := f.start
		if cfg.Offset != nil {
			start = start.Add(cfg.Offset.By)
		}
		data, err := json.Marshal(generate.Config{
			Gen: i, Of: cfg.Count, Start: start, Mix: cfg.Mix, Timeout: cfg.Timeout, Phases: cfg.Phases,
		})
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.procs[i], errs[i] = l.Launch(ctx, i, data)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		f.Remove(rctx)
		return nil, fmt.Errorf("launch generators: %w", err)
	}
	return f, nil
}

// Start is when the generators' schedule starts, by this machine's
// clock: second 0 of their windows.
func (f *Fleet) Start() time.Time { return f.start }

// Run reads the generators until every one has ended, and returns nil
// unless ctx was cancelled (then it removes them, and returns ctx's
// error once their outputs end) or every generator was lost.
func (f *Fleet) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, p := range f.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.read(ctx, i, p)
		}()
	}
	all := make(chan struct{})
	go func() {
		wg.Wait()
		close(all)
	}()
	select {
	case <-all:
	case <-ctx.Done():
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		f.Remove(rctx)
		select {
		case <-all:
		case <-rctx.Done():
		}
	}
	f.mu.Lock()
	f.finished = true
	f.signal()
	lost := len(f.lost)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if lost == len(f.procs) {
		return errors.New("every load generator ended before its load was over")
	}
	return nil
}

// read takes generator i's lines until its output ends, then sees how
// it ended.
func (f *Fleet) read(ctx context.Context, i int, p Process) {
	sc := bufio.NewScanner(p.Output())
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var why string
	for sc.Scan() {
		reason, late := f.take(i, sc.Bytes())
		if reason != "" {
			why = reason
		}
		if late != nil && f.cfg.OnLate != nil {
			f.cfg.OnLate(*late)
		}
	}
	if err := sc.Err(); err != nil && why == "" {
		why = "its output failed: " + err.Error()
	}
	f.mu.Lock()
	done := f.done[i]
	f.mu.Unlock()
	if !done && ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		code, err := p.Wait(wctx)
		cancel()
		switch {
		case why != "":
		case err != nil:
			why = "it could not be waited for: " + err.Error()
		default:
			why = fmt.Sprintf("exited with code %d", code)
			if r, ok := p.(StopReasoner); ok {
				if reason := r.StopReason(); reason != "" {
					why += ": " + reason
				}
			}
		}
	}
	f.end(i, done || ctx.Err() != nil, why)
}

// take handles one line of generator i; it returns the reason of an
// error line, and the generator's lateness when its start line says it
// began late.
func (f *Fleet) take(i int, data []byte) (string, *Late) {
	l, err := wire.Decode(data)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case err != nil || l.Gen != i:
		f.bad++
	case l.Type == wire.TypeStart:
		f.from[i], f.clocks[i] = l.From, l.Clock
		if l.From > 0 {
			late := Late{Gen: i, From: l.From, By: time.Duration(l.LateNanos)}
			f.late = append(f.late, late)
			f.signal() // its seconds before From will never come
			return "", &late
		}
	case l.Type == wire.TypeWindow:
		if _, err := f.merger.Add(l); err != nil {
			f.bad++
			return "", nil
		}
		f.last = max(f.last, l.Second)
		f.signal()
	case l.Type == wire.TypeDone:
		f.done[i] = true
	case l.Type == wire.TypeError:
		return l.Error, nil
	}
	return "", nil
}

// end records that generator i's output ended; unless it finished its
// load (or the run was interrupted), it is lost.
func (f *Fleet) end(i int, ok bool, why string) {
	f.mu.Lock()
	f.ended[i] = true
	var lost *Lost
	if !ok {
		second := f.from[i]
		if s, seen := f.merger.Latest(i); seen {
			second = s + 1
		}
		f.lost = append(f.lost, Lost{Gen: i, Second: second, Reason: why})
		lost = &f.lost[len(f.lost)-1]
	}
	f.signal()
	f.mu.Unlock()
	if lost != nil && f.cfg.OnLost != nil {
		f.cfg.OnLost(*lost)
	}
}

// signal wakes whoever waits for a window; f.mu must be held.
func (f *Fleet) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Remove stops and removes every generator.
func (f *Fleet) Remove(ctx context.Context) error {
	var errs []error
	for _, p := range f.procs {
		if p != nil {
			errs = append(errs, p.Remove(ctx))
		}
	}
	return errors.Join(errs...)
}

// Pause is not supported: the generators follow their schedule.
func (f *Fleet) Pause(bool) {}

// Totals merges every window received.
func (f *Fleet) Totals() load.Totals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.merger.Totals()
}

// CompletedBefore is how many requests completed, and how many OK, in
// the first d of the load (whole seconds, rounded up), by the windows
// received: once Run has returned, every window there will be.
func (f *Fleet) CompletedBefore(d time.Duration) (requests, ok int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.merger.CompletedBefore(int(math.Ceil(d.Seconds())))
}

// Report is what the summary says of the generators.
type Report struct {
	Count       int
	Lost        []Lost
	LateStarts  []Late
	UnderSent   []int   // seconds of the load some generator's window is missing for
	LateWindows int     // windows that arrived after their second was shown
	Bad         int     // lines that were not window lines
	Offset      *Offset // Config.Offset
	// ClockErrorBound is the largest error bound the generators' hosts
	// reported for their clocks, and false when none reported one.
	ClockErrorBound time.Duration
	ClockKnown      bool
}

// Report says how the generators did over a load of the given length.
func (f *Fleet) Report(length time.Duration) Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int(math.Ceil(length.Seconds()))
	r := Report{
		Count: len(f.procs), Lost: append([]Lost(nil), f.lost...), LateStarts: append([]Late(nil), f.late...),
		UnderSent: f.merger.Missing(n), LateWindows: f.merger.Late(), Bad: f.bad, Offset: f.cfg.Offset,
	}
	for _, c := range f.clocks {
		if c != nil {
			r.ClockKnown = true
			r.ClockErrorBound = max(r.ClockErrorBound, time.Duration(c.ErrorBoundMS*float64(time.Millisecond)))
		}
	}
	return r
}
