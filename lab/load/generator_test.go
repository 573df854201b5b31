package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests run real load against local servers on a machine with two
// cores that also runs other work. Their timing assertions are one-sided
// where they can be (a loaded machine makes a request late, never early)
// and generous where they cannot; exact behaviour is pinned by the pure
// schedule tests in pacer_test.go.

// testServer is an httptest server that records when each request arrived,
// relative to the time the test called begin (just before Run), and on which
// connection.
type testServer struct {
	*httptest.Server
	conns atomic.Int64 // connections opened

	mu       sync.Mutex
	start    time.Time
	arrivals []arrival
	active   int // requests being handled
}

type arrival struct {
	at     time.Duration
	conn   string // the client's address
	active int    // requests being handled, this one included
}

func newTestServer(t *testing.T, handler http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{start: time.Now()}
	ts.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.active++
		ts.arrivals = append(ts.arrivals, arrival{time.Since(ts.start), r.RemoteAddr, ts.active})
		ts.mu.Unlock()
		defer func() {
			ts.mu.Lock()
			ts.active--
			ts.mu.Unlock()
		}()
		if handler != nil {
			handler(w, r)
		}
	}))
	ts.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			ts.conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) begin() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.start = time.Now()
	ts.arrivals = nil
}

// since is the time since begin.
func (ts *testServer) since() time.Duration {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return time.Since(ts.start)
}

// times returns the arrival times, sorted.
func (ts *testServer) times() []time.Duration {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var times []time.Duration
	for _, a := range ts.arrivals {
		times = append(times, a.at)
	}
	slices.Sort(times)
	return times
}

// byConn returns the arrival times on each connection, sorted.
func (ts *testServer) byConn() map[string][]time.Duration {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	m := make(map[string][]time.Duration)
	for _, a := range ts.arrivals {
		m[a.conn] = append(m[a.conn], a.at)
	}
	for _, times := range m {
		slices.Sort(times)
	}
	return m
}

// peak is the largest number of requests handled at once that an arrival
// in [from, to) saw.
func (ts *testServer) peak(from, to time.Duration) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for _, a := range ts.arrivals {
		if a.at >= from && a.at < to {
			n = max(n, a.active)
		}
	}
	return n
}

// between counts the arrivals in [from, to).
func (ts *testServer) between(from, to time.Duration) int {
	n := 0
	for _, at := range ts.times() {
		if at >= from && at < to {
			n++
		}
	}
	return n
}

// run builds a generator for cfg against ts and runs it to the end.
func run(t *testing.T, ts *testServer, cfg Config) (*Generator, time.Duration) {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = ts.URL + "/work"
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts.begin()
	start := time.Now()
	if err := g.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return g, time.Since(start)
}

// checkBalanced checks the invariant of Totals once Run has returned.
func checkBalanced(t *testing.T, tot Totals) {
	t.Helper()
	if tot.Requests != tot.OK+tot.ErrorCount() {
		t.Errorf("Requests %d != OK %d + errors %d", tot.Requests, tot.OK, tot.ErrorCount())
	}
	if tot.Sent != tot.Requests+tot.Cancelled+tot.InFlight {
		t.Errorf("Sent %d != Requests %d + Cancelled %d + InFlight %d", tot.Sent, tot.Requests, tot.Cancelled, tot.InFlight)
	}
}

// checkFollows checks that the server saw the open-model schedule of
// phases: every request, none before it was due, and most of them on time.
// Sorted arrivals can be compared with sorted due times: if each arrival
// follows its due time, the i-th earliest arrival follows the i-th earliest
// due time.
func checkFollows(t *testing.T, ts *testServer, phases []Phase) {
	t.Helper()
	sched := NewSchedule(phases)
	times := ts.times()
	if int64(len(times)) != sched.Total() {
		t.Fatalf("server saw %d requests, want the schedule's %d", len(times), sched.Total())
	}
	var late []time.Duration
	for i, at := range times {
		due, _ := sched.At(int64(i))
		if at < due {
			t.Errorf("request %d arrived at %v, before it was due at %v", i, at, due)
		}
		late = append(late, at-due)
	}
	slices.Sort(late)
	if median := late[len(late)/2]; median > 100*ms {
		t.Errorf("median lateness %v, want the schedule kept within a few ms", median)
	}
}

