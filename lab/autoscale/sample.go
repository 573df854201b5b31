package autoscale

import (
	"time"

	"github.com/ecslab/lab/scenarios"
)

// Sample is one per-second observation of the service, the second that
// ends at Time.
type Sample struct {
	Time time.Time
	// CPUPct and MemPct are the service's utilization in percent of its
	// envelope (task size x running tasks), as ECS publishes them. They
	// count only while Running > 0: with no task, ECS publishes nothing.
	CPUPct, MemPct float64
	// Requests is what the balancer routed to targets in this second (all
	// targets), HealthyTargets how many targets it could route to. A
	// second without a healthy target is missing for requests_per_target.
	Requests       int64
	HealthyTargets int
	// ResponseTimeSum is the sum of the targets' response times of the
	// Responses that completed in this second (ALB TargetResponseTime:
	// from the request sent to the target to its response headers).
	ResponseTimeSum time.Duration
	Responses       int64
	// Running and Desired are the service's task counts. Desired is the
	// current capacity the policies scale from, as Application Auto
	// Scaling reads the service's desired count when a policy runs.
	Running, Desired int
}

// bucket accumulates the samples of one metric period.
type bucket struct {
	util         int     // samples with a running task
	cpu, mem     float64 // sums of CPUPct and MemPct over those samples
	routed       int     // samples with a healthy target
	perTarget    float64 // sum of Requests / HealthyTargets over those samples
	responseTime time.Duration
	responses    int64
}

func (b *bucket) add(x Sample) {
	if x.Running > 0 {
		b.util++
		b.cpu += x.CPUPct
		b.mem += x.MemPct
	}
	if x.HealthyTargets > 0 {
		b.routed++
		b.perTarget += float64(x.Requests) / float64(x.HealthyTargets)
	}
	if x.Responses > 0 {
		b.responseTime += x.ResponseTimeSum
		b.responses += x.Responses
	}
}

// datapoint is the period's value of a metric, in the metric's unit; ok is
// false when the period has no data for it (a missing datapoint).
func (b *bucket) datapoint(metric string) (v float64, ok bool) {
	switch metric {
	case scenarios.MetricCPU:
		return mean(b.cpu, b.util)
	case scenarios.MetricMemory:
		return mean(b.mem, b.util)
	case scenarios.MetricRequestsPerTarget:
		return requestsPerTargetPerMinute(b.perTarget, b.routed)
	case scenarios.MetricResponseTime:
		return averageResponseMs(b.responseTime, b.responses)
	}
	return 0, false
}

// mean is the Average statistic of per-second samples (ECS publishes the
// average of the samples it took in the period).
func mean(sum float64, n int) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// requestsPerTargetPerMinute is ALBRequestCountPerTarget: requests per
// healthy target, summed over a minute. perSecond is the sum over n
// one-second samples of requests / healthy targets; their mean times 60
// is the per-minute figure whatever the period (a 10s period's sum is
// scaled by 6, a full 60s period's is the sum itself).
func requestsPerTargetPerMinute(perSecond float64, n int) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	return perSecond / float64(n) * 60, true
}

// averageResponseMs is ALB TargetResponseTime's Average statistic: the
// total response time of the period's responses over their count (not the
// mean of per-second averages), in milliseconds. No response, no datapoint.
func averageResponseMs(sum time.Duration, n int64) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n) / float64(time.Millisecond), true
}

// Unit is the unit of a scaling metric's values, for people.
func Unit(metric string) string {
	switch metric {
	case scenarios.MetricCPU, scenarios.MetricMemory:
		return "%"
	case scenarios.MetricRequestsPerTarget:
		return "requests/target/min"
	case scenarios.MetricResponseTime:
		return "ms"
	}
	return ""
}
