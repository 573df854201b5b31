package load

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Transport error kinds, the keys of Window.Errors and Totals.Errors for
// requests that got no HTTP response. Responses with a status >= 400 are
// keyed by their code ("404", "500", "502", "503", "504", ...).
const (
	KindTimeout = "timeout" // the per-request timeout (or a client or dial timeout) expired
	KindRefused = "refused" // connection refused (nothing listens on the port)
	KindReset   = "reset"   // the peer reset or closed the connection mid-request (ECONNRESET, EPIPE, EOF)
	KindOther   = "other"   // any other transport error
)

// A request's outcome is one int: an HTTP status code (> 0), or one of the
// negative codes below. Keeping it an int keeps maps off the hot path.
const (
	codeTimeout   = -1
	codeRefused   = -2
	codeReset     = -3
	codeOther     = -4
	codeCancelled = -5 // cancelled by Run's context: counted apart, not as an error
)

var kindNames = [...]string{KindTimeout, KindRefused, KindReset, KindOther}

// errRequestTimeout is the cause the generator cancels a request's context
// with when Config.Timeout expires, which tells a timeout apart from an
// interrupt (Run's context cancelled).
var errRequestTimeout = errors.New("load: request timeout")

// classify returns the outcome code of a request that failed with err. ctx is
// the request's context.
func classify(ctx context.Context, err error) int {
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errRequestTimeout) {
			return codeTimeout
		}
		return codeCancelled
	}
	return errorCode(err)
}

// errorCode sorts a transport error into a kind, regardless of contexts.
func errorCode(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return codeTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return codeRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http reports a connection the server closed before answering
		// with errors of its own that wrap nothing.
		strings.Contains(err.Error(), "server closed"):
		return codeReset
	default:
		return codeOther
	}
}

// isTimeout reports whether any error in err's tree says it is a timeout
// (net.Error's Timeout). errors.As would stop at the first net.Error, such
// as a *url.Error that does not see a timeout wrapped deeper.
func isTimeout(err error) bool {
	if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap() != nil && isTimeout(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if isTimeout(e) {
				return true
			}
		}
	}
	return false
}

// Percentiles summarises a latency distribution, in milliseconds. All fields
// are zero when Count is 0.
type Percentiles struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Count int64   `json:"count"` // requests the percentiles are over
}

// Window is what happened during one window (between two calls of
// Generator.Window). Sent counts requests by the time they were sent; OK,
// Errors and Latency count them by the time they completed.
//
// Latency is over every request that completed, failures included at the
// time they failed (a timeout at the timeout, a refused connection at
// once), as k6 and vegeta count them: a server that fails slowly must not
// look fast. LatencyOK is over the responses counted in OK only.
type Window struct {
	Sent      int            // requests sent during the window
	OK        int            // responses with status < 400 that completed during the window
	Errors    map[string]int // failures that completed during the window, by status code or Kind*; never nil
	Cancelled int            // requests cancelled by Run's context during the window
	Latency   Percentiles    // over the requests that completed during the window, failed or not
	LatencyOK Percentiles    // over the responses with status < 400 that completed during the window
	InFlight  int            // requests sent and not completed when the window closed
}

// ErrorCount is the sum of Errors.
func (w Window) ErrorCount() int {
	n := 0
	for _, c := range w.Errors {
		n += c
	}
	return n
}

// Totals aggregates every request sent since Run started.
//
// Requests counts the requests that completed, with an HTTP response or a
// transport error; so Requests == OK + ErrorCount() always holds. Once Run
// has returned normally, every sent request has completed (or timed out) and
// Requests == Sent. When Run was interrupted, requests that its context
// cancelled are counted in Cancelled only: Sent == Requests + Cancelled +
// InFlight.
type Totals struct {
	Sent      int64
	Requests  int64
	OK        int64
	Errors    map[string]int64 // by status code or Kind*; never nil
	Cancelled int64
	Latency   Percentiles // over every completed request, failures at the time they failed (see Window)
	LatencyOK Percentiles // over the responses with status < 400
	InFlight  int64
}

