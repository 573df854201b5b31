package balancer

import (
	"context"
	"io"
	"net/http"
	"time"
)

// HealthCheck is a target group's health check, as ALB configures it.
type HealthCheck struct {
	Path string // requested with GET
	// Success reports whether a status code passes the check (ALB's
	// matcher); nil passes 200 only, ALB's default. Redirects are not
	// followed: a 3xx is judged as it is.
	Success  func(status int) bool
	Interval time.Duration // between two checks of a target
	Timeout  time.Duration // a check that takes longer fails
	// HealthyThreshold consecutive successes make a target healthy,
	// UnhealthyThreshold consecutive failures unhealthy.
	HealthyThreshold, UnhealthyThreshold int
}

// A HealthResult is where a target's checks stand after one more check.
type HealthResult struct {
	Healthy bool // the verdict
	// Changed: this check changed the verdict, from ALB's initial state
	// (no verdict yet) to healthy or unhealthy, or between the two.
	Changed bool
	// Failing: the last UnhealthyThreshold checks failed, whether or not
	// the target was ever healthy.
	Failing bool
}

// healthState is ALB's per-target health state machine. A new target is
// in ALB's "initial" state, with no verdict: one passed check makes it
// healthy, UnhealthyThreshold consecutive failures unhealthy. From then
// on it takes HealthyThreshold consecutive successes to turn healthy
// and UnhealthyThreshold consecutive failures to turn unhealthy.
type healthState struct {
	judged    bool // has left the initial state
	healthy   bool
	successes int
	failures  int
}

// observe records one check and reports whether the verdict changed.
func (h *healthState) observe(ok bool, hc HealthCheck) (changed bool) {
	if ok {
		h.successes++
		h.failures = 0
		need := hc.HealthyThreshold
		if !h.judged {
			need = 1 // ALB: a newly registered target needs one passed check
		}
		if !h.healthy && h.successes >= need {
			h.judged, h.healthy = true, true
			return true
		}
		return false
	}
	h.failures++
	h.successes = 0
	if (h.healthy || !h.judged) && h.failures >= hc.UnhealthyThreshold {
		h.judged, h.healthy = true, false
		return true
	}
	return false
}

// failed reports whether the target has failed UnhealthyThreshold checks
// in a row, whether or not it was ever healthy.
func (h *healthState) failed(hc HealthCheck) bool {
	return h.failures >= hc.UnhealthyThreshold
}

// CheckHealth checks the target at addr every interval, as ALB does, until
// ctx ends, and calls onCheck after every check. The first check goes as
// soon as the target answers HTTP (at most one interval after the
// start). It does not tell the balancer: the caller decides what a verdict
// means (ECS also stops a task that keeps failing).
func CheckHealth(ctx context.Context, client *http.Client, addr string, hc HealthCheck, onCheck func(HealthResult)) {
	var state healthState
	url := "http://" + addr + hc.Path
	client = noRedirects(client)
	waitAnswering(ctx, client, url, hc.Interval)
	ticker := time.NewTicker(hc.Interval)
	defer ticker.Stop()
	for {
		ok := probe(ctx, client, url, hc)
		if ctx.Err() != nil {
			return
		}
		changed := state.observe(ok, hc)
		onCheck(HealthResult{Healthy: state.healthy, Changed: changed, Failing: state.failed(hc)})
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// waitAnswering waits until the target answers HTTP at url (any status),
// or for at most limit. ECS registers a task with the target group once it
// runs; a check sent while the app is still starting would fail for
// nothing and cost a whole interval before the next one. An accepted TCP
// connection is not enough: Docker's port proxy accepts on a published
// port before the app listens behind it, then closes. These attempts are
// not checks.
func waitAnswering(ctx context.Context, client *http.Client, url string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := getWithin(ctx, client, url, 250*time.Millisecond); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// noRedirects is client, except that it returns a redirect instead of
// following it, as ALB's health checks do.
func noRedirects(client *http.Client) *http.Client {
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// probe is one health check: success is a matching status within the
// timeout.
func probe(ctx context.Context, client *http.Client, url string, hc HealthCheck) bool {
	status, err := getWithin(ctx, client, url, hc.Timeout)
	if err != nil {
		return false
	}
	if hc.Success == nil {
		return status == http.StatusOK
	}
	return hc.Success(status)
}

// getWithin sends a GET to url and reads the whole answer within timeout.
func getWithin(ctx context.Context, client *http.Client, url string, timeout time.Duration) (status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
