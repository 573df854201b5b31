package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
)

// rttEntries are two entries of a run on ECS, one judged net of the round
// trip to the ALB and one not, and an entry of a local run (no round trip).
func rttEntries() (net, included, local lab.EntrySummary) {
	base := lab.EntrySummary{Label: "256/512", CPU: 256, Memory: 512, LoadSeconds: 30, Requests: 150, OK: 150,
		Errors: map[string]int64{}, OfferedRPS: 5, AchievedRPS: 5, LatencyMS: lab.Latency{P50: 120, P99: 412, Max: 600}}
	net, included, local = base, base, base
	net.RTTMS, net.NetOfRTT = 38, true
	included.Label, included.CPU, included.Memory, included.RTTMS = "512/1024", 512, 1024, 41
	return net, included, local
}

// The HTML report says, beside the latencies, the round trip to the ALB
// they include and whether the thresholds were judged net of it; a local
// run's report says nothing of a round trip.
func TestReportShowsTheRoundTrip(t *testing.T) {
	net, included, local := rttEntries()
	for _, tc := range []struct {
		name    string
		target  string
		entries []lab.EntrySummary
		want    []string
	}{
		{"ecs", "ecs", []lab.EntrySummary{net, included}, []string{
			"p99 412ms, max 600ms (round trip 38ms; thresholds judged net of it)",
			"p99 412ms, max 600ms (round trip 41ms included)",
			`<td class="num">412ms<div class="muted small">round trip 38ms; thresholds judged net of it</div></td>`,
		}},
		{"local", "local", []lab.EntrySummary{local}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := NewWriter(dir)
			if err != nil {
				t.Fatal(err)
			}
			w.Started(lab.RunInfo{ID: "t1", Scenario: writerScenario(t), Target: tc.target, StartedAt: time.Now()})
			w.Done(lab.Summary{SchemaVersion: lab.SchemaVersion, Scenario: "t", Target: tc.target, Entries: tc.entries})
			if err := w.Err(); err != nil {
				t.Fatal(err)
			}
			page := writeReport(t, dir)
			for _, want := range tc.want {
				if !strings.Contains(page, want) {
					t.Errorf("report.html does not say %q", want)
				}
			}
			if tc.want == nil && strings.Contains(page, "round trip") {
				t.Errorf("report.html of a local run speaks of a round trip")
			}
		})
	}
}

// The table printed after a run, and lab compare's, have a round-trip
// column beside the latencies when an entry measured one, and none for a
// local run.
func TestTablesShowTheRoundTrip(t *testing.T) {
	net, included, local := rttEntries()
	print := func(entries ...lab.EntrySummary) (table, compare string) {
		t.Helper()
		s := lab.Summary{SchemaVersion: lab.SchemaVersion, Scenario: "t", RunID: "r", Entries: entries}
		var tb, cb bytes.Buffer
		if err := Table(&tb, s); err != nil {
			t.Fatal(err)
		}
		if err := PrintCompare(&cb, CompareRows("", s, DefaultPrices())); err != nil {
			t.Fatal(err)
		}
		return tb.String(), cb.String()
	}
	table, compare := print(net, included)
	for name, out := range map[string]string{"Table": table, "PrintCompare": compare} {
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%s: %d lines, want a header and 2 rows:\n%s", name, len(lines), out)
		}
		col := strings.Index(lines[0], "ROUND TRIP")
		if col < 0 || col < strings.Index(lines[0], "P99") {
			t.Fatalf("%s: no ROUND TRIP column after P99:\n%s", name, out)
		}
		for i, want := range []string{"38ms (thresholds net of it)", "41ms (included)"} {
			if !strings.HasPrefix(lines[i+1][col:], want) {
				t.Errorf("%s: row %d's round trip %q, want %q", name, i+1, lines[i+1][col:], want)
			}
		}
	}
	table, compare = print(local)
	for name, out := range map[string]string{"Table": table, "PrintCompare": compare} {
		if strings.Contains(out, "ROUND TRIP") {
			t.Errorf("%s of a local run has a round-trip column:\n%s", name, out)
		}
	}
}