func TestClosedModelPacesWorkers(t *testing.T) {
	ts := newTestServer(t, nil)
	g, took := run(t, ts, Config{Phases: []Phase{{Duration: 2 * s, Workers: 5, WorkerRate: 2}}})

	// Each worker sends at 0, 0.5s, 1s, 1.5s: 20 requests, fewer if the
	// machine is slow, never more.
	tot := g.Totals()
	if tot.Sent < 12 || tot.Sent > 20 {
		t.Errorf("sent %d requests, want 20 (5 workers x 2/s x 2s)", tot.Sent)
	}
	conns := ts.byConn()
	if len(conns) != 5 {
		t.Errorf("%d connections, want one per worker", len(conns))
	}
	for conn, times := range conns {
		if times[0] > 400*ms {
			t.Errorf("worker on %s sent first at %v, want at t=0", conn, times[0])
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i] - times[i-1]; gap < 450*ms {
				t.Errorf("worker on %s sent %v after its previous request, want at most one per 500ms", conn, gap)
			}
		}
	}
	if tot.OK != tot.Sent || tot.Latency.Count != tot.Sent {
		t.Errorf("totals = %+v, want every request OK with a latency", tot)
	}
	checkBalanced(t, tot)
	if took > 4*s {
		t.Errorf("Run took %v for a 2s phase against a fast server", took)
	}
}

// A worker whose response comes after its next slot sends again as soon as
// the response arrives: at 0, 0.7s and 1.4s for a 700ms server at 2 req/s
// (not at the next slot, 1s, and not in a burst to catch up).
func TestClosedModelSlowServerSendsOnResponse(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(700 * ms) })
	g, took := run(t, ts, Config{Phases: []Phase{{Duration: 2 * s, Workers: 1, WorkerRate: 2}}})

	times := ts.times()
	if len(times) < 2 || len(times) > 3 {
		t.Fatalf("arrivals at %v, want 3 (at 0, 0.7s, 1.4s)", times)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i] - times[i-1]; gap < 690*ms || gap > 950*ms {
			t.Errorf("gap %d = %v, want about 700ms (right after the response)", i, gap)
		}
	}
	tot := g.Totals()
	if tot.OK != int64(len(times)) || tot.Latency.P50 < 690 || tot.Latency.P50 > 950 {
		t.Errorf("totals = %+v, want every request OK with ~700ms latency measured from the send", tot)
	}
	// The last request, sent at 1.4s, is awaited past the phase's end.
	if took < 2050*ms {
		t.Errorf("Run returned after %v, before the last response (~2.1s)", took)
	}
}

func TestOpenModelConstantRate(t *testing.T) {
	ts := newTestServer(t, nil)
	phases := []Phase{{Duration: s, Rate: 50}}
	g, took := run(t, ts, Config{Phases: phases})

	tot := g.Totals()
	if tot.Sent != 50 || tot.OK != 50 {
		t.Errorf("sent %d, OK %d; want 50 (50/s x 1s)", tot.Sent, tot.OK)
	}
	checkFollows(t, ts, phases)
	checkBalanced(t, tot)
	if took < 980*ms || took > 3*s {
		t.Errorf("Run took %v for a 1s phase", took)
	}
}

// A ramp sends the integral of its rate: 0 -> 60 req/s over 1s is 30
// requests, 8 of them in the first half.
func TestOpenModelRampSendsIntegral(t *testing.T) {
	ts := newTestServer(t, nil)
	phases := []Phase{{Duration: s, Ramp: true, From: 0, To: 60}}
	g, _ := run(t, ts, Config{Phases: phases})

	if tot := g.Totals(); tot.Sent != 30 || tot.OK != 30 {
		t.Errorf("sent %d, OK %d; want 30", tot.Sent, tot.OK)
	}
	checkFollows(t, ts, phases)
}

