package local

import (
	"reflect"
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
	b := scenarios.Balancer{Algorithm: scenarios.LeastOutstandingRequests, TargetTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second}
	wantOpts := balancer.Options{Algorithm: balancer.LeastOutstandingRequests, TargetTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second}
	if got := balancerOptions(b); got != wantOpts {
		t.Errorf("balancerOptions(%+v) = %+v, want %+v", b, got, wantOpts)
	}
	hc := scenarios.HealthCheck{Path: "/health", Interval: 5 * time.Second, Timeout: 2 * time.Second,
		HealthyThreshold: 3, UnhealthyThreshold: 4, GracePeriod: time.Minute}
	want := balancer.HealthCheck{Path: "/health", Interval: 5 * time.Second, Timeout: 2 * time.Second,
		HealthyThreshold: 3, UnhealthyThreshold: 4}
	got := healthCheck(hc)
	if got.Success == nil || !got.Success(200) || got.Success(302) {
		t.Errorf("healthCheck(%+v) does not pass 200 only, the default matcher", hc)
	}
	got.Success = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("healthCheck(%+v) = %+v, want %+v", hc, got, want)
	}
	hc.Matcher = "200-399"
	if s := healthCheck(hc).Success; !s(302) || s(404) {
		t.Errorf("matcher 200-399 is not the balancer's success codes")
	}
}
