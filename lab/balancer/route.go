package balancer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// What the two forwarding paths (the lean path and ReverseProxy) share:
// the choice of a target, the counters of a routed request, and ALB's
// answer when no target answers.

// counters are ALB's request metrics, of one target or of all.
type counters struct {
	requests atomic.Int64
	// respNanos and responses give ALB's TargetResponseTime, here the time
	// from choosing the target until its response was relayed.
	respNanos atomic.Int64
	responses atomic.Int64
}

// pick chooses a routable target (a healthy one, or when none is
// healthy an unhealthy one), or nil when there is none.
func (b *Balancer) pick() *backend {
	p := b.routable.Load()
	if p == nil || len(*p) == 0 {
		return nil
	}
	routable := *p
	n := uint64(len(routable))
	start := b.next.Add(1)
	if b.algorithm != LeastOutstandingRequests {
		return routable[start%n]
	}
	best := routable[start%n] // ties rotate
	for i := uint64(1); i < n; i++ {
		if t := routable[(start+i)%n]; t.outstanding.Load() < best.outstanding.Load() {
			best = t
		}
	}
	return best
}

// begin counts a request routed to be, outstanding until end; it returns
// the start of its response time.
func (b *Balancer) begin(be *backend) time.Time {
	be.requests.Add(1)
	b.total.requests.Add(1)
	be.outstanding.Add(1)
	return time.Now()
}

// end records the response to a request that begin counted.
func (b *Balancer) end(be *backend, start time.Time) {
	took := int64(time.Since(start))
	be.respNanos.Add(took)
	be.responses.Add(1)
	be.outstanding.Add(-1)
	b.total.respNanos.Add(took)
	b.total.responses.Add(1)
}

var (
	errNoTarget = errors.New("balancer: no healthy target")
	errTimeout  = errors.New("balancer: the target did not answer in time")
)

// failure maps why a request got no response from a target to ALB's
// status code and message (as http.Error writes it, before its newline):
// 400 for a request the balancer refuses, 503 when there is no healthy
// target, 504 when the target did not answer in time, 502 for anything
// else the target did wrong (refused, reset, closed the connection, sent
// what is not HTTP).
func failure(err error) (code int, msg string) {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "400 Bad Request"
	case errors.Is(err, errNoTarget):
		return http.StatusServiceUnavailable, "503 Service Temporarily Unavailable: no healthy target"
	case errors.Is(err, errTimeout) || isTimeout(err):
		return http.StatusGatewayTimeout, "504 Gateway Time-out"
	default:
		return http.StatusBadGateway, "502 Bad Gateway"
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeFailure is failure's answer on the ReverseProxy path.
func writeFailure(w http.ResponseWriter, err error) {
	code, msg := failure(err)
	http.Error(w, msg, code)
}

// answerTargetError is ReverseProxy's ErrorHandler.
func answerTargetError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		return // the client went away; nobody reads an answer
	}
	writeFailure(w, err)
}
