package balancer

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func startBalancer(t *testing.T, algorithm string, timeout time.Duration) *Balancer {
	t.Helper()
	b := New(algorithm, timeout)
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func backendServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// forwardingPaths are the balancer's two ways to forward a request: its
// lean path, which serves its own listener, and ReverseProxy (ServeHTTP),
// which serves what the lean path hands over; here it is reached through
// a server of the test's own, so that every request takes it.
var forwardingPaths = []struct {
	name string
	url  func(t *testing.T, b *Balancer) string
}{
	{"lean", func(t *testing.T, b *Balancer) string { return b.URL() }},
	{"reverseproxy", func(t *testing.T, b *Balancer) string {
		srv := httptest.NewServer(b)
		t.Cleanup(srv.Close)
		return srv.URL
	}},
}

// refusedAddr is an address where nothing listens.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func serving(h http.HandlerFunc) func(t *testing.T) string {
	return func(t *testing.T) string { return backendServer(t, h) }
}

func TestBalancerStatusCodes(t *testing.T) {
	tests := []struct {
		name    string
		target  func(t *testing.T) string // its address; nil registers none
		healthy bool
		want    int
		body    string // ALB's own answer; "" when the target answers
	}{
		{"healthy target answers", serving(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }), true, 200, ""},
		{"target's own error passes through", serving(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }), true, 500, ""},
		{"target in its initial checks: 503", serving(func(w http.ResponseWriter, r *http.Request) {}), false, 503,
			"503 Service Temporarily Unavailable: no healthy target\n"},
		{"no target registered: 503", nil, false, 503, "503 Service Temporarily Unavailable: no healthy target\n"},
		{"target closes the connection mid-request: 502", serving(func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}), true, 502, "502 Bad Gateway\n"},
		{"target refuses the connection: 502", refusedAddr, true, 502, "502 Bad Gateway\n"},
	}
	for _, path := range forwardingPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				b := startBalancer(t, RoundRobin, time.Second)
				if tt.target != nil {
					b.Register("t1", tt.target(t))
					if tt.healthy {
						b.SetHealthy("t1", true)
					}
				}
				code, body := get(t, path.url(t, b)+"/x")
				if code != tt.want || tt.body != "" && body != tt.body {
					t.Errorf("status %d (%q), want %d %q", code, body, tt.want, tt.body)
				}
			})
		}
	}
}

// The target timeout covers the response head, on both paths: a target
// whose head does not arrive in time gets ALB's 504; one whose head does
// may take its time over the body.
func TestBalancerTargetTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tests := []struct {
		name   string
		target func(t *testing.T) string
		want   int
		body   string
	}{
		{"no response in time: 504", serving(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(3 * timeout)
		}), 504, "504 Gateway Time-out\n"},
		{"part of the head, then silence: 504", func(t *testing.T) string {
			addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				readRawRequest(br)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-")
				time.Sleep(3 * timeout)
			})
			return addr
		}, 504, "504 Gateway Time-out\n"},
		{"head in time, slow body: the whole body", serving(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "start;")
			w.(http.Flusher).Flush()
			time.Sleep(2 * timeout)
			io.WriteString(w, "end")
		}), 200, "start;end"},
	}
	for _, path := range forwardingPaths {
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				b := startBalancer(t, RoundRobin, timeout)
				b.Register("t", tt.target(t))
				b.SetHealthy("t", true)
				if code, body := get(t, path.url(t, b)); code != tt.want || body != tt.body {
					t.Errorf("status %d, body %q; want %d %q", code, body, tt.want, tt.body)
				}
			})
		}
	}
}

func namedBackend(t *testing.T, name string) string {
	return backendServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
}

func TestRoundRobinSkipsUnhealthyTargets(t *testing.T) {
	b := startBalancer(t, RoundRobin, time.Second)
	for _, id := range []string{"a", "b", "c"} {
		b.Register(id, namedBackend(t, id))
	}
	b.SetHealthy("a", true)
	b.SetHealthy("c", true)
	counts := map[string]int{}
	for range 10 {
		_, body := get(t, b.URL())
		counts[body]++
	}
	if counts["b"] != 0 || counts["a"] != 5 || counts["c"] != 5 {
		t.Errorf("requests per target %v, want a and c 5 each and none to unhealthy b", counts)
	}
	b.Deregister("a")
	for range 4 {
		if _, body := get(t, b.URL()); body != "c" {
			t.Fatalf("after deregistering a, got a response from %q", body)
		}
	}
	for _, ts := range b.Targets() {
		if ts.ID == "c" && ts.Requests != 9 {
			t.Errorf("target c counted %d requests, want 9", ts.Requests)
		}
	}
}

