package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab/calibration"
	"github.com/ecslab/lab/lab/capacity"
)

// A short capacity search as a user runs it: one size, steps of a few
// seconds, a budget of a minute. The host is shared, so the figure is
// checked against what the CPU quota allows, not for its precision:
// BENCHMARKS.md holds the full searches. 0.5 vCPU at 20 ms a request
// serves 25 req/s. A step this short cannot tell a rate a little above
// that from a sustainable one: the excess waits, the queue grows by
// (rate - 25) requests a second and each adds 1/25 s of wait, so after
// the step's 3 s (warm-up and window) the wait stays under the SLO's
// 500 ms up to 25 + 0.5 / (3 x 1/25) = 29 req/s.
func TestCapacitySearch(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	r := runLab(t, ctx, nil, "capacity", "testdata/capacity.yaml", "--headless", "--json", "--out", out,
		"--warmup", "1s", "--step-duration", "2s", "--step-requests", "30", "--cooldown", "1s", "--max-duration", "50s", "--start-rate", "8")
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	var rep capacity.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("stdout is not capacity.json: %v\n%s", err, r.stdout)
	}
	if rep.SLOFrom != "scenario" || strings.Join(rep.SLO, ", ") != "p99 < 500ms, error_rate < 1%" {
		t.Errorf("SLO %v from %s, want the scenario's latency and error thresholds", rep.SLO, rep.SLOFrom)
	}
	if len(rep.Sizes) != 1 {
		t.Fatalf("%d sizes, want 1", len(rep.Sizes))
	}
	s := rep.Sizes[0]
	t.Logf("%s: %g req/s, bracket %v, %s, %d steps in %.0f s; stderr:\n%s", s.Label, s.SustainableRPS, s.Bracket, s.End, len(s.Steps), s.Seconds, r.stderr)
	if s.SustainableRPS <= 0 || s.SustainableRPS > 25+0.5/(3.0/25) {
		t.Errorf("sustainable %g req/s: want above 0 and at most what 0.5 vCPU allows at 20 ms a request (25), plus what a 3 s step's queue hides (29)", s.SustainableRPS)
	}
	if len(s.Steps) < 2 || s.Steps[0].Kind != "probe" || s.Steps[0].Rate != 8 {
		t.Errorf("steps %+v, want a probe at 8 req/s and more", s.Steps)
	}
	if s.CostPerMillion.X86 == nil || s.CostPerMillion.ARM64 == nil {
		t.Errorf("cost per million %+v, want x86 and ARM64", s.CostPerMillion)
	}
	if got := strings.Count(r.stderr, "512/1024 step "); got != len(s.Steps) {
		t.Errorf("%d step lines on stderr for %d steps", got, len(s.Steps))
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*-capacity-*"))
	if len(dirs) != 1 {
		t.Fatalf("results directories: %v", dirs)
	}
	page, err := os.ReadFile(filepath.Join(dirs[0], "report.html"))
	if err != nil || !strings.Contains(string(page), "knee ") {
		t.Errorf("report.html without the knee: %v", err)
	}
	for _, f := range []string{"capacity.json", "summary.json", "timeseries.csv", "events.jsonl"} {
		if _, err := os.Stat(filepath.Join(dirs[0], f)); err != nil {
			t.Error(err)
		}
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

// lab calibrate runs the probe here under half a core and keeps its
// score; --calibrated then scales quotas, except for the built-in app.
func TestCalibrate(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	file := filepath.Join(t.TempDir(), "calibration.json")
	env := []string{"LAB_CALIBRATION=" + file}
	r := runLab(t, ctx, env, "calibrate")
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	f, err := calibration.Load(file)
	if err != nil || f.Host == nil {
		t.Fatalf("calibration file: %+v, %v", f, err)
	}
	h := f.Host
	if h.Score <= 0 || h.QuotaCPUs != 0.5 || h.Where != "local" {
		t.Errorf("host measurement %+v, want a score under a quota of 0.5", h)
	}
	// Under half a core the probe's thread gets at most half of each
	// second: its wall time is at least twice its CPU time.
	if h.WallSeconds < 1.9*h.CPUSeconds {
		t.Errorf("%.2f s of CPU in %.2f s of wall time under a quota of half a core", h.CPUSeconds, h.WallSeconds)
	}
	if !strings.Contains(r.stdout, "estimate from public figures") || !strings.Contains(r.stdout, "factor ") {
		t.Errorf("stdout does not say where the Fargate figure comes from and the factor:\n%s", r.stdout)
	}
	r = runLab(t, ctx, env, "run", "testdata/short.yaml", "--calibrated", "--dry-run")
	if r.code != 0 {
		t.Errorf("run --calibrated --dry-run: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "not applied: the built-in app's CPU_WORK is CPU time") {
		t.Errorf("--calibrated on the built-in app does not say it is not applied:\n%s", r.stderr)
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}
