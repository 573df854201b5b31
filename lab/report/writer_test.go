package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

func writerScenario(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(`
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 60s, rate: 5}]}
thresholds: ["p99 < 1s"]
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// While an entry runs, summary.json holds it so far: a run killed there
// leaves a summary that reads as the interrupted entry, thresholds failed.
func TestWriterRewritesTheSummaryDuringAnEntry(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.every = 0 // every snapshot
	w.Started(lab.RunInfo{ID: "t1", Scenario: writerScenario(t), Target: "local", StartedAt: time.Now()})
	live := lab.EntrySummary{Label: "256/512", Requests: 40, OK: 40, AchievedRPS: 5, LatencyMS: lab.Latency{P99: 20},
		Thresholds: []lab.ThresholdOutcome{{Expr: "p99 < 1s", OK: true, Value: 0.02}}}
	w.Snapshot(lab.Snapshot{T: 8, Entry: 1, Phase: "1", Summary: live})
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	run, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Summary
	if !s.Interrupted || len(s.Entries) != 1 {
		t.Fatalf("summary during the entry: %+v, want the entry so far in an interrupted run", s)
	}
	e := s.Entries[0]
	if e.Requests != 40 || !e.Interrupted || e.Passed || len(e.Thresholds) != 1 ||
		e.Thresholds[0].OK || e.Thresholds[0].Reason != lab.ReasonInterrupted {
		t.Errorf("entry so far %+v, want its 40 requests, interrupted, its threshold failed as interrupted", e)
	}
	// The entry's end and the run's replace it.
	live.Passed = true
	w.EntryDone(live)
	w.Done(lab.Summary{SchemaVersion: lab.SchemaVersion, Scenario: "t", Entries: []lab.EntrySummary{live}, Passed: true})
	if run, err = Read(dir); err != nil || run.Summary.Interrupted || !run.Summary.Entries[0].Passed {
		t.Errorf("final summary %+v, %v; want the run's", run.Summary, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// A results file that cannot be written is an error at once, not at the
// end of the run: here the disk of timeseries.csv is full.
func TestNewWriterReportsAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(dir, TimeseriesFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWriter(dir); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Errorf("NewWriter on a full disk: %v, want no space left", err)
	}
}

// A closed model's report says what it intended beside what it sent, and
// what came after the load: "3.00 of 5.00 intended", not "3.17 of 3.17".
func TestReportShowsTheIntendedRateAndTheDrain(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.Started(lab.RunInfo{ID: "t1", Scenario: writerScenario(t), Target: "local", StartedAt: time.Now()})
	e := lab.EntrySummary{Label: "256/512", CPU: 256, Memory: 512, LoadSeconds: 30, Requests: 95, OK: 95,
		Errors: map[string]int64{}, OfferedRPS: 3.167, AchievedRPS: 3, IntendedRPS: 5,
		Drain: &lab.Drain{Seconds: 0.76, Requests: 5, OK: 5}}
	w.Done(lab.Summary{SchemaVersion: lab.SchemaVersion, Scenario: "t", Target: "local", Entries: []lab.EntrySummary{e}})
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	page := writeReport(t, dir)
	for _, want := range []string{"5.00 intended, 3.17 sent", "5 more completed in the 0.8 s after the load"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html does not say %q", want)
		}
	}
}
