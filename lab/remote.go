package lab

import (
	"context"
	"math"
	"time"
)

// What a target far from the load generator (ECS) adds to an entry: the
// round trip to its endpoint, and utilization from its own metrics.

// RTTProber is a target whose endpoint is a network round trip away from
// the load generator (ECS: the ALB in an AWS region). The run measures it
// before each entry's load and reports it beside the latencies; with
// Options.NetOfRTT, latency thresholds are judged net of it.
type RTTProber interface {
	ProbeRTT(ctx context.Context) (time.Duration, error)
}

// UtilizationSource is a target that knows an entry's utilization better
// than the run's per-tick observations: ECS's CloudWatch datapoints, one
// a minute, of which only those inside the entry's time count.
type UtilizationSource interface {
	EntryUtilization(ctx context.Context, from, to time.Time) (cpu, mem Utilization, err error)
}

// Coster is a target that bills: after Close, Cost gives the estimate it
// was started with and what the run used (s is the run's summary, for
// the requests the load balancer processed).
type Coster interface {
	Cost(s Summary) *CostReport
}

// probeRTT measures the round trip to the target's endpoint, when it has
// one worth measuring, into es.
func (r *runner) probeRTT(ctx context.Context, es *EntrySummary) {
	p, ok := r.target.(RTTProber)
	if !ok {
		return
	}
	rtt, err := p.ProbeRTT(ctx)
	if err != nil {
		r.emit(Event{Data: ActionFailed{Name: "rtt", Error: err.Error()}})
		return
	}
	es.RTTMS = round(float64(rtt)/float64(time.Millisecond), 1)
}

// remoteUtilization replaces es's utilization with the target's own
// figures over the entry's load, when it has them.
func (r *runner) remoteUtilization(ctx context.Context, es *EntrySummary, from, to time.Time) {
	u, ok := r.target.(UtilizationSource)
	if !ok {
		return
	}
	cpu, mem, err := u.EntryUtilization(ctx, from, to)
	if err != nil {
		r.emit(Event{Data: ActionFailed{Name: "utilization", Error: err.Error()}})
		cpu, mem = Utilization{NoData: true}, Utilization{NoData: true}
	}
	es.CPUUtilization, es.MemoryUtilization = cpu, mem
}

// netOfRTT is es with its latencies less the round trip (never below 0),
// for judging latency thresholds as if the load came from next to the
// service.
func netOfRTT(es EntrySummary) EntrySummary {
	net := func(v float64) float64 { return math.Max(0, round(v-es.RTTMS, 3)) }
	l := es.LatencyMS
	es.LatencyMS = Latency{P50: net(l.P50), P90: net(l.P90), P95: net(l.P95), P99: net(l.P99), Max: net(l.Max)}
	return es
}
