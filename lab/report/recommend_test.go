package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// entry is an entry summary for recommendation tests: a size, its
// utilization and whether its thresholds passed.
func entry(cpu, mem int, cpuAvg, cpuMax, memMax float64, ok bool) lab.EntrySummary {
	return lab.EntrySummary{
		Label: scenarios.Size{CPU: cpu, Memory: mem}.String(), CPU: cpu, Memory: mem,
		LoadSeconds: 60, Requests: 300, OK: 300, OfferedRPS: 5, AchievedRPS: 5,
		CPUUtilization:    lab.Utilization{Avg: cpuAvg, Max: cpuMax},
		MemoryUtilization: lab.Utilization{Avg: memMax / 2, Max: memMax},
		Tasks:             lab.Tasks{Started: 1, StoppedReasons: map[string]int{}},
		Scaling:           lab.Scaling{MinCount: 1, MaxCount: 1},
		Thresholds:        []lab.ThresholdOutcome{{Expr: "achieved_rps >= 4.9", OK: ok, Value: 5}},
		Passed:            ok,
	}
}

func withOOM(e lab.EntrySummary, n int) lab.EntrySummary {
	e.Tasks.Stopped = n
	e.Tasks.StoppedReasons = map[string]int{"OutOfMemoryError: Container killed due to memory usage": n}
	return e
}

// finding is what a recommendation test checks of an assessment.
type finding struct {
	Label   string
	Finding Finding
	Codes   []string
}

func findings(r Recommendation) []finding {
	var out []finding
	for _, a := range r.Entries {
		out = append(out, finding{a.Label, a.Finding, a.Codes})
	}
	return out
}

