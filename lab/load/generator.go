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
	Mix         []Request     // instead of URL and Method: a weighted mix of requests to one host
	Timeout     time.Duration // per-request timeout, from the actual send; default 65s
	Phases      []Phase       // run back to back
	MaxInFlight int           // open model cap on concurrent requests; default 10000
	// Share makes this generator one of several that split the load (see
	// Share); the zero value is the whole load.
	Share Share
	// From is where on the schedule a generator that began late takes
	// it up: what came due before From is not sent (a late generator
	// that sent it would put its backlog on the service as one burst),
	// and closed-model workers start at From. Zero is the start.
	From time.Duration
	// Client is optional. Without one, plain http URLs are sent by a minimal
	// HTTP/1.1 client made for load (one keep-alive connection per worker or
	// in-flight request, reused, with one write and one read per request),
	// and https URLs through a net/http Transport tuned the same way (an idle
	// pool as large as the concurrency, no proxy from the environment, no
	// compression). Neither follows redirects: a 3xx is a response with a
	// status below 400.
	Client *http.Client
}

// Share is generator Index (from 0) of Of generators that split one
// load. All of them follow the same schedule from the same start: in an
// open phase generator i sends the requests whose number in the
// schedule is i modulo Of, so that each sends rate/Of, offset from the
// previous one by 1/rate, and their streams together have the shape of
// one generator's (ramps included). In a closed phase the workers are
// split as evenly as possible, the first Workers mod Of generators
// having one more. The zero value is the whole load.
type Share struct {
	Index, Of int
}

func (s Share) of() int { return max(s.Of, 1) }

// mine is the first request number from j on that this share sends.
func (s Share) mine(j int64) int64 {
	n, i := int64(s.of()), int64(s.Index)
	return j + ((i-j)%n+n)%n
}

// workers is this share of a closed phase's workers.
func (s Share) workers(w int) int {
	n := s.of()
	if s.Index < w%n {
		return w/n + 1
	}
	return w / n
}

func (s Share) validate() error {
	if s.Of < 0 || s.Index < 0 || s.Index >= s.of() {
		return fmt.Errorf("share %d of %d: want 0 <= index < count", s.Index, s.Of)
	}
	return nil
}

