package local

import (
	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/scenarios"
)

// The scenario's balancer and health check settings, in the balancer's
// own terms.

func algorithm(name string) string {
	if name == scenarios.LeastOutstandingRequests {
		return balancer.LeastOutstandingRequests
	}
	return balancer.RoundRobin
}

func balancerOptions(b scenarios.Balancer) balancer.Options {
	return balancer.Options{
		Algorithm:     algorithm(b.Algorithm),
		TargetTimeout: b.TargetTimeout,
		IdleTimeout:   b.IdleTimeout,
	}
}

func healthCheck(hc scenarios.HealthCheck) balancer.HealthCheck {
	return balancer.HealthCheck{
		Path:               hc.Path,
		Success:            hc.Codes().Match,
		Interval:           hc.Interval,
		Timeout:            hc.Timeout,
		HealthyThreshold:   hc.HealthyThreshold,
		UnhealthyThreshold: hc.UnhealthyThreshold,
	}
}