func TestRecommend(t *testing.T) {
	noThresholds := func(e lab.EntrySummary) lab.EntrySummary { e.Thresholds = nil; return e }
	interrupted := func(e lab.EntrySummary) lab.EntrySummary { e.Interrupted = true; return e }
	for _, tc := range []struct {
		name     string
		entries  []lab.EntrySummary
		best     string // "" for none
		findings []finding
		note     string
	}{{
		name: "cheapest passing size, as cpu-vertical",
		entries: []lab.EntrySummary{
			entry(256, 512, 99, 100, 1, false),
			entry(512, 1024, 83, 95, 0.4, true),
			entry(1024, 2048, 41, 48, 0.2, true),
		},
		best: "512/1024",
		findings: []finding{
			{"256/512", Underprovisioned, []string{CPUUnderprovisioned, ThresholdsFailed}},
			{"512/1024", Optimized, nil},
			{"1024/2048", Overprovisioned, []string{CheaperSizePassed}},
		},
		note: "the cheapest size that met every threshold",
	}, {
		name: "the order of the matrix does not matter",
		entries: []lab.EntrySummary{
			entry(1024, 2048, 41, 48, 0.2, true),
			entry(512, 1024, 83, 95, 0.4, true),
		},
		best: "512/1024",
		findings: []finding{
			{"1024/2048", Overprovisioned, []string{CheaperSizePassed}},
			{"512/1024", Optimized, nil},
		},
	}, {
		name: "none passes",
		entries: []lab.EntrySummary{
			entry(256, 512, 99, 100, 1, false),
			entry(512, 1024, 95, 100, 1, false),
		},
		findings: []finding{
			{"256/512", Underprovisioned, []string{CPUUnderprovisioned, ThresholdsFailed}},
			{"512/1024", Underprovisioned, []string{CPUUnderprovisioned, ThresholdsFailed}},
		},
		note: "no size met every threshold",
	}, {
		name: "CPU saturated although the thresholds passed: a size with headroom is preferred",
		entries: []lab.EntrySummary{
			entry(256, 512, 92, 100, 1, true),
			entry(512, 1024, 60, 70, 1, true),
		},
		best: "512/1024",
		findings: []finding{
			{"256/512", Underprovisioned, []string{CPUUnderprovisioned}},
			{"512/1024", Optimized, nil},
		},
	}, {
		name: "every passing size saturated: the cheapest, with a warning",
		entries: []lab.EntrySummary{
			entry(256, 512, 97, 100, 1, true),
			entry(512, 1024, 91, 99, 1, true),
		},
		best: "256/512",
		findings: []finding{
			{"256/512", Underprovisioned, []string{CPUUnderprovisioned}},
			{"512/1024", Underprovisioned, []string{CPUUnderprovisioned}},
		},
		note: "no headroom",
	}, {
		name: "idle: a smaller size would hold the peaks",
		entries: []lab.EntrySummary{
			entry(1024, 4096, 10, 15, 5, true),
		},
		best: "1024/4096",
		findings: []finding{
			{"1024/4096", Overprovisioned, []string{CPUOverprovisioned, MemoryOverprovisioned}},
		},
	}, {
		name: "idle CPU, busy memory: only CPU over-provisioned",
		entries: []lab.EntrySummary{
			entry(1024, 2048, 10, 15, 70, true),
		},
		best: "1024/2048",
		findings: []finding{
			{"1024/2048", Overprovisioned, []string{CPUOverprovisioned}},
		},
	}, {
		name: "OOM kills",
		entries: []lab.EntrySummary{
			withOOM(entry(512, 1024, 40, 60, 80, true), 2),
			entry(512, 2048, 40, 60, 45, true),
		},
		best: "512/2048",
		findings: []finding{
			{"512/1024", Underprovisioned, []string{MemoryUnderprovisioned}},
			{"512/2048", Optimized, nil},
		},
	}, {
		name: "memory at the limit without a kill: met the thresholds, so recommended with a warning",
		entries: []lab.EntrySummary{
			entry(512, 1024, 50, 60, 96, true),
		},
		best: "512/1024",
		findings: []finding{
			{"512/1024", Underprovisioned, []string{MemoryUnderprovisioned}},
		},
		note: "no headroom",
	}, {
		name: "optimized: busy but not saturated, no smaller size fits",
		entries: []lab.EntrySummary{
			entry(512, 1024, 70, 85, 30, true),
		},
		best: "512/1024",
		findings: []finding{
			{"512/1024", Optimized, nil},
		},
	}, {
		name: "smallest size, nearly idle: nothing smaller exists",
		entries: []lab.EntrySummary{
			entry(256, 512, 5, 8, 2, true),
		},
		best: "256/512",
		findings: []finding{
			{"256/512", Optimized, nil},
		},
	}, {
		name: "interrupted entries are not recommended",
		entries: []lab.EntrySummary{
			interrupted(entry(256, 512, 60, 70, 1, true)),
			entry(512, 1024, 60, 70, 1, true),
		},
		best: "512/1024",
		findings: []finding{
			{"256/512", Optimized, nil},
			{"512/1024", Optimized, nil},
		},
	}, {
		name: "no thresholds: the cheapest that is not under-provisioned",
		entries: []lab.EntrySummary{
			noThresholds(entry(256, 512, 99, 100, 1, true)),
			noThresholds(entry(512, 1024, 60, 70, 1, true)),
			noThresholds(entry(1024, 2048, 30, 35, 1, true)),
		},
		best: "512/1024",
		findings: []finding{
			{"256/512", Underprovisioned, []string{CPUUnderprovisioned}},
			{"512/1024", Optimized, nil},
			{"1024/2048", Overprovisioned, []string{CPUOverprovisioned, MemoryOverprovisioned, CheaperSizePassed}},
		},
		note: "no thresholds set",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := Recommend(lab.Summary{Scenario: "t", Entries: tc.entries}, DefaultPrices(), 0)
			best := ""
			if a, ok := r.Recommended(); ok {
				best = a.Label
			}
			if best != tc.best {
				t.Errorf("recommended %q, want %q (%s)", best, tc.best, r.Note)
			}
			if diff := cmp.Diff(tc.findings, findings(r)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if !strings.Contains(r.Note, tc.note) {
				t.Errorf("note %q, want it to say %q", r.Note, tc.note)
			}
			for _, a := range r.Entries {
				if len(a.Reasons) == 0 {
					t.Errorf("%s: a finding without a reason", a.Label)
				}
			}
		})
	}
}

