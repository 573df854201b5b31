package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultMethod      = http.MethodGet
	DefaultTimeout     = 65 * time.Second // above ALB's 60s idle timeout, so that the client sees the balancer's 504
	DefaultMaxInFlight = 10000
)

// cancelGrace bounds how long Run waits, once its context is cancelled, for
// the requests it cancelled to unwind (they return within milliseconds).
const cancelGrace = 300 * time.Millisecond

// ErrConfig is wrapped by every error New returns for an invalid Config.
var ErrConfig = errors.New("invalid load config")

// ErrRunTwice is returned by a second call of Run: a Generator runs once.
var ErrRunTwice = errors.New("load: generator already ran")

// Phase is one stretch of load: the open model (Rate constant, or a ramp
// From -> To linearly over Duration when Ramp is true), or the closed model
// (Workers > 0, each sending at most WorkerRate requests per second). An
// open phase with no rate is idle: it sends nothing.
type Phase struct {
	Duration   time.Duration
	Rate       float64 // open model constant rate (req/s)
	From, To   float64 // open model linear ramp from From to To req/s (used when Ramp is true)
	Ramp       bool
	Workers    int     // closed model when > 0
	WorkerRate float64 // per worker, req/s; 0 = as fast as possible
}

func (p Phase) closed() bool { return p.Workers > 0 }

func (p Phase) curve() Curve {
	if p.Ramp {
		return Ramp{From: p.From, To: p.To, Duration: p.Duration}
	}
	return Constant{Rate: p.Rate}
}

func (p Phase) validate() error {
	bad := func(f float64) bool { return f < 0 || math.IsNaN(f) || math.IsInf(f, 0) }
	switch {
	case p.Duration <= 0:
		return fmt.Errorf("duration %v must be positive", p.Duration)
	case p.Workers < 0:
		return fmt.Errorf("workers %d must not be negative", p.Workers)
	case bad(p.Rate) || bad(p.From) || bad(p.To) || bad(p.WorkerRate):
		return errors.New("rates must be finite and not negative")
	case p.closed() && (p.Rate != 0 || p.Ramp || p.From != 0 || p.To != 0):
		return errors.New("a phase has either workers (closed model) or a rate (open model), not both")
	case !p.closed() && p.WorkerRate != 0:
		return errors.New("worker_rate needs workers")
	case p.Ramp && p.Rate != 0:
		return errors.New("a phase has either a constant rate or a ramp, not both")
	case !p.Ramp && (p.From != 0 || p.To != 0):
		return errors.New("from/to are only read for a ramp")
	}
	return nil
}

// Config describes the load of one run.
type Config struct {
	URL         string        // full URL to request, e.g. http://127.0.0.1:38123/cpu_intensive
	Method      string        // default GET
	Timeout     time.Duration // per-request timeout, from the actual send; default 65s
	Phases      []Phase       // run back to back
	MaxInFlight int           // open model cap on concurrent requests; default 10000
	// Client is optional. Without one, plain http URLs are sent by a minimal
	// HTTP/1.1 client made for load (one keep-alive connection per worker or
	// in-flight request, reused, with one write and one read per request),
	// and https URLs through a net/http Transport tuned the same way (an idle
	// pool as large as the concurrency, no proxy from the environment, no
	// compression). Neither follows redirects: a 3xx is a response with a
	// status below 400.
	Client *http.Client
}

// Generator drives the load of one Config. Window, Totals and Pause may be
// called from any goroutine while Run runs.
type Generator struct {
	cfg     Config
	raw     *rawSpec        // set when requests go through rawSender
	client  *http.Client    // otherwise through this client
	owned   *http.Transport // the default client's transport, closed after Run
	tmpl    *http.Request   // shallow-copied by each sender; never mutated
	sched   Schedule
	rec     *recorder
	started atomic.Bool

	paused   atomic.Bool
	pauseMu  sync.Mutex
	resumeCh chan struct{} // closed (and replaced) when Pause(false) resumes
}