// Open phases back to back make one schedule (no gap, no burst at the
// boundaries: see TestScheduleBoundaryIsSeamless); the generator follows it.
func TestOpenPhasesBackToBack(t *testing.T) {
	ts := newTestServer(t, nil)
	phases := []Phase{
		{Duration: 500 * ms, Rate: 20},                     // 10
		{Duration: 500 * ms, Ramp: true, From: 20, To: 40}, // 15
		{Duration: 500 * ms, Rate: 40},                     // 20
		{Duration: 200 * ms},                               // idle
		{Duration: 500 * ms, Ramp: true, From: 40, To: 0},  // 10
	}
	g, took := run(t, ts, Config{Phases: phases})

	tot := g.Totals()
	if tot.Sent != 55 || tot.OK != 55 {
		t.Errorf("sent %d, OK %d; want 55 (10 + 15 + 20 + 0 + 10)", tot.Sent, tot.OK)
	}
	checkFollows(t, ts, phases)
	if took < 2150*ms || took > 4*s {
		t.Errorf("Run took %v for 2.2s of phases", took)
	}
}

// Closed and open phases mix; worker i of a closed phase starts once worker
// i of the previous closed phase is done, so that the boundary between two
// closed phases never has more requests in flight than workers. (An open
// phase does not wait: its requests are due when they are due.)
func TestClosedAndOpenPhases(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(150 * ms) })
	g, took := run(t, ts, Config{Phases: []Phase{
		{Duration: 500 * ms, Workers: 2},                // as fast as possible: 4 each (at 0, 150, 300, 450ms)
		{Duration: 500 * ms, Workers: 2},                // 3 or 4 each, once the previous ones are done
		{Duration: 500 * ms, Rate: 10},                  // 5
		{Duration: 400 * ms, Workers: 1, WorkerRate: 5}, // 2
	}})

	tot := g.Totals()
	if tot.Sent < 5+4 || tot.Sent > 8+8+5+2 {
		t.Errorf("sent %d, want about 21", tot.Sent)
	}
	if peak := ts.peak(0, 950*ms); peak != 2 {
		t.Errorf("%d requests in flight at once in the closed phases, want the 2 workers'", peak)
	}
	checkBalanced(t, tot)
	if tot.OK != tot.Sent {
		t.Errorf("totals = %+v, want every request OK", tot)
	}
	if took < 1900*ms || took > 4*s {
		t.Errorf("Run took %v for 1.9s of phases", took)
	}
}

func TestStatusCodes(t *testing.T) {
	for _, snd := range senders {
		t.Run(snd.name, func(t *testing.T) {
			codes := []int{200, 404, 500, 502, 503, 504}
			var next atomic.Int64
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(codes[int(next.Add(1)-1)%len(codes)])
			})
			g, _ := run(t, ts, Config{Client: snd.client(), Phases: []Phase{{Duration: 500 * ms, Rate: 60}}})

			tot := g.Totals()
			want := map[string]int64{"404": 5, "500": 5, "502": 5, "503": 5, "504": 5}
			if diff := cmp.Diff(want, tot.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if tot.OK != 5 || tot.Requests != 30 || tot.Latency.Count != 30 {
				t.Errorf("totals = %+v, want 30 requests, 5 OK, 30 latencies (every status)", tot)
			}
			if rate := tot.ErrorRate(); rate != 25.0/30 {
				t.Errorf("ErrorRate = %v, want 25/30", rate)
			}
			checkBalanced(t, tot)
		})
	}
}

func TestTransportErrors(t *testing.T) {
	// A port nothing listens on: listen, note the address, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + l.Addr().String() + "/"
	l.Close()

	hijackClose := func(linger bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			if linger {
				_ = c.(*net.TCPConn).SetLinger(0) // close with a RST
			}
			c.Close()
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		url     string
		timeout time.Duration
		want    string
	}{
		{name: "refused", url: refusedURL, want: KindRefused},
		{name: "reset by RST", handler: hijackClose(true), want: KindReset},
		{name: "closed before answering", handler: hijackClose(false), want: KindReset},
		{
			name: "timeout",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * s):
				}
			},
			timeout: 100 * ms,
			want:    KindTimeout,
		},
		{
			name: "closed mid-body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				_, _ = w.Write([]byte("part"))
				w.(http.Flusher).Flush()
				c, _, _ := w.(http.Hijacker).Hijack()
				c.Close()
			},
			want: KindReset,
		},
	}
	for _, tt := range tests {
		for _, snd := range senders {
			t.Run(tt.name+"/"+snd.name, func(t *testing.T) {
				testTransportError(t, tt.handler, tt.url, tt.timeout, snd.client(), tt.want)
			})
		}
	}
}

