package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Results directories that lab wrote (not by hand): reading them and
// writing them again must give the same bytes, so that the Go types stay
// the files' contract.
var labWrittenRuns = []string{cpuVerticalRun, shortRun, eventsRun}

// TestEventsRoundTrip: every line of a lab-written events.jsonl, read into
// an event and marshalled again, is the line.
func TestEventsRoundTrip(t *testing.T) {
	for _, name := range labWrittenRuns {
		path := filepath.Join("testdata", name, EventsFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		events, _, err := readEvents(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(events) != len(lines) {
			t.Fatalf("%s: %d events from %d lines", path, len(events), len(lines))
		}
		for i, ev := range events {
			got, err := json.Marshal(ev)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+1, err)
			}
			if !bytes.Equal(got, lines[i]) {
				t.Errorf("%s:%d:\n got %s\nwant %s", path, i+1, got, lines[i])
			}
		}
	}
}

// TestSummaryRoundTrip: a lab-written summary.json, read and written again
// as the Writer writes it, is the file.
func TestSummaryRoundTrip(t *testing.T) {
	for _, name := range labWrittenRuns {
		dir := filepath.Join("testdata", name)
		want, err := os.ReadFile(filepath.Join(dir, SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		run, err := Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		w := &Writer{dir: t.TempDir(), summary: run.Summary}
		if err := w.writeSummary(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(w.dir, SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: summary.json written again differs:\n%s", dir, got)
		}
	}
}
