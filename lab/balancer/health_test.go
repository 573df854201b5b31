package balancer

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHealthStateThresholds(t *testing.T) {
	hc := HealthCheck{HealthyThreshold: 2, UnhealthyThreshold: 3}
	type step struct {
		ok          bool
		wantHealthy bool
		wantChange  bool
	}
	run := func(name string, steps []step) {
		t.Helper()
		var h healthState
		for i, s := range steps {
			changed := h.observe(s.ok, hc)
			if h.healthy != s.wantHealthy || changed != s.wantChange {
				t.Fatalf("%s, step %d (ok=%v): healthy=%v changed=%v, want healthy=%v changed=%v",
					name, i, s.ok, h.healthy, changed, s.wantHealthy, s.wantChange)
			}
		}
	}
	run("new target", []step{
		{false, false, false}, // initial: no verdict yet
		{true, true, true},    // one passed check is enough for a new target
		{false, true, false},
		{false, true, false},
		{true, true, false}, // a success resets the failures
		{false, true, false},
		{false, true, false},
		{false, false, true}, // three in a row: unhealthy
		{true, false, false}, // back from unhealthy takes healthy_threshold
		{false, false, false},
		{true, false, false},
		{true, true, true}, // two in a row: healthy again
	})
	run("new target that never passes", []step{
		{false, false, false},
		{false, false, false},
		{false, false, true}, // initial to unhealthy: a change of verdict
		{false, false, false},
		{true, false, false}, // no longer new: one success is not enough
		{true, true, true},
	})
}

func TestCheckHealthFollowsTheTarget(t *testing.T) {
	var up atomic.Bool
	up.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ping" || !up.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()

	hc := HealthCheck{Path: "/ping", Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond,
		HealthyThreshold: 2, UnhealthyThreshold: 2}
	changes := make(chan bool, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go CheckHealth(ctx, srv.Client(), strings.TrimPrefix(srv.URL, "http://"), hc, func(h HealthResult) {
		if h.Changed {
			changes <- h.Healthy
		}
	})

	expect := func(want bool) {
		t.Helper()
		select {
		case got := <-changes:
			if got != want {
				t.Fatalf("health changed to %v, want %v", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no health change to %v within 5s", want)
		}
	}
	expect(true)
	up.Store(false)
	expect(false)
	up.Store(true)
	expect(true)
}

// checks runs CheckHealth against srv until it has made n checks and
// returns their results.
func checks(t *testing.T, srv *httptest.Server, hc HealthCheck, n int) []HealthResult {
	t.Helper()
	results := make(chan HealthResult, n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go CheckHealth(ctx, srv.Client(), strings.TrimPrefix(srv.URL, "http://"), hc, func(h HealthResult) {
		select {
		case results <- h:
		default:
		}
	})
	var got []HealthResult
	for range n {
		select {
		case h := <-results:
			got = append(got, h)
		case <-time.After(5 * time.Second):
			t.Fatalf("%d checks within 5s, want %d", len(got), n)
		}
	}
	return got
}

func TestCheckHealthDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/ok", http.StatusFound)
	}))
	defer srv.Close()
	hc := HealthCheck{Path: "/ping", Interval: 10 * time.Millisecond, Timeout: time.Second,
		HealthyThreshold: 1, UnhealthyThreshold: 2}

	for i, h := range checks(t, srv, hc, 3) {
		if h.Healthy {
			t.Fatalf("check %d: a 302 made the target healthy with the default matcher (200)", i+1)
		}
	}
	if n := followed.Load(); n > 0 {
		t.Errorf("the health check followed the redirect %d times", n)
	}

	hc.Success = func(code int) bool { return code == http.StatusFound }
	if h := checks(t, srv, hc, 1)[0]; !h.Healthy {
		t.Errorf("a 302 is a failed check with a matcher that allows it")
	}
}

// A published port accepts connections before the app listens behind it
// (Docker's port proxy accepts, then closes): the first check waits for
// an HTTP answer instead of failing on the proxy and costing a whole
// interval.
func TestFirstCheckWaitsForAnHTTPAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ready := time.Now().Add(300 * time.Millisecond)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if time.Now().Before(ready) {
				c.Close() // the proxy, with nothing behind it yet
				continue
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Second))
				buf := make([]byte, 1024)
				c.Read(buf)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	hc := HealthCheck{Path: "/", Interval: 5 * time.Second, Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	first := make(chan HealthResult, 1)
	start := time.Now()
	go CheckHealth(ctx, http.DefaultClient, ln.Addr().String(), hc, func(h HealthResult) {
		select {
		case first <- h:
		default:
		}
		cancel()
	})
	select {
	case h := <-first:
		if !h.Healthy {
			t.Errorf("first check %+v: the target answered 200 once its app listened, want healthy", h)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("the first check came after %v, want soon after the app listens (0.3 s)", took)
		}
	case <-ctx.Done():
		t.Fatal("no check in 10 s")
	}
}