func testTransportError(t *testing.T, handler http.HandlerFunc, url string, timeout time.Duration, client *http.Client, kind string) {
	ts := newTestServer(t, handler)
	// Closed model, 1 worker at 10/s for 300ms: up to 3 requests (at 0,
	// 100ms, 200ms, or on each failure after that).
	g, took := run(t, ts, Config{
		URL:     url,
		Timeout: timeout,
		Client:  client,
		Phases:  []Phase{{Duration: 300 * ms, Workers: 1, WorkerRate: 10}},
	})
	tot := g.Totals()
	if tot.Requests < 1 || tot.Requests > 3 {
		t.Errorf("%d requests, want 1 to 3", tot.Requests)
	}
	want := map[string]int64{kind: tot.Requests}
	if diff := cmp.Diff(want, tot.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// Every failure counts in the latency at the time it failed; none is
	// an OK response.
	if tot.OK != 0 || tot.Latency.Count != tot.Requests || tot.LatencyOK.Count != 0 {
		t.Errorf("totals = %+v, want every failure in Latency and none in LatencyOK", tot)
	}
	if timeout > 0 && tot.Latency.P50 < float64(timeout/ms) {
		t.Errorf("p50 %v ms, want timeouts at the timeout (%v) at least", tot.Latency.P50, timeout)
	}
	checkBalanced(t, tot)
	if took > 2*s {
		t.Errorf("Run took %v", took)
	}
}

// stallRun runs rate req/s for 3s against ts, closing a window every
// second from the start of Run as lab's runner does, and returns the
// windows and the totals.
func stallRun(t *testing.T, ts *testServer, rate float64, maxInFlight int) ([]Window, Totals) {
	t.Helper()
	g, err := New(Config{URL: ts.URL, MaxInFlight: maxInFlight, Phases: []Phase{{Duration: 3 * s, Rate: rate}}})
	if err != nil {
		t.Fatal(err)
	}
	var windows []Window
	closed := make(chan struct{})
	ts.begin()
	go func() {
		defer close(closed)
		tick := time.NewTicker(s)
		defer tick.Stop()
		for range 4 {
			<-tick.C
			windows = append(windows, g.Window())
		}
	}()
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-closed
	tot := g.Totals()
	want := int64(3 * rate)
	if tot.Sent != want || tot.OK != want {
		t.Errorf("sent %d, OK %d; want %d, the late ones included", tot.Sent, tot.OK, want)
	}
	checkBalanced(t, tot)
	for i, w := range windows {
		t.Logf("window %d: sent %d ok %d, latency %+v", i+1, w.Sent, w.OK, w.Latency)
	}
	return windows, tot
}

// In the open model latency runs from the time a request was due. The
// server stalls for 1s at t=1s; in the one-second windows the runner
// closes, the p99 of the window in which the requests due during the stall
// complete shows the stall (~1s), whether the generator kept sending on
// time or fell behind.
func TestOpenModelLatencyFromIntendedTime(t *testing.T) {
	// With at most one request in flight (a generator with one connection),
	// the request sent at t=1s takes 1s and the 200 due meanwhile go out
	// behind it at t=2s, each quickly answered. From the actual send, one
	// request of ~400 in that window would be slow and its p99 would be a
	// few ms: coordinated omission. From the due time, half the window
	// waited between 0 and 1s.
	t.Run("generator held back", func(t *testing.T) {
		var stalled atomic.Bool
		ts := newTestServer(t, nil)
		ts.Config.Handler = stallOnce(ts, &stalled)
		windows, tot := stallRun(t, ts, 200, 1)
		checkStallShows(t, windows, tot)
		// And the requests did go out late: none reached the server during
		// the stall.
		if n := ts.between(1050*ms, 1950*ms); n != 0 {
			t.Errorf("%d requests reached the server during the stall, want none (one in flight at most)", n)
		}
	})
	// Without a cap the generator keeps sending on time during the stall,
	// opening connections as the requests pile up at the server, and each
	// request's latency is the rest of the stall.
	t.Run("generator on time", func(t *testing.T) {
		ts := newTestServer(t, nil)
		release := make(chan struct{})
		inner := ts.Config.Handler
		ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r)
			if at := ts.since(); at >= s && at < 2*s {
				<-release
			}
		})
		time.AfterFunc(2*s, func() { close(release) }) // 2s after begin, give or take the set-up
		windows, tot := stallRun(t, ts, 200, 0)
		checkStallShows(t, windows, tot)
		if n := ts.between(1100*ms, 1900*ms); n < 120 {
			t.Errorf("%d requests reached the server in the 800ms of the stall's middle, want about 160 (on time)", n)
		}
	})
}

