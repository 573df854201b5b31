package local

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// healthState is ALB's per-target health state machine: a target becomes
// healthy after HealthyThreshold consecutive successful checks and
// unhealthy after UnhealthyThreshold consecutive failures. A new target
// starts unhealthy (ALB's "initial").
type healthState struct {
	healthy   bool
	successes int
	failures  int
}

// observe records one check and reports whether the verdict changed.
func (h *healthState) observe(ok bool, hc scenarios.HealthCheck) (changed bool) {
	if ok {
		h.successes++
		h.failures = 0
		if !h.healthy && h.successes >= hc.HealthyThreshold {
			h.healthy = true
			return true
		}
		return false
	}
	h.failures++
	h.successes = 0
	if h.healthy && h.failures >= hc.UnhealthyThreshold {
		h.healthy = false
		return true
	}
	return false
}

// failed reports whether the target has failed UnhealthyThreshold checks
// in a row, whether or not it was ever healthy.
func (h *healthState) failed(hc scenarios.HealthCheck) bool {
	return h.failures >= hc.UnhealthyThreshold
}

// checkHealth checks addr every interval, as ALB does, until ctx ends,
// and calls onCheck after every check with the state and whether the
// verdict changed. The first check goes as soon as the port accepts
// connections (at most one interval after the start).
func checkHealth(ctx context.Context, client *http.Client, addr string, hc scenarios.HealthCheck, onCheck func(state healthState, changed bool)) {
	var state healthState
	url := "http://" + addr + hc.Path
	waitListening(ctx, addr, hc.Interval)
	ticker := time.NewTicker(hc.Interval)
	defer ticker.Stop()
	for {
		ok := probe(ctx, client, url, hc.Timeout)
		if ctx.Err() != nil {
			return
		}
		changed := state.observe(ok, hc)
		onCheck(state, changed)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// waitListening waits until addr accepts a TCP connection, or for at most
// limit. ECS registers a task with the target group once it runs; a
// check sent while the app is still starting would fail for nothing and
// cost a whole interval before the next one. These attempts are not
// checks.
func waitListening(ctx context.Context, addr string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	var d net.Dialer
	for time.Now().Before(deadline) {
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// probe is one health check: success is a 200 within the timeout, ALB's
// default matcher.
func probe(ctx context.Context, client *http.Client, url string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
