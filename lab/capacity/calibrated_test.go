package capacity

import (
	"context"
	"strings"
	"testing"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// With --calibrated a task's quota here is its vCPU x the factor: a
// fleet that fits the host's cores by its vCPU but not by its quotas is
// a projection, not a run on too few cores that would break the SLO for
// the host's sake.
func TestVerifyProjectionCalibrated(t *testing.T) {
	o := fastOptions(t, scenarios.Size{CPU: 1024, Memory: 2048})
	o.defaults()
	o.HostCPUs = 2
	o.Calibration = &lab.Calibration{Factor: 1.8, Platform: "X86_64", Source: "test"}
	r := &runner{o: o, target: newQueueTarget(t, serviceTime)}
	f := Fleet{PeakRPS: 50, Choice: &FleetOption{Label: "1024/2048", CPU: 1024, Memory: 2048, Count: 1}}
	if err := r.verify(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	want := "a projection from one task: 1 x 1024/2048 take 1.8 cores here (their vCPU x 1.800, calibrated), and lab's load generator and balancer about 0.5 more, but this host has 2 cores"
	if f.Verified || f.Verification != nil || !strings.HasPrefix(f.Why, want) {
		t.Errorf("verified %v, verification %+v, why %q; want a projection: %q", f.Verified, f.Verification, f.Why, want)
	}
}