// ErrorCount is the sum of Errors.
func (t Totals) ErrorCount() int64 {
	var n int64
	for _, c := range t.Errors {
		n += c
	}
	return n
}

// ErrorRate is ErrorCount / Requests, 0 when there were no requests.
func (t Totals) ErrorRate() float64 {
	if t.Requests == 0 {
		return 0
	}
	return float64(t.ErrorCount()) / float64(t.Requests)
}

// Latencies are recorded in microseconds from 1 µs to one hour with three
// significant digits: about 190 KB per histogram whatever the request count,
// two per set of latencies (every request, and the OK ones).
const (
	histMin    = 1
	histMax    = int64(time.Hour / time.Microsecond)
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// NewHistogram returns an empty histogram of the generator's geometry:
// microseconds from 1 µs to one hour, three significant digits. Records'
// histograms merge into it exactly.
func NewHistogram() *hdrhistogram.Histogram { return newHist() }

// PercentilesOf reads a histogram of microseconds as Window and Totals
// do; maxNanos, the exact largest latency, caps the figures.
func PercentilesOf(h *hdrhistogram.Histogram, maxNanos int64) Percentiles {
	return percentiles(h, maxNanos)
}

// Record is one window as the recorder holds it: counts, and the
// histograms of the latencies (microseconds) of the requests that
// completed in it, failed or not (Hist) and of those counted in OK
// (HistOK), as Window's Latency and LatencyOK. Unlike Window's
// percentiles, records of many windows or generators add up exactly.
type Record struct {
	Sent, OK  int64
	Errors    map[string]int64 // by status code or Kind*; never nil
	Cancelled int64
	InFlight  int64
	MaxNanos  int64                   // the largest latency of a completed request
	Hist      *hdrhistogram.Histogram // the caller's own copy
	// MaxOKNanos and HistOK are the same over the OK responses; HistOK
	// may be nil in a record that did not carry it.
	MaxOKNanos int64
	HistOK     *hdrhistogram.Histogram
}

// percentiles reads a histogram of microseconds. maxNanos is the exact
// largest latency; the histogram reports bucket bounds, which may lie above
// it, so the percentiles are capped by it.
func percentiles(h *hdrhistogram.Histogram, maxNanos int64) Percentiles {
	n := h.TotalCount()
	if n == 0 {
		return Percentiles{}
	}
	maxMS := float64(maxNanos) / 1e6
	v := h.ValueAtPercentilesSlice([]float64{50, 90, 95, 99})
	ms := func(us int64) float64 { return min(float64(us)/1e3, maxMS) }
	return Percentiles{P50: ms(v[0]), P90: ms(v[1]), P95: ms(v[2]), P99: ms(v[3]), Max: maxMS, Count: n}
}

// latencies are the histograms of a shard, a window or the totals: of
// every completed request, and of those counted in OK.
type latencies struct{ all, ok *hdrhistogram.Histogram }

func newLatencies() latencies { return latencies{all: newHist(), ok: newHist()} }

// record adds one request's latency; a cancelled one has none.
func (l latencies) record(code int, latency time.Duration) {
	if code == codeCancelled {
		return
	}
	us := min(max(int64(latency/time.Microsecond), histMin), histMax)
	// Recording cannot fail: us is within the histograms' range.
	_ = l.all.RecordValue(us)
	if isOK(code) {
		_ = l.ok.RecordValue(us)
	}
}

func (l latencies) merge(o latencies) {
	l.all.Merge(o.all)
	l.ok.Merge(o.ok)
}

func (l latencies) reset() {
	l.all.Reset()
	l.ok.Reset()
}

// percentiles reads both histograms, capped by the exact maxima in c.
func (l latencies) percentiles(c *counts) (all, ok Percentiles) {
	return percentiles(l.all, c.maxNanos), percentiles(l.ok, c.maxOK)
}

// counts are the outcome counters of a shard, a window or the totals.
type counts struct {
	ok        int64
	status    [200]int64    // status 400..599, by code-400
	odd       map[int]int64 // other status codes >= 400 (rare)
	kinds     [len(kindNames)]int64
	cancelled int64
	maxNanos  int64 // largest latency of a completed request
	maxOK     int64 // largest latency of a response counted in ok
}

func (c *counts) record(code int, latency time.Duration) {
	switch {
	case code >= 400 && code < 600:
		c.status[code-400]++
	case code >= 600:
		if c.odd == nil {
			c.odd = make(map[int]int64)
		}
		c.odd[code]++
	case code > 0:
		c.ok++
	case code == codeCancelled:
		c.cancelled++
	default:
		c.kinds[-code-1]++
	}
	if code != codeCancelled {
		c.maxNanos = max(c.maxNanos, int64(latency))
	}
	if isOK(code) {
		c.maxOK = max(c.maxOK, int64(latency))
	}
}

// isOK reports whether a request's outcome counts in OK.
func isOK(code int) bool { return code > 0 && code < 400 }

func (c *counts) add(o *counts) {
	c.ok += o.ok
	for i, n := range o.status {
		c.status[i] += n
	}
	for code, n := range o.odd {
		if c.odd == nil {
			c.odd = make(map[int]int64)
		}
		c.odd[code] += n
	}
	for i, n := range o.kinds {
		c.kinds[i] += n
	}
	c.cancelled += o.cancelled
	c.maxNanos = max(c.maxNanos, o.maxNanos)
	c.maxOK = max(c.maxOK, o.maxOK)
}

// errors returns the failures keyed as in Window.Errors, and their sum.
func (c *counts) errors() (map[string]int64, int64) {
	m := make(map[string]int64)
	var sum int64
	put := func(k string, n int64) {
		if n > 0 {
			m[k] += n
			sum += n
		}
	}
	for i, n := range c.status {
		put(strconv.Itoa(400+i), n)
	}
	for code, n := range c.odd {
		put(strconv.Itoa(code), n)
	}
	for i, n := range c.kinds {
		put(kindNames[i], n)
	}
	return m, sum
}

// shard records the requests of some of the senders. Completions lock its
// mutex briefly; Window and Totals visit every shard.
type shard struct {
	mu       sync.Mutex
	c        counts       // guarded by mu
	hist     latencies    // guarded by mu: latencies of the current window
	spare    latencies    // empty; swapped with hist under recorder.mu
	sent     atomic.Int64 // sent in the current window
	inFlight atomic.Int64 // sent and not completed
	_        [64]byte     // keep shards on separate cache lines
}

// recorder holds the windows and totals. Memory grows with nothing: a few
// histograms per shard, whatever the number of requests or seconds.
type recorder struct {
	shards []shard
	next   atomic.Uint32 // round robin over shards for the open model

	mu        sync.Mutex // serialises Window and Totals; guards the fields below
	total     counts
	totalSent int64
	totalHist latencies
	scratch   latencies
	// The same since the last mark (SinceMark), restarted by Mark.
	marked     counts
	markedSent int64
	markedHist latencies
}

func newRecorder() *recorder {
	n := min(max(2*runtime.GOMAXPROCS(0), 2), 16)
	r := &recorder{shards: make([]shard, n), totalHist: newLatencies(), scratch: newLatencies(), markedHist: newLatencies()}
	for i := range r.shards {
		r.shards[i].hist = newLatencies()
		r.shards[i].spare = newLatencies()
	}
	return r
}

// shard returns the shard of closed-model worker i.
func (r *recorder) shard(i int) *shard { return &r.shards[i%len(r.shards)] }

// pick returns a shard for one open-model request.
func (r *recorder) pick() *shard { return r.shard(int(r.next.Add(1))) }

// sent records a request being sent.
func (r *recorder) sent(s *shard) {
	s.sent.Add(1)
	s.inFlight.Add(1)
}

// done records the outcome of a request sent through s, and its latency
// unless it was cancelled.
func (r *recorder) done(s *shard, code int, latency time.Duration) {
	s.mu.Lock()
	s.c.record(code, latency)
	s.hist.record(code, latency)
	s.mu.Unlock()
	s.inFlight.Add(-1)
}

// window closes the current window and opens the next one.
func (r *recorder) window() Window {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, sent, inFlight := r.closeWindow()
	return windowOf(&c, sent, inFlight, r.scratch)
}

// record closes the current window as window does, and returns it raw:
// its counts and a copy of its histogram, which merge exactly.
func (r *recorder) record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, sent, inFlight := r.closeWindow()
	errs, _ := c.errors()
	h, ok := newHist(), newHist()
	h.Merge(r.scratch.all)
	ok.Merge(r.scratch.ok)
	return Record{
		Sent: sent, OK: c.ok, Errors: errs, Cancelled: c.cancelled,
		InFlight: inFlight, MaxNanos: c.maxNanos, Hist: h,
		MaxOKNanos: c.maxOK, HistOK: ok,
	}
}

