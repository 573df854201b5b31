package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity"
)

func ptr(v float64) *float64 { return &v }

// A search's results as lab capacity writes them, on top of a recorded
// run's other files.
func capacityRun(t *testing.T) (string, *capacity.Report) {
	dir := copyRun(t, cpuVerticalRun)
	rep := &capacity.Report{
		SchemaVersion: capacity.SchemaVersion, Scenario: "cpu-vertical", Target: "local", RunID: "0pqf",
		SLO: []string{"p99 < 1s", "error_rate < 1%"}, SLOFrom: "default", Headroom: 0.3, Precision: 0.03,
		Prices: "Fargate on-demand Linux/x86, us-east-1, USD, prices of 2026-11-27",
		Sizes: []capacity.SizeResult{{
			Label: "256/512", CPU: 256, Memory: 512, SustainableRPS: 3.08, Bracket: [2]float64{3.08, 3.17}, End: "converged",
			LatencyMS: capacity.StepLatency{P50: 420, P99: 880}, CPUUtilization: lab.Utilization{Avg: 98, Max: 100},
			LimitedBy: "cpu", Broke: "latency kept rising", CostPerMillion: capacity.PlatformCost{X86: ptr(1.59)},
			Steps: []capacity.StepRecord{
				{N: 1, Rate: 1, Kind: "probe", OK: true, P50MS: 330, P99MS: 360, CPUUtilization: lab.Utilization{Avg: 32}},
				{N: 2, Rate: 3.08, Kind: "jump", OK: true, P50MS: 420, P99MS: 880, CPUUtilization: lab.Utilization{Avg: 98}},
				{N: 3, Rate: 3.17, Kind: "grow", Reason: "cpu", Broke: "latency kept rising", StoppedEarly: true, P50MS: 900, P99MS: 4200},
			},
		}, {
			Label: "512/1024", CPU: 512, Memory: 1024, End: "broke_at_min", LimitedBy: "oom", Broke: "a task was killed for memory",
			Steps: []capacity.StepRecord{{N: 1, Rate: 2, Kind: "probe", Reason: "oom", Broke: "a task was killed for memory"}},
		}},
		Fleet: &capacity.Fleet{PeakRPS: 10, Sentence: "5 x 256/512 at $0.0617/h ($45.03/month) for 10 req/s; 512/1024 cannot meet p99 < 1s, error_rate < 1% at any rate.",
			Choice:       &capacity.FleetOption{Label: "256/512", CPU: 256, Memory: 512, Count: 5, PerTaskRPS: 2.156, USDPerHour: 0.0617, USDPerMonth: 45.03},
			Alternatives: []capacity.FleetOption{{Label: "512/1024", CPU: 512, Memory: 1024, Why: "cannot meet p99 < 1s at any rate tried"}},
			Why:          "a projection from one task: 5 x 256/512 take 1.25 vCPU, and lab's load generator and balancer about 0.5 more, but this host has 1 cores"},
	}
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir, rep
}

func TestReportShowsCapacity(t *testing.T) {
	dir, _ := capacityRun(t)
	page := writeReport(t, dir)
	for _, want := range []string{
		`id="capacity"`, "Capacity per task", "knee 3.08 req/s", "p99 &lt; 1s",
		"5 x 256/512 at $0.0617/h", "projection", "cannot meet p99 &lt; 1s at any rate tried",
		`aria-label="Latency against req/s offered, 256/512"`, "broke (cpu): latency kept rising", "(decided early)",
		"$1.59", "broke_at_min in 1 steps",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, `id="size"`) {
		t.Error("a capacity search's report also shows the right-size recommendation of a scenario's run")
	}
	// A latency far above the bound is drawn at the top, not off the chart.
	if strings.Contains(page, `cy="-`) || strings.Contains(page, `cx="-`) {
		t.Error("a point outside the chart")
	}
}

func TestReportRefusesANewerCapacitySchema(t *testing.T) {
	dir, rep := capacityRun(t)
	rep.SchemaVersion = capacity.SchemaVersion + 1
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteHTML(dir, Options{}); err == nil || !strings.Contains(err.Error(), "upgrade lab") {
		t.Errorf("error %v, want one that says to upgrade lab", err)
	}
	os.Remove(filepath.Join(dir, capacity.File))
	if _, err := WriteHTML(dir, Options{}); err != nil {
		t.Errorf("a run without capacity.json: %v", err)
	}
}