func TestRecommendReasons(t *testing.T) {
	r := Recommend(lab.Summary{Entries: []lab.EntrySummary{
		entry(256, 512, 98.9, 100, 0.6, false),
		withOOM(entry(512, 1024, 40, 60, 80, true), 1),
		entry(1024, 4096, 10, 15, 5, true),
	}}, DefaultPrices(), 0)
	want := [][]string{
		{"CPU saturated: 98.9% of the envelope on average (peak 100%)", "failed achieved_rps >= 4.9 (was 5)"},
		{"memory limit reached: 1 task OOM-killed"},
		{"idle CPU: peaked at 15% of 1 vCPU, would be 60% on 256/512", "idle memory: peaked at 5% of 4096 MiB, would be 40% on 256/512"},
	}
	for i, a := range r.Entries {
		if diff := cmp.Diff(want[i], a.Reasons); diff != "" {
			t.Errorf("%s reasons (-want +got):\n%s", a.Label, diff)
		}
	}
	if s := r.Entries[2].Suggested; s == nil || *s != (scenarios.Size{CPU: 256, Memory: 512}) {
		t.Errorf("suggested %v, want 256/512", s)
	}

	// A threshold failed with CPU and memory to spare: a bigger size is
	// not the answer, and the reason says so.
	idle := entry(1024, 2048, 20, 30, 10, false)
	idle.Thresholds = []lab.ThresholdOutcome{{Expr: "p99 < 500ms", OK: false, Value: 900}}
	a := Recommend(lab.Summary{Entries: []lab.EntrySummary{idle}}, DefaultPrices(), 0).Entries[0]
	if a.Finding != Underprovisioned || !strings.Contains(a.Reasons[0], "failed p99 < 500ms (was 900 ms)") || !strings.Contains(a.Reasons[0], "a larger size may not help") {
		t.Errorf("failed with headroom: %s %q", a.Finding, a.Reasons)
	}
}