// closeWindow gathers the shards' window into r.scratch and the totals,
// and returns its counts; r.mu must be held.
func (r *recorder) closeWindow() (c counts, sent, inFlight int64) {
	r.scratch.reset()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		h := s.hist
		s.hist, s.spare = s.spare, h
		c.add(&s.c)
		s.c = counts{}
		s.mu.Unlock()
		sent += s.sent.Swap(0)
		inFlight += s.inFlight.Load()
		// h is the spare now: no sender touches it, and only window() and
		// totals() (both under r.mu) read it.
		r.scratch.merge(h)
		h.reset()
	}
	r.total.add(&c)
	r.totalSent += sent
	r.totalHist.merge(r.scratch)
	r.marked.add(&c)
	r.markedSent += sent
	r.markedHist.merge(r.scratch)
	return c, sent, inFlight
}

// windowOf is the Window of one window's counts and histograms.
func windowOf(c *counts, sent, inFlight int64, h latencies) Window {
	errs, _ := c.errors()
	all, ok := h.percentiles(c)
	w := Window{
		Sent:      int(sent),
		OK:        int(c.ok),
		Errors:    make(map[string]int, len(errs)),
		Cancelled: int(c.cancelled),
		Latency:   all,
		LatencyOK: ok,
		InFlight:  int(inFlight),
	}
	for k, n := range errs {
		w.Errors[k] = int(n)
	}
	return w
}