// stallOnce returns ts's handler, made to hold the first request that
// arrives at or after t=1s for 1s.
func stallOnce(ts *testServer, stalled *atomic.Bool) http.Handler {
	inner := ts.Config.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r)
		if ts.since() >= s && stalled.CompareAndSwap(false, true) {
			time.Sleep(s)
		}
	})
}

// checkStallShows checks that a 1s stall shows in the windows: one of them
// has a p99 of about 1s and a p90 of at least half of it (the requests due
// during the stall waited 1s, 995ms, ..., 5ms), and the totals a max of
// about 1s.
func checkStallShows(t *testing.T, windows []Window, tot Totals) {
	t.Helper()
	var p99, p90 float64
	for _, w := range windows {
		p99, p90 = max(p99, w.Latency.P99), max(p90, w.Latency.P90)
	}
	if p99 < 800 || p90 < 400 {
		t.Errorf("largest window p99 %vms, p90 %vms; want the stall to show: p99 ~1000ms (>= 800), p90 >= 400ms", p99, p90)
	}
	if tot.Latency.Max < 950 || tot.Latency.Max > 5000 {
		t.Errorf("latency = %+v, want a max of ~1s", tot.Latency)
	}
}

func TestCancelReturnsPromptly(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * s):
		}
	}
	for _, phase := range []Phase{
		{Duration: 5 * s, Rate: 20},
		{Duration: 5 * s, Workers: 3},
	} {
		for _, snd := range senders {
			t.Run(fmt.Sprintf("workers=%d/%s", phase.Workers, snd.name), func(t *testing.T) {
				ts := newTestServer(t, hang)
				g, err := New(Config{URL: ts.URL, Timeout: 30 * s, Client: snd.client(), Phases: []Phase{phase}})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				var mu sync.Mutex
				var cancelled time.Time
				time.AfterFunc(300*ms, func() {
					mu.Lock()
					cancelled = time.Now()
					mu.Unlock()
					cancel()
				})
				err = g.Run(ctx)
				returned := time.Now()
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Run = %v, want context.Canceled", err)
				}
				mu.Lock()
				if took := returned.Sub(cancelled); took > 800*ms {
					t.Errorf("Run returned %v after the cancel; want well under 1s", took)
				}
				mu.Unlock()
				tot := g.Totals()
				if tot.Cancelled < 3 || tot.Requests != 0 || len(tot.Errors) != 0 || tot.InFlight != 0 {
					t.Errorf("totals = %+v, want every hung request cancelled, none an error", tot)
				}
				checkBalanced(t, tot)
			})
		}
	}
}

func TestWindowResetsBetweenCalls(t *testing.T) {
	ts := newTestServer(t, nil)
	g, err := New(Config{URL: ts.URL, Phases: []Phase{{Duration: s, Workers: 2, WorkerRate: 20}}})
	if err != nil {
		t.Fatal(err)
	}
	var sum Window
	add := func(w Window) {
		sum.Sent += w.Sent
		sum.OK += w.OK
		sum.Latency.Count += w.Latency.Count
	}
	done := make(chan error)
	go func() { done <- g.Run(context.Background()) }()
	windows := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-time.After(200 * ms):
			add(g.Window())
			windows++
		}
	}
	add(g.Window())
	// Had a window not been reset, the windows would add up to more.
	tot := g.Totals()
	if sum.Sent != int(tot.Sent) || sum.OK != int(tot.OK) || sum.Latency.Count != tot.Latency.Count {
		t.Errorf("windows add up to %+v, totals are %+v", sum, tot)
	}
	if windows < 2 || tot.Sent < 10 || tot.Sent > 40 {
		t.Errorf("%d windows, %d sent; want ~5 windows and 40 requests", windows, tot.Sent)
	}
	if diff := cmp.Diff(Window{Errors: map[string]int{}}, g.Window()); diff != "" {
		t.Errorf("window after the end is not empty (-want +got):\n%s", diff)
	}
}