func TestRecommendCPUVertical(t *testing.T) {
	// After lab run cpu-vertical, the recommendation
	// names 512/1024, marks 256/512 under-provisioned (CPU saturated) and
	// 1024/2048 over-provisioned.
	run, err := Read(filepath.Join("testdata", cpuVerticalRun))
	if err != nil {
		t.Fatal(err)
	}
	r := Recommend(run.Summary, DefaultPrices(), 0)
	best, ok := r.Recommended()
	if !ok || best.Label != "512/1024" {
		t.Fatalf("recommended %+v, want 512/1024", best)
	}
	want := []finding{
		{"256/512", Underprovisioned, []string{CPUUnderprovisioned, ThresholdsFailed}},
		{"512/1024", Optimized, nil},
		{"1024/2048", Overprovisioned, []string{CheaperSizePassed}},
	}
	if diff := cmp.Diff(want, findings(r)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestCost(t *testing.T) {
	p := DefaultPrices()
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	// 0.5 vCPU x $0.04048 + 1 GB x $0.004445.
	if got := p.TaskHour(scenarios.Size{CPU: 512, Memory: 1024}); !near(got, 0.024685) {
		t.Errorf("512/1024 per hour = %g, want 0.024685", got)
	}
	if got := p.TaskHour(scenarios.Size{CPU: 256, Memory: 512}); !near(got, 0.0123425) {
		t.Errorf("256/512 per hour = %g, want 0.0123425", got)
	}

	e := entry(512, 1024, 60, 70, 10, true)
	e.Scaling.MaxCount = 2
	e.AchievedRPS = 10
	for _, tc := range []struct {
		tasks int
		want  Cost
	}{
		// The tasks the entry ran.
		{0, Cost{Tasks: 2, PerHour: 0.04937, PerMonth: 0.04937 * 730, PerMillion: 0.04937 / 36000 * 1e6, PerHourARM64: 2 * (0.5*0.03238 + 0.00356)}},
		// Priced at 5 tasks; per million requests stays at the tasks that
		// served them.
		{5, Cost{Tasks: 5, PerHour: 0.123425, PerMonth: 0.123425 * 730, PerMillion: 0.04937 / 36000 * 1e6, PerHourARM64: 5 * (0.5*0.03238 + 0.00356)}},
	} {
		got := Recommend(lab.Summary{Entries: []lab.EntrySummary{e}}, p, tc.tasks).Entries[0].Cost
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
			t.Errorf("tasks %d (-want +got):\n%s", tc.tasks, diff)
		}
	}
	e.AchievedRPS = 0
	if c := Recommend(lab.Summary{Entries: []lab.EntrySummary{e}}, p, 0).Entries[0].Cost; c.PerMillion != 0 || millionText(c) != "-" {
		t.Errorf("nothing achieved: per million %g %q", c.PerMillion, millionText(c))
	}
}

func TestDefaultPrices(t *testing.T) {
	want := PriceTable{Region: "us-east-1", Platform: "Linux/x86", Currency: "USD", VCPUHour: 0.04048, GBHour: 0.004445, AsOf: "2026-11-27",
		ARM64VCPUHour: 0.03238, ARM64GBHour: 0.00356, ALBHour: 0.0225, ALBLCUHour: 0.008, PublicIPv4Hour: 0.005, AlarmMonth: 0.10, MetricsPerThousand: 0.01}
	if diff := cmp.Diff(want, DefaultPrices()); diff != "" {
		t.Errorf("embedded prices (-want +got):\n%s", diff)
	}
	if got := DefaultPrices().String(); got != "Fargate on-demand Linux/x86, us-east-1, USD, prices of 2026-11-27" {
		t.Errorf("String() = %q", got)
	}
	// Graviton is about 20% cheaper: 0.25 vCPU / 0.5 GB.
	small := scenarios.Size{CPU: 256, Memory: 512}
	if x86, arm := DefaultPrices().TaskHour(small), DefaultPrices().TaskHourOn(small, scenarios.ARM64); math.Abs(arm/x86-0.8) > 0.01 {
		t.Errorf("ARM64 %g vs x86 %g per hour: want about 80%%", arm, x86)
	}
	if _, err := ParsePrices([]byte("region: r\nvcpu_hour: 1\ngb_hour: 1\nas_of: 2026-01-01\nalb_hour: -1\n")); err == nil || !strings.Contains(err.Error(), "alb_hour") {
		t.Errorf("a negative alb_hour: %v", err)
	}
}

func TestLoadPrices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eu.yaml")
	content := "# Frankfurt\nregion: eu-central-1\nvcpu_hour: 0.04656  # per vCPU-hour\ngb_hour: \"0.00511\"\nas_of: 2026-11-01\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	want := PriceTable{Region: "eu-central-1", Platform: "Linux/x86", Currency: "USD", VCPUHour: 0.04656, GBHour: 0.00511, AsOf: "2026-11-01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := LoadPrices(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file is not an error")
	}

	valid := "region: r\nvcpu_hour: 1\ngb_hour: 1\nas_of: 2026-01-01\n"
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte(valid+strings.Repeat("# padding\n", MaxPricesFileSize/10+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrices(big); err == nil || !strings.Contains(err.Error(), "big.yaml: larger than") {
		t.Errorf("an oversized file: error %v, want one naming the file and its size", err)
	}
	for _, tc := range []struct{ name, content, want string }{
		{"unknown field", valid + "spot: true\n", "5: spot: unknown field"},
		{"twice", valid + "region: s\n", "5: region is set twice"},
		{"negative", "region: r\nvcpu_hour: -1\n", "2: vcpu_hour: want a positive number"},
		{"not a number", "region: r\ngb_hour: cheap\n", "2: gb_hour: want a positive number"},
		{"bad date", "as_of: yesterday\n", "1: as_of:"},
		{"missing", "region: r\nvcpu_hour: 1\nas_of: 2026-01-01\n", "gb_hour is missing"},
		{"not key: value", "region r\n", "1: want \"key: value\""},
		{"NaN", "region: r\nvcpu_hour: NaN\n", "2: vcpu_hour: want a positive number"},
		{"Inf", "region: r\ngb_hour: +Inf\n", "2: gb_hour: want a positive number"},
		{"infinity", "region: r\ngb_hour: infinity\n", "2: gb_hour: want a positive number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrices([]byte(tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestPrintRecommendation(t *testing.T) {
	for _, name := range []string{cpuVerticalRun, leakRun} {
		t.Run(name, func(t *testing.T) {
			run, err := Read(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := PrintRecommendation(&buf, Recommend(run.Summary, DefaultPrices(), 0)); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "golden", "recommend-"+name+".txt"), buf.Bytes())
		})
	}
	var buf bytes.Buffer
	PrintRecommendation(&buf, Recommend(lab.Summary{Entries: []lab.EntrySummary{entry(256, 512, 99, 100, 1, false)}}, DefaultPrices(), 0))
	if !strings.HasPrefix(buf.String(), "No recommendation: no size met every threshold") {
		t.Errorf("none passes:\n%s", buf.String())
	}
}