// totals aggregates the closed windows and the current one, without closing it.
func (r *recorder) totals() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sum(&r.total, r.totalSent, r.totalHist)
}

// mark closes the current window, returning it, and restarts what
// sinceMark counts.
func (r *recorder) mark() Window {
	w := r.window()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marked, r.markedSent = counts{}, 0
	r.markedHist.reset()
	return w
}

// sinceMark aggregates the windows closed since the last mark and the
// current one, without closing it.
func (r *recorder) sinceMark() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sum(&r.marked, r.markedSent, r.markedHist)
}

// sum adds the current window to closed windows' counts; r.mu must be
// held.
func (r *recorder) sum(closed *counts, closedSent int64, closedHist latencies) Totals {
	var c counts
	c.add(closed) // a copy that does not share closed.odd
	sent, inFlight := closedSent, int64(0)
	r.scratch.reset()
	r.scratch.merge(closedHist)
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		c.add(&s.c)
		r.scratch.merge(s.hist)
		s.mu.Unlock()
		sent += s.sent.Load()
		inFlight += s.inFlight.Load()
	}
	errs, sum := c.errors()
	all, ok := r.scratch.percentiles(&c)
	return Totals{
		Sent:      sent,
		Requests:  c.ok + sum,
		OK:        c.ok,
		Errors:    errs,
		Cancelled: c.cancelled,
		Latency:   all,
		LatencyOK: ok,
		InFlight:  inFlight,
	}
}