// ALB fails open: with no healthy target, the unhealthy ones get the
// requests, in turn; a healthy target takes them all back. Targets in
// their initial checks get none.
func TestFailOpenWhenEveryTargetIsUnhealthy(t *testing.T) {
	for _, path := range forwardingPaths {
		t.Run(path.name, func(t *testing.T) {
			b := startBalancer(t, RoundRobin, time.Second)
			url := path.url(t, b)
			for _, id := range []string{"a", "b", "new"} {
				b.Register(id, namedBackend(t, id))
			}
			b.SetHealthy("a", false)
			b.SetHealthy("b", false)
			counts := map[string]int{}
			for range 6 {
				code, body := get(t, url)
				if code != http.StatusOK {
					t.Fatalf("status %d (%q) with two unhealthy targets, want their answer (fail open)", code, body)
				}
				counts[body]++
			}
			if counts["a"] != 3 || counts["b"] != 3 {
				t.Errorf("requests per target %v failing open, want a and b 3 each and none to the new target", counts)
			}
			b.SetHealthy("new", true)
			for range 3 {
				if _, body := get(t, url); body != "new" {
					t.Fatalf("with a healthy target, an unhealthy one (%s) answered", body)
				}
			}
			b.Deregister("new")
			b.Deregister("a")
			b.Deregister("b")
			if code, _ := get(t, url); code != http.StatusServiceUnavailable {
				t.Errorf("status %d with no target registered, want 503", code)
			}
		})
	}
}

func TestLeastOutstandingRequestsAvoidsBusyTarget(t *testing.T) {
	release := make(chan struct{})
	slow := backendServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "slow")
	})
	b := startBalancer(t, LeastOutstandingRequests, 10*time.Second)
	b.Register("slow", slow)
	b.Register("fast", namedBackend(t, "fast"))
	b.SetHealthy("slow", true)
	b.SetHealthy("fast", true)

	// Occupy the slow target with one request that stays in flight.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_, body := get(t, b.URL())
			if body == "slow" {
				return
			}
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for outstanding(b, "slow") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow target never got a request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 6 {
		if _, body := get(t, b.URL()); body != "fast" {
			t.Fatalf("got %q while slow had a request outstanding, want fast", body)
		}
	}
	close(release)
	wg.Wait()
}

func outstanding(b *Balancer, id string) int64 {
	for _, ts := range b.Targets() {
		if ts.ID == id {
			return ts.Outstanding
		}
	}
	return 0
}

func TestDrainLetsInFlightRequestsFinish(t *testing.T) {
	release := make(chan struct{})
	b := startBalancer(t, RoundRobin, 10*time.Second)
	b.Register("old", backendServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "old")
	}))
	b.Register("new", namedBackend(t, "new"))
	b.SetHealthy("old", true)

	inFlight := make(chan int, 1)
	go func() {
		code, _ := get(t, b.URL())
		inFlight <- code
	}()
	for outstanding(b, "old") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	b.SetHealthy("new", true)

	drained := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		b.Drain(context.Background(), "old", 5*time.Second)
		drained <- time.Since(start)
	}()
	// While draining, new requests go to the other target only.
	time.Sleep(50 * time.Millisecond)
	for range 4 {
		if _, body := get(t, b.URL()); body != "new" {
			t.Fatalf("a draining target got a new request (%q)", body)
		}
	}
	select {
	case <-drained:
		t.Fatal("Drain returned while a request was still in flight")
	default:
	}
	close(release)
	if code := <-inFlight; code != 200 {
		t.Errorf("the in-flight request got %d, want 200", code)
	}
	if took := <-drained; took > 2*time.Second {
		t.Errorf("Drain took %s, want it to return once the request finished", took)
	}
}

func TestDrainGivesUpAfterTheDeregistrationDelay(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	b := startBalancer(t, RoundRobin, 10*time.Second)
	b.Register("stuck", backendServer(t, func(w http.ResponseWriter, r *http.Request) { <-release }))
	b.SetHealthy("stuck", true)
	go http.Get(b.URL())
	for outstanding(b, "stuck") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	b.Drain(context.Background(), "stuck", 200*time.Millisecond)
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
		t.Errorf("Drain took %s, want the 200ms delay", took)
	}
}