// New validates cfg, fills in its defaults and returns a Generator ready to
// Run. Errors wrap ErrConfig.
func New(cfg Config) (*Generator, error) {
	if cfg.Method == "" {
		cfg.Method = DefaultMethod
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	tmpl, err := http.NewRequest(cfg.Method, cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	g := &Generator{
		cfg:      cfg,
		client:   cfg.Client,
		tmpl:     tmpl,
		sched:    NewSchedule(cfg.Phases),
		rec:      newRecorder(),
		resumeCh: make(chan struct{}),
	}
	if g.client == nil && tmpl.URL.Scheme == "http" {
		if g.raw, err = newRawSpec(tmpl, cfg.Timeout); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	} else if g.client == nil {
		maxConns := cfg.MaxInFlight
		for _, p := range cfg.Phases {
			maxConns = max(maxConns, p.Workers)
		}
		g.owned = newTransport(maxConns)
		g.client = &http.Client{
			Transport: g.owned,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return g, nil
}

func (c Config) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want http://host[:port]/path", c.URL)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v must be positive", c.Timeout)
	}
	if c.MaxInFlight < 0 {
		return fmt.Errorf("max in flight %d must be positive", c.MaxInFlight)
	}
	if len(c.Phases) == 0 {
		return errors.New("no phases")
	}
	for i, p := range c.Phases {
		if err := p.validate(); err != nil {
			return fmt.Errorf("phase %d: %w", i+1, err)
		}
	}
	return nil
}

// newTransport is tuned for driving load at one host: every connection kept
// alive and reused.
func newTransport(maxConns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // never a proxy from the environment
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no limit
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
	}
}

// Window returns what happened since the previous call (or since New) and
// starts a new window. The runner calls it once per second.
func (g *Generator) Window() Window { return g.rec.window() }

// Totals aggregates every request sent since Run started. See Totals for
// what its fields count during and after Run.
func (g *Generator) Totals() Totals { return g.rec.totals() }

// Pause(true) stops sending new requests and Pause(false) resumes; time keeps
// running, and phases end when they would have. In the open model the
// requests due while paused are skipped, not queued; in the closed model
// the workers wait, and send as soon as they are resumed.
func (g *Generator) Pause(paused bool) {
	g.pauseMu.Lock()
	defer g.pauseMu.Unlock()
	if g.paused.Load() == paused {
		return
	}
	g.paused.Store(paused)
	if !paused {
		close(g.resumeCh)
		g.resumeCh = make(chan struct{})
	}
}

// awaitResume blocks while the generator is paused. It returns false when
// ctx is done or the deadline passes first.
func (g *Generator) awaitResume(ctx context.Context, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		g.pauseMu.Lock()
		paused, resumed := g.paused.Load(), g.resumeCh
		g.pauseMu.Unlock()
		if !paused {
			return true
		}
		select {
		case <-resumed:
		case <-ctx.Done():
			return false
		case <-timer.C:
			return false
		}
	}
}