func TestPauseStopsSending(t *testing.T) {
	for _, phase := range []Phase{
		{Duration: 1500 * ms, Rate: 40},
		{Duration: 1500 * ms, Workers: 2, WorkerRate: 20},
	} {
		t.Run(fmt.Sprintf("workers=%d", phase.Workers), func(t *testing.T) {
			ts := newTestServer(t, nil)
			g, err := New(Config{URL: ts.URL, Phases: []Phase{phase}})
			if err != nil {
				t.Fatal(err)
			}
			var paused, resumed time.Duration
			pausing := make(chan struct{})
			go func() {
				defer close(pausing)
				time.Sleep(500 * ms)
				g.Pause(true)
				paused = ts.since()
				time.Sleep(500 * ms)
				resumed = ts.since()
				g.Pause(false)
			}()
			ts.begin()
			if err := g.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-pausing
			// A request sent just before the pause may arrive just after it.
			if n := ts.between(paused+50*ms, resumed); n != 0 {
				t.Errorf("%d requests while paused (%v to %v)", n, paused, resumed)
			}
			if resumed < 1300*ms {
				if n := ts.between(resumed, 1500*ms); n < 1 {
					t.Errorf("no request after resuming at %v", resumed)
				}
			}
			// What came due while paused is skipped, not sent after it: of the
			// 60 requests of the phase, those of the pause are not sent.
			skipped := int64((resumed - paused - 100*ms).Seconds() * 40)
			if tot := g.Totals(); tot.Sent > 60-skipped || tot.Sent < 10 {
				t.Errorf("sent %d, want at most %d (60 less those of a %v pause)", tot.Sent, 60-skipped, resumed-paused)
			}
		})
	}
}

// Against a fast server the open model's pool stays about as large as the
// concurrency the rate needs (2000 req/s x ~0.2ms: one or two requests in
// flight), even though requests now and then find every goroutine busy:
// it used to open a connection each time, up to MaxInFlight on a busy
// machine. (How fast it grows when the server is slow: see the "generator
// on time" case of TestOpenModelLatencyFromIntendedTime.)
func TestOpenModelPoolStaysSmall(t *testing.T) {
	ts := newTestServer(t, nil)
	phases := []Phase{{Duration: s, Rate: 2000}}
	g, _ := run(t, ts, Config{Phases: phases})
	tot := g.Totals()
	if tot.OK != 2000 {
		t.Errorf("OK %d, want 2000", tot.OK)
	}
	// A hiccup of the machine of d seconds lets the pool grow to about
	// 2 x 2000 x d: 200 is a 50ms hiccup, far below the 2000 requests.
	if n := ts.conns.Load(); n > 200 {
		t.Errorf("%d connections for 2000 req/s against a fast server (p99 %vms)", n, tot.Latency.P99)
	} else {
		t.Logf("%d connections, p99 %vms", n, tot.Latency.P99)
	}
}