// Generator drives the load of one Config. Window, Totals and Pause may be
// called from any goroutine while Run runs.
type Generator struct {
	cfg     Config
	raw     *rawSpec        // set when requests go through rawSender
	client  *http.Client    // otherwise through this client
	owned   *http.Transport // the default client's transport, closed after Run
	tmpls   []*http.Request // one per kind of request; shallow-copied by each sender, never mutated
	bodies  []string        // their bodies
	mix     *mix            // which kind each request is
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
	tmpls, bodies, weights, err := cfg.requests()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	g := &Generator{
		cfg:      cfg,
		client:   cfg.Client,
		tmpls:    tmpls,
		bodies:   bodies,
		mix:      newMix(weights),
		sched:    NewSchedule(cfg.Phases),
		rec:      newRecorder(),
		resumeCh: make(chan struct{}),
	}
	if g.client == nil && tmpls[0].URL.Scheme == "http" {
		if g.raw, err = newRawSpec(tmpls, cfg.Timeout); err != nil {
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
	urls := []string{c.URL}
	if len(c.Mix) > 0 {
		if c.URL != "" {
			return errors.New("give URL or Mix, not both")
		}
		urls = urls[:0]
		for _, r := range c.Mix {
			urls = append(urls, r.URL)
		}
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("url: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("url %q: want http://host[:port]/path", raw)
		}
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
	if err := c.Share.validate(); err != nil {
		return err
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

// Record closes the current window as Window does, and returns it raw
// (counts and histogram), for a generator whose windows are merged with
// others' (a generator process streams them to lab).
func (g *Generator) Record() Record { return g.rec.record() }

// Totals aggregates every request sent since Run started. See Totals for
// what its fields count during and after Run.
func (g *Generator) Totals() Totals { return g.rec.totals() }

// Mark closes the current window, returning it as Window does, and
// restarts what SinceMark counts: a run can leave a warm-up out of its
// figures. Requests completed after Mark count in SinceMark whenever they
// were sent, like windows count them.
func (g *Generator) Mark() Window { return g.rec.mark() }

// SinceMark is Totals over the requests completed since the last Mark
// (since Run started when there was none); Sent and InFlight count the
// requests sent since then. After Run has returned normally it includes
// every request sent since the mark.
func (g *Generator) SinceMark() Totals { return g.rec.sinceMark() }

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
func (g *Generator) Run(ctx context.Context) error { return g.RunAt(ctx, time.Time{}) }

// RunAt is Run with the schedule's time 0 at start instead of now, so
// that generators in other processes follow one schedule: it waits until
// start (plus Config.From), or, when that has passed, sends at once what
// came due since. A zero start is now.
func (g *Generator) RunAt(ctx context.Context, start time.Time) error {
	if !g.started.CompareAndSwap(false, true) {
		return ErrRunTwice
	}
	if g.owned != nil {
		defer g.owned.CloseIdleConnections()
	}
	if start.IsZero() {
		start = time.Now()
	}
	from := max(g.cfg.From, 0)
	var clock sleeper
	if !clock.until(ctx, start.Add(from)) {
		return ctx.Err()
	}
	clock.stop()
	var wg sync.WaitGroup
	arrivals := g.newArrivals(ctx, &wg, start)
	var prev []chan struct{} // exits of the previous closed phase's workers
	for i, p := range g.cfg.Phases {
		seg := g.sched.segs[i]
		if from > 0 && seg.end <= from {
			continue // over before this generator began
		}
		if p.closed() {
			prev = g.runClosed(ctx, &wg, p, start.Add(max(seg.start, from)), start.Add(seg.end), prev)
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
	share := g.cfg.Share
	first := ceilCount(seg.cumStart)
	if g.cfg.From > 0 { // skip what came due before From
		first = max(first, g.sched.Due(g.cfg.From-time.Nanosecond))
	}
	next, last := share.mine(first), ceilCount(seg.cumEnd)
	end := start.Add(seg.end)
	var clock sleeper
	defer clock.stop()
	for next < last {
		if g.paused.Load() {
			if !g.awaitResume(ctx, end) {
				break
			}
			next = share.mine(max(next, min(g.sched.Due(time.Since(start)), last))) // skip what came due
			continue
		}
		due := min(g.sched.Due(time.Since(start)), last)
		for ; next < due; next += int64(share.of()) {
			at, _ := g.sched.At(next)
			if !arrivals.send(start.Add(at)) {
				return
			}
		}
		if next >= last {
			break
		}
		at, _ := g.sched.At(next)
		if !clock.until(ctx, arrivals.wake(start.Add(at))) {
			return
		}
	}
	for time.Now().Before(end) {
		if !clock.until(ctx, arrivals.wake(end)) {
			return
		}
	}
}

// growAfter is how long a request may wait in the queue for a free
// goroutine (connection) before the pool grows; sampleEvery is the shortest
// period over which the pool measures the time a request takes.
const (
	growAfter   = time.Millisecond
	sampleEvery = 10 * time.Millisecond
)

// arrivals sends the open-model requests through a pool of goroutines,
// each with its own sender (connection) that it keeps from one request to
// the next. The pacer puts each request, at its due time, in a FIFO queue
// that the idle goroutines take from.
//
// The pool grows when requests have waited growAfter in the queue and it
// has fewer goroutines than twice the concurrency the load needs by
// Little's law: the arrival rate times the time a request takes (from its
// actual send to its response, measured over the last sampleEvery or more;
// when nothing completes, at least as long as nothing has). It grows by as
// many goroutines as requests have waited, at most doubling at once, up to
// MaxInFlight. A server that is slow, or stalls, thus gets one connection
// per request in flight within milliseconds, and the waits show in the
// latency, which runs from the due time.
//
// Growing whenever a request finds no goroutine idle, as pools of
// connections usually do, collapses on a busy machine: a goroutine whose
// response has arrived but that the scheduler has not run yet is not idle,
// so every scheduling hiccup opened connections (a dial on both sides, a
// goroutine and buffers each), which cost CPU, made the next hiccup longer,
// and grew the pool to MaxInFlight connections at 10k req/s. A hiccup of
// the generator's own makes requests look slower too, but only by the
// hiccup: the bound grows with it instead of doubling at every one.
//
// When MaxInFlight goroutines are busy and the queue (as long) is full,
// send waits for room (and that wait shows in the latency too).
type arrivals struct {
	g     *Generator
	ctx   context.Context
	wg    *sync.WaitGroup
	start time.Time      // Run's start, time 0 of the schedule
	queue chan time.Time // due times; closed by stop
	taken atomic.Int64   // requests taken from the queue by the pool
	done  atomic.Int64   // requests completed by the pool
	busy  atomic.Int64   // nanoseconds they took, from send to response

	// The pacer's (Run's goroutine's) alone:
	queued  int64     // requests put in the queue
	workers int       // goroutines started
	markN   int64     // queued when markAt was set
	markAt  time.Time // zero when no backlog is being watched
	sample  struct {
		at         time.Time
		done, busy int64
	}
	took time.Duration // a request's time as last measured
}

func (g *Generator) newArrivals(ctx context.Context, wg *sync.WaitGroup, start time.Time) *arrivals {
	a := &arrivals{g: g, ctx: ctx, wg: wg, start: start, queue: make(chan time.Time, g.cfg.MaxInFlight)}
	a.sample.at = start
	return a
}

// send queues one request due at the given time. It returns false if Run's
// context is done first.
func (a *arrivals) send(due time.Time) bool {
	if a.workers == 0 {
		a.grow(1)
	}
	a.queued++
	select {
	case a.queue <- due:
		return true
	default:
	}
	// As many requests wait as the pool may have goroutines.
	a.grow(int(a.queued - a.taken.Load()))
	select {
	case a.queue <- due:
		return true
	case <-a.ctx.Done():
		a.queued--
		return false
	}
}

// wake grows the pool if requests have waited in the queue for growAfter,
// and returns when the pacer should look again: t, or earlier if requests
// are waiting for a goroutine.
func (a *arrivals) wake(t time.Time) time.Time {
	taken := a.taken.Load()
	if a.queued <= taken || a.workers >= a.g.cfg.MaxInFlight {
		a.markAt = time.Time{}
		return t
	}
	now := time.Now()
	switch {
	case a.markAt.IsZero() || taken >= a.markN:
		// A new backlog: watch the requests queued so far.
		a.markN, a.markAt = a.queued, now
	case now.Sub(a.markAt) >= growAfter:
		// The requests queued by markAt have waited at least growAfter.
		a.grow(int(a.markN - taken))
		a.markN, a.markAt = a.queued, now
	}
	if at := a.markAt.Add(growAfter); at.Before(t) {
		return at
	}
	return t
}

// grow adds up to n goroutines to the pool: at most doubling it, never past
// MaxInFlight, and, but for the first, only while the pool is smaller than
// twice the concurrency the load needs (see arrivals).
func (a *arrivals) grow(n int) {
	if a.workers > 0 {
		need := 2 * a.rate() * a.requestTime().Seconds()
		if float64(a.workers) >= need {
			return
		}
		n = min(n, int(math.Ceil(need))-a.workers)
	}
	n = min(n, max(a.workers, 1), a.g.cfg.MaxInFlight-a.workers)
	for range n {
		a.workers++
		a.wg.Add(1)
		go a.run(a.workers)
	}
}

// requestTime is the time a request takes, from its send to its response,
// over the last sampleEvery or more; when none has completed for that
// long, at least the time since one did.
func (a *arrivals) requestTime() time.Duration {
	now := time.Now()
	since := now.Sub(a.sample.at)
	if since < sampleEvery {
		return a.took
	}
	done, busy := a.done.Load(), a.busy.Load()
	if done == a.sample.done {
		return max(a.took, since) // keep the sample: the wait goes on
	}
	a.took = time.Duration((busy - a.sample.busy) / (done - a.sample.done))
	a.sample.at, a.sample.done, a.sample.busy = now, done, busy
	return a.took
}

// rate is the schedule's arrival rate now, in requests per second: the
// largest of the counts due over the last and the next 100 ms and second,
// each over its span.
func (a *arrivals) rate() float64 {
	e := time.Since(a.start)
	due := a.g.sched.Due(e)
	var r float64
	for _, span := range []time.Duration{100 * time.Millisecond, time.Second} {
		n := max(due-a.g.sched.Due(e-span), a.g.sched.Due(e+span)-due)
		r = max(r, float64(n)/span.Seconds())
	}
	return r / float64(a.g.cfg.Share.of()) // this generator's share
}

// run is one goroutine of the pool: it sends the requests it takes from the
// queue until the queue is closed and empty, or Run's context is done.
func (a *arrivals) run(id int) {
	defer a.wg.Done()
	s := a.g.rec.shard(id)
	snd := a.g.newSender(a.ctx)
	defer snd.close()
	done := a.ctx.Done()
	for {
		var due time.Time
		var ok bool
		select {
		case due, ok = <-a.queue:
		case <-done:
			return
		}
		if !ok {
			return
		}
		a.taken.Add(1)
		a.g.rec.sent(s)
		sent := time.Now()
		code := snd.send()
		now := time.Now()
		a.g.rec.done(s, code, now.Sub(due))
		a.busy.Add(int64(now.Sub(sent)))
		a.done.Add(1)
	}
}

// stop closes the queue: the goroutines exit once it is empty.
func (a *arrivals) stop() { close(a.queue) }

// runClosed starts the workers of one closed phase and returns at the end of
// the phase, with a channel per worker that is closed when it exits. Worker
// i of this phase starts once worker i of the previous closed phase (prev)
// has exited, so that a phase boundary never runs more than Workers
// requests at once.
func (g *Generator) runClosed(ctx context.Context, wg *sync.WaitGroup, p Phase, start, end time.Time, prev []chan struct{}) []chan struct{} {
	exits := make([]chan struct{}, g.cfg.Share.workers(p.Workers))
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
