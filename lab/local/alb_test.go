package local

import (
	"testing"
	"time"

	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/scenarios"
)

func TestBalancerSettingsFromTheScenario(t *testing.T) {
	for in, want := range map[string]string{
		scenarios.LeastOutstandingRequests: balancer.LeastOutstandingRequests,
		scenarios.RoundRobin:               balancer.RoundRobin,
		"":                                 balancer.RoundRobin,
	} {
		if got := algorithm(in); got != want {
			t.Errorf("algorithm(%q) = %q, want %q", in, got, want)
		}
	}
	hc := scenarios.HealthCheck{Path: "/health", Interval: 5 * time.Second, Timeout: 2 * time.Second,
		HealthyThreshold: 3, UnhealthyThreshold: 4, GracePeriod: time.Minute}
	want := balancer.HealthCheck{Path: "/health", Interval: 5 * time.Second, Timeout: 2 * time.Second,
		HealthyThreshold: 3, UnhealthyThreshold: 4}
	if got := healthCheck(hc); got != want {
		t.Errorf("healthCheck(%+v) = %+v, want %+v", hc, got, want)
	}
}