func TestConnectionsAreReused(t *testing.T) {
	body := strings.Repeat("x", 4096)
	for _, snd := range senders {
		t.Run(snd.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
			client := snd.client()
			if client != nil {
				client.Transport = newTransport(100)
			}
			g, _ := run(t, ts, Config{Client: client, Phases: []Phase{{Duration: 300 * ms, Workers: 4}}})
			tot := g.Totals()
			if tot.OK < 20 {
				t.Errorf("only %d requests in 300ms as fast as possible", tot.OK)
			}
			if n := ts.conns.Load(); n > 8 {
				t.Errorf("%d connections for 4 workers and %d requests: bodies are not read or closed", n, tot.OK)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	url := "http://127.0.0.1:1/"
	one := []Phase{{Duration: s, Rate: 1}}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no phases", Config{URL: url}},
		{"no url", Config{Phases: one}},
		{"relative url", Config{URL: "/cpu", Phases: one}},
		{"bad scheme", Config{URL: "ftp://h/", Phases: one}},
		{"bad method", Config{URL: url, Method: "GE T", Phases: one}},
		{"negative timeout", Config{URL: url, Timeout: -s, Phases: one}},
		{"negative max in flight", Config{URL: url, MaxInFlight: -1, Phases: one}},
		{"zero duration", Config{URL: url, Phases: []Phase{{Rate: 1}}}},
		{"negative rate", Config{URL: url, Phases: []Phase{{Duration: s, Rate: -1}}}},
		{"both models", Config{URL: url, Phases: []Phase{{Duration: s, Rate: 1, Workers: 2}}}},
		{"worker rate without workers", Config{URL: url, Phases: []Phase{{Duration: s, WorkerRate: 2}}}},
		{"rate and ramp", Config{URL: url, Phases: []Phase{{Duration: s, Rate: 1, Ramp: true, To: 5}}}},
		{"from/to without ramp", Config{URL: url, Phases: []Phase{{Duration: s, To: 5}}}},
		{"negative workers", Config{URL: url, Phases: []Phase{{Duration: s, Workers: -1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("New = %v, want an ErrConfig", err)
			}
		})
	}

	g, err := New(Config{URL: url, Phases: one})
	if err != nil {
		t.Fatal(err)
	}
	if g.cfg.Method != "GET" || g.cfg.Timeout != 65*s || g.cfg.MaxInFlight != 10000 {
		t.Errorf("defaults: %+v", g.cfg)
	}
}

func TestRunTwice(t *testing.T) {
	ts := newTestServer(t, nil)
	g, _ := run(t, ts, Config{Phases: []Phase{{Duration: 10 * ms, Rate: 100}}})
	if err := g.Run(context.Background()); !errors.Is(err, ErrRunTwice) {
		t.Errorf("second Run = %v, want ErrRunTwice", err)
	}
}

// BenchmarkClosedModel measures the closed model at full speed: 32 workers,
// no pacing, against a local hello server, like `hey -c 32` or
// `wrk -c 32 -t 2`. ns/op is per request; allocs/req counts both the
// generator and the in-process server.
func BenchmarkClosedModel(b *testing.B) {
	hello := []byte("hello\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(hello) }))
	defer srv.Close()
	// As many requests as b.N at ~100k/s, so that the framework's b.N
	// search converges on about -benchtime of load.
	d := max(time.Duration(b.N)*10*time.Microsecond, 100*ms)
	g, err := New(Config{URL: srv.URL, Phases: []Phase{{Duration: d, Workers: 32}}})
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	if err := g.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	tot := g.Totals()
	if tot.OK != tot.Requests || tot.Requests == 0 {
		b.Fatalf("totals = %+v", tot)
	}
	b.ReportMetric(float64(tot.Requests)/took.Seconds(), "req/s")
	b.ReportMetric(float64(took.Nanoseconds())/float64(tot.Requests), "ns/op")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(tot.Requests), "allocs/req")
	b.ReportMetric(tot.Latency.P99, "p99-ms")
}

// BenchmarkOpenModel measures how closely the open model keeps its rate:
// achieved-rps is the number of requests the generator sent between its
// Window calls at about 1s and 2s into a 3s phase, divided by the time
// between the calls; rate-err-% is its distance to the target; p99-ms is
// the latency from the due times, server included.
func BenchmarkOpenModel(b *testing.B) {
	for _, rate := range []float64{1000, 5000, 10000} {
		b.Run(fmt.Sprintf("rate=%.0f", rate), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			defer srv.Close()
			for b.Loop() {
				// The server shares the process (and its file descriptors): a
				// cap on connections and a short timeout keep a stall of the
				// machine from turning into minutes.
				g, err := New(Config{URL: srv.URL, Timeout: 5 * s, MaxInFlight: 2000, Phases: []Phase{{Duration: 3 * s, Rate: rate}}})
				if err != nil {
					b.Fatal(err)
				}
				var mu sync.Mutex
				var t1, t2 time.Time
				var sent int
				time.AfterFunc(s, func() { mu.Lock(); g.Window(); t1 = time.Now(); mu.Unlock() })
				time.AfterFunc(2*s, func() { mu.Lock(); sent = g.Window().Sent; t2 = time.Now(); mu.Unlock() })
				if err := g.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				mu.Lock()
				achieved := float64(sent) / t2.Sub(t1).Seconds()
				mu.Unlock()
				b.ReportMetric(achieved, "achieved-rps")
				b.ReportMetric(100*(achieved-rate)/rate, "rate-err-%")
				b.ReportMetric(g.Totals().Latency.P99, "p99-ms")
			}
		})
	}
}
