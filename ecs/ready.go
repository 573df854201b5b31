package ecs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/ecslab/lab/internal/format"
)

// What Deploy waits for once the service is stable, before the load: as
// the local target does, until the tasks are healthy behind the balancer,
// and then until the endpoint answers, since a new ALB's DNS name takes a
// minute or two to resolve.

// waitReady waits, up to ReadyTimeout, until want of the service's tasks
// are healthy targets of the target group and the endpoint answers its
// health path.
func (t *Target) waitReady(ctx context.Context, want int) error {
	deadline := time.Now().Add(t.ReadyTimeout)
	if err := t.waitHealthyTargets(ctx, want, deadline); err != nil {
		return err
	}
	return t.waitAnswer(ctx, deadline)
}

func (t *Target) waitHealthyTargets(ctx context.Context, want int, deadline time.Time) error {
	last := ""
	for {
		t.poll(ctx) // the tasks' addresses, fresh
		obs := t.Observe()
		t.mu.Lock()
		known := len(t.addrs)
		t.mu.Unlock()
		if obs.Running > 0 && known == 0 {
			// On ECS a running awsvpc task has its network interface; an
			// emulator's tasks may have none.
			t.logf("the service reports %d running tasks but none with an address (an emulator?): not waiting for the target group", obs.Running)
			return nil
		}
		ours := obs.Healthy
		if ours >= want {
			return nil
		}
		now := fmt.Sprintf("%d of %d tasks healthy in the target group", ours, want)
		if now != last {
			t.logf("waiting for healthy targets: %s", now)
			last = now
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s, %s: check the health check path %s answers 200, and that the tasks admit the ALB on port %d", format.Duration(t.ReadyTimeout), now, t.plan.HealthPath, t.plan.Port)
		}
		if err := sleep(ctx, t.ObservePoll); err != nil {
			return err
		}
	}
}

// waitAnswer waits until a GET of the endpoint's health path gets an
// answer below 500.
func (t *Target) waitAnswer(ctx context.Context, deadline time.Time) error {
	url := t.Endpoint() + t.plan.HealthPath
	for {
		code, err := t.get(ctx, url)
		if err == nil && code < 500 {
			return nil
		}
		why := fmt.Sprintf("HTTP %d", code)
		if err != nil {
			why = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the endpoint %s does not answer after %s (%s): a new ALB's DNS name takes a minute or two to resolve; check that alb_ingress_cidrs admits this machine", url, format.Duration(t.ReadyTimeout), why)
		}
		if err := sleep(ctx, t.ObservePoll); err != nil {
			return err
		}
	}
}

// get sends one GET and reads the answer to the end.
func (t *Target) get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// rttProbes is how many requests ProbeRTT times.
const rttProbes = 5

// ProbeRTT measures the round trip from this machine to the endpoint:
// the median time of a few GETs of the health path (each a new
// connection, as the load's first requests are). On ECS the load crosses
// the internet to the region, which lab's balancer, on this machine,
// never does: the run reports it beside the latencies and can judge
// latency thresholds net of it.
func (t *Target) ProbeRTT(ctx context.Context) (time.Duration, error) {
	url := t.Endpoint() + t.plan.HealthPath
	var times []time.Duration
	for range rttProbes {
		t.HTTP.CloseIdleConnections()
		start := time.Now()
		if _, err := t.get(ctx, url); err != nil {
			return 0, fmt.Errorf("round trip to %s: %w", url, err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}
