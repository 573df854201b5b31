package balancer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHealthStateThresholds(t *testing.T) {
	hc := HealthCheck{HealthyThreshold: 2, UnhealthyThreshold: 3}
	var h healthState
	steps := []struct {
		ok          bool
		wantHealthy bool
		wantChange  bool
	}{
		{true, false, false},  // one success is not enough
		{false, false, false}, // a failure resets the count
		{true, false, false},
		{true, true, true}, // two in a row: healthy
		{false, true, false},
		{false, true, false},
		{true, true, false}, // a success resets the failures
		{false, true, false},
		{false, true, false},
		{false, false, true}, // three in a row: unhealthy
	}
	for i, s := range steps {
		changed := h.observe(s.ok, hc)
		if h.healthy != s.wantHealthy || changed != s.wantChange {
			t.Fatalf("step %d (ok=%v): healthy=%v changed=%v, want healthy=%v changed=%v",
				i, s.ok, h.healthy, changed, s.wantHealthy, s.wantChange)
		}
	}
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
