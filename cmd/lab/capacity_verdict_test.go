package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/calibration"
	"github.com/ecslab/lab/lab/capacity"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload/app"
)

// lab capacity exits 0 when a fleet meets the peak (or, without one, when
// a size sustained a rate) and 3 when none does, as README and
// docs/architecture.md say; the reason is printed.
func TestCapacityExitCode(t *testing.T) {
	sustained := []capacity.SizeResult{{Label: "512/1024", SustainableRPS: 40}}
	nothing := []capacity.SizeResult{{Label: "256/512"}, {Label: "512/1024"}}
	choice := &capacity.FleetOption{Label: "512/1024", CPU: 512, Memory: 1024, Count: 3}
	for _, c := range []struct {
		name   string
		rep    capacity.Report
		want   int
		stderr string
	}{
		{"no peak, a size sustained a rate", capacity.Report{Sizes: sustained}, exitOK, ""},
		{"no peak, no size sustained a rate", capacity.Report{Sizes: nothing}, exitThresholds, "no size held the SLO at any rate"},
		{"a fleet verified at the peak", capacity.Report{Sizes: sustained, Fleet: &capacity.Fleet{PeakRPS: 80, Choice: choice,
			Verified: true, Verification: &capacity.Verification{Rate: 80, Tasks: 3, Held: true}}}, exitOK, ""},
		{"a fleet projected (too few cores here)", capacity.Report{Sizes: sustained, Fleet: &capacity.Fleet{PeakRPS: 80, Choice: choice}}, exitOK, ""},
		{"no fleet meets the peak", capacity.Report{Sizes: nothing, Fleet: &capacity.Fleet{PeakRPS: 80}}, exitThresholds, "no fleet meets the peak"},
		{"the fleet broke the SLO at the peak", capacity.Report{Sizes: sustained, Fleet: &capacity.Fleet{PeakRPS: 80, Choice: choice,
			Verification: &capacity.Verification{Rate: 80, Tasks: 3, Broke: "p99 1.2s against p99 < 1s"}}}, exitThresholds, "broke the SLO"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := exitCode(capacityVerdict(&c.rep), &stderr); got != c.want {
				t.Errorf("exit %d, want %d (stderr %q)", got, c.want, stderr.String())
			}
			if c.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr %q, want %q", stderr.String(), c.stderr)
			}
		})
	}
	// The run's failed thresholds stay silent: they were printed already.
	var stderr bytes.Buffer
	if got := exitCode(errThresholds, &stderr); got != exitThresholds || stderr.Len() > 0 {
		t.Errorf("errThresholds: exit %d, stderr %q; want 3 and nothing printed", got, stderr.String())
	}
}

// idleTarget is a lab.Target whose deployments succeed at once and which
// is never sent load: a search whose budget is too short for a step.
type idleTarget struct{ deployed []scenarios.Entry }

func (*idleTarget) Name() string { return "local" }
func (t *idleTarget) Deploy(_ context.Context, e scenarios.Entry, _ func(lab.Event)) error {
	t.deployed = append(t.deployed, e)
	return nil
}
func (*idleTarget) Endpoint() string                             { return "http://127.0.0.1:1" }
func (*idleTarget) Observe() lab.Observation                     { return lab.Observation{} }
func (*idleTarget) Scale(context.Context, int) error             { return nil }
func (*idleTarget) Resize(context.Context, scenarios.Size) error { return nil }
func (*idleTarget) KillTask(context.Context, int) error          { return nil }
func (*idleTarget) StopTask(context.Context, int) error          { return nil }
func (*idleTarget) Teardown(context.Context) error               { return nil }
func (*idleTarget) Close(context.Context) error                  { return nil }

// --calibrated on an image of the user's is applied (unlike the built-in
// app's), and capacity.json and summary.json record the factor as
// docs/architecture.md says; lab/local's TestCalibratedQuotaOfUserImage
// checks that the tasks get it as their quota.
func TestCapacityCalibratedUserImage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "calibration.json")
	t.Setenv("LAB_CALIBRATION", file)
	f := &calibration.File{
		Host: &calibration.Measurement{ProbeResult: app.ProbeResult{Score: 400}, Where: "local", MeasuredAt: time.Now()},
		Fargate: map[string]*calibration.Measurement{calibration.X86_64: {ProbeResult: app.ProbeResult{Score: 500, CPUModel: "Intel Xeon"},
			Where: "fargate", Platform: calibration.X86_64, Region: "eu-west-1", MeasuredAt: time.Now()}},
	}
	if err := f.Save(file); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Builtin("bring-your-own-image")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Workload.Builtin || sc.Workload.Image == "" {
		t.Fatalf("workload %+v, want an image of the user's", sc.Workload)
	}

	var stderr bytes.Buffer
	o := capacityOptions{target: "local", headroom: "30%", precision: "3%", calibrated: calibration.X86_64,
		maxDuration: time.Millisecond, warmup: time.Second, stepDuration: time.Second, stepRequests: 1, cooldown: time.Second,
		maxRate: 100, headless: true}
	copts, err := o.searchOptions(sc)
	if err != nil {
		t.Fatal(err)
	}
	if copts.Calibration, err = calibrationFor(sc, o.calibrated, &stderr); err != nil {
		t.Fatal(err)
	}
	if c := copts.Calibration; c == nil || c.Factor != 1.25 || c.Platform != calibration.X86_64 || !strings.Contains(c.Source, "eu-west-1") {
		t.Fatalf("calibration %+v, want x 1.25 against the Fargate probe (stderr %q)", c, stderr.String())
	}
	if !strings.Contains(stderr.String(), "CPU quotas x 1.250") {
		t.Errorf("stderr %q does not say the quotas are scaled", stderr.String())
	}

	dir := filepath.Join(t.TempDir(), "run")
	copts.RunID, copts.Dir = "test", dir
	target := &idleTarget{}
	rep, err := searchCapacity(context.Background(), target, copts, dir, o, &stderr)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, stderr.String())
	}
	if len(target.deployed) == 0 {
		t.Fatal("no size was deployed")
	}
	onDisk, err := capacity.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if onDisk.Calibration == nil || *onDisk.Calibration != *copts.Calibration || rep.Calibration != copts.Calibration {
		t.Errorf("capacity.json calibration %+v, want %+v", onDisk.Calibration, *copts.Calibration)
	}
	data, err := os.ReadFile(filepath.Join(dir, report.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var sum lab.Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Calibration == nil || *sum.Calibration != *copts.Calibration {
		t.Errorf("summary.json calibration %+v, want %+v", sum.Calibration, *copts.Calibration)
	}
	// No step fitted in the budget: nothing was sustained, which exits 3.
	if code := exitCode(capacityVerdict(rep), &stderr); code != exitThresholds {
		t.Errorf("exit %d with nothing sustained, want 3", code)
	}
}