// Run drives all phases back to back starting now, and returns when they
// are over and every request sent during them has completed or timed out.
//
// When ctx is cancelled, Run stops sending, cancels the requests in flight
// (they count as Cancelled, not as errors) and returns ctx.Err() promptly,
// without awaiting their timeout.
func (g *Generator) Run(ctx context.Context) error {
	if !g.started.CompareAndSwap(false, true) {
		return ErrRunTwice
	}
	if g.owned != nil {
		defer g.owned.CloseIdleConnections()
	}
	start := time.Now()
	var wg sync.WaitGroup
	arrivals := g.newArrivals(ctx, &wg)
	var prev []chan struct{} // exits of the previous closed phase's workers
	for i, p := range g.cfg.Phases {
		seg := g.sched.segs[i]
		if p.closed() {
			prev = g.runClosed(ctx, &wg, p, start.Add(seg.start), start.Add(seg.end), prev)
		} else {
			prev = nil
			g.runOpen(ctx, arrivals, start, seg)
		}
		if ctx.Err() != nil {
			break
		}
	}
	arrivals.stop()

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if err := ctx.Err(); err != nil {
		t := time.NewTimer(cancelGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		return err
	}
	return nil
}

// runOpen sends the open-model requests of one phase at their due times and
// returns at the end of the phase. Each request's latency is measured from
// the time it was due, not from the time it went out: when the generator
// falls behind (a stall, the MaxInFlight cap, the scheduler) the delay shows
// in the latency instead of being omitted.
func (g *Generator) runOpen(ctx context.Context, arrivals *arrivals, start time.Time, seg segment) {
	next, last := ceilCount(seg.cumStart), ceilCount(seg.cumEnd)
	end := start.Add(seg.end)
	var clock sleeper
	defer clock.stop()
	for next < last {
		if g.paused.Load() {
			if !g.awaitResume(ctx, end) {
				break
			}
			next = max(next, min(g.sched.Due(time.Since(start)), last)) // skip what came due
			continue
		}
		due := min(g.sched.Due(time.Since(start)), last)
		for ; next < due; next++ {
			at, _ := g.sched.At(next)
			if !arrivals.send(start.Add(at)) {
				return
			}
		}
		if next >= last {
			break
		}
		at, _ := g.sched.At(next)
		if !clock.until(ctx, start.Add(at)) {
			return
		}
	}
	clock.until(ctx, end)
}

// arrivals sends the open-model requests through a pool of goroutines,
// each with its own sender (connection) that it keeps from one request to
// the next. A request goes to an idle goroutine; when none is idle, a new
// one starts, up to MaxInFlight; past that, send waits for one to be free
// (and the wait shows in the latency, which runs from the due time).
type arrivals struct {
	g       *Generator
	ctx     context.Context
	wg      *sync.WaitGroup
	due     chan time.Time // unbuffered: taken only by an idle goroutine
	done    chan struct{}  // closed when no more requests will come
	started int
}

func (g *Generator) newArrivals(ctx context.Context, wg *sync.WaitGroup) *arrivals {
	return &arrivals{g: g, ctx: ctx, wg: wg, due: make(chan time.Time), done: make(chan struct{})}
}

// send sends one request due at the given time. It returns false if Run's
// context is done first.
func (a *arrivals) send(due time.Time) bool {
	select {
	case a.due <- due:
	default:
		if a.started < a.g.cfg.MaxInFlight {
			a.started++
			a.wg.Add(1)
			go a.run(a.started, due)
		} else {
			select {
			case a.due <- due:
			case <-a.ctx.Done():
				return false
			}
		}
	}
	return true
}

// run is one goroutine of the pool: it sends first, then whatever it is
// handed until stop.
func (a *arrivals) run(id int, first time.Time) {
	defer a.wg.Done()
	s := a.g.rec.shard(id)
	snd := a.g.newSender(a.ctx)
	defer snd.close()
	for due := first; ; {
		a.g.rec.sent(s)
		code := snd.send()
		a.g.rec.done(s, code, time.Since(due))
		select {
		case due = <-a.due:
		case <-a.done:
			return
		}
	}
}

// stop lets the idle goroutines exit, and the busy ones once they are done.
func (a *arrivals) stop() { close(a.done) }

// runClosed starts the workers of one closed phase and returns at the end of
// the phase, with a channel per worker that is closed when it exits. Worker
// i of this phase starts once worker i of the previous closed phase (prev)
// has exited, so that a phase boundary never runs more than Workers
// requests at once.
func (g *Generator) runClosed(ctx context.Context, wg *sync.WaitGroup, p Phase, start, end time.Time, prev []chan struct{}) []chan struct{} {
	exits := make([]chan struct{}, p.Workers)
	for i := range exits {
		exits[i] = make(chan struct{})
		var after chan struct{}
		if i < len(prev) {
			after = prev[i]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(exits[i])
			if after != nil {
				select {
				case <-after:
				case <-ctx.Done():
					return
				}
			}
			g.work(ctx, i, p.WorkerRate, start, end)
		}()
	}
	var clock sleeper
	defer clock.stop()
	clock.until(ctx, end)
	return exits
}

// work is one closed-model worker: it sends at start, then each request at
// NextSend(previous send, previous response, rate), until the next send
// would fall at or after end. Latency is measured from the actual send.
func (g *Generator) work(ctx context.Context, id int, rate float64, start, end time.Time) {
	s := g.rec.shard(id)
	snd := g.newSender(ctx)
	defer snd.close()
	var clock sleeper
	defer clock.stop()
	next := start
	for {
		if !next.Before(end) || !clock.until(ctx, next) {
			return
		}
		if g.paused.Load() && !g.awaitResume(ctx, end) {
			return
		}
		sent := time.Now()
		if !sent.Before(end) {
			return
		}
		g.rec.sent(s)
		code := snd.send()
		arrival := time.Now()
		g.rec.done(s, code, arrival.Sub(sent))
		if code == codeCancelled {
			return
		}
		next = start.Add(NextSend(sent.Sub(start), arrival.Sub(start), rate))
	}
}

// sleeper sleeps with one timer, reused from one sleep to the next.
type sleeper struct{ timer *time.Timer }

// until waits until t. It returns true once t has come, and false as soon
// as ctx is done.
func (s *sleeper) until(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		s.timer.Reset(d) // since Go 1.23 Reset discards a stale tick
	}
	select {
	case <-s.timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *sleeper) stop() {
	if s.timer != nil {
		s.timer.Stop()
	}
}
