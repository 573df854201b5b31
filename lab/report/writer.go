// Package report writes what a run publishes: the results directory
// (scenario.yaml, timeseries.csv, events.jsonl, summary.json) as the run
// goes, so that a crash loses at most the last seconds.
package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ecslab/lab/internal/atomicfile"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// SummaryEvery is how often summary.json is rewritten while an entry
// runs, with the entry so far: a run killed mid-entry leaves a summary
// that `lab report` reads, missing at most these last seconds.
const SummaryEvery = 2 * time.Second

// Files in a results directory.
const (
	ScenarioFile   = "scenario.yaml"
	TimeseriesFile = "timeseries.csv"
	EventsFile     = "events.jsonl"
	SummaryFile    = "summary.json"
	// ContainersFile has a row per second per container of a task of
	// several containers; runs of tasks of one container have none.
	ContainersFile = "containers.csv"
)

// ContainersHeader is containers.csv's columns: one second of one
// container of one task. cpu_pct is in percent of the task's cpu
// envelope, mem_mib its resident memory. Columns may be appended, never
// renamed.
var ContainersHeader = []string{"t", "entry", "task", "container", "state", "health", "cpu_pct", "mem_mib"}

// TimeseriesHeader is timeseries.csv's columns. Columns may be appended,
// never renamed: other tools read them.
var TimeseriesHeader = []string{
	"t", "entry", "phase", "sent_rps", "ok_rps", "error_rps",
	"p50_ms", "p90_ms", "p99_ms", "max_ms",
	"desired", "running", "healthy", "cpu_pct", "mem_pct",
	"p50_ok_ms", "p90_ok_ms", "p99_ok_ms", "max_ok_ms",
}

// DirName is the results directory's name for a run:
// <yyyymmdd-hhmmss>-<scenario>-<id>.
func DirName(started time.Time, scenario, runID string) string {
	return fmt.Sprintf("%s-%s-%s", started.Format("20060102-150405"), scenario, runID)
}

// Writer is a lab.Observer that writes the results directory. The first
// write error is kept and returned by Err; later writes are skipped.
type Writer struct {
	dir string

	mu     sync.Mutex
	err    error
	onFail func() // called once, at the first error
	ts     *os.File
	tsCSV  *csv.Writer
	// containers.csv, created at the first snapshot with a task of
	// several containers.
	ctrs    *os.File
	ctrsCSV *csv.Writer
	events  *os.File
	eventsW *bufio.Writer
	summary lab.Summary

	thresholds  []scenarios.Threshold // to judge the entry under way as interrupted
	every       time.Duration         // SummaryEvery, shorter in tests
	lastSummary time.Time             // when summary.json was last written
}

var _ lab.Observer = (*Writer)(nil)

// NewWriter creates dir and the files that grow during the run.
func NewWriter(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results directory: %w", err)
	}
	w := &Writer{dir: dir, every: SummaryEvery}
	var err error
	if w.ts, err = os.Create(filepath.Join(dir, TimeseriesFile)); err != nil {
		return nil, err
	}
	w.tsCSV = csv.NewWriter(w.ts)
	if err = w.tsCSV.Write(TimeseriesHeader); err == nil {
		w.tsCSV.Flush()
		err = w.tsCSV.Error()
	}
	if err == nil {
		w.events, err = os.Create(filepath.Join(dir, EventsFile))
	}
	if err != nil {
		return nil, errors.Join(err, w.ts.Close())
	}
	w.eventsW = bufio.NewWriter(w.events)
	return w, nil
}

// Dir is the results directory.
func (w *Writer) Dir() string { return w.dir }

// Err is the first error met while writing.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// OnFail sets f to be called once, at the first write that fails (e.g.
// the disk is full), from the observer call that failed: the run can
// stop at once instead of losing its results silently.
func (w *Writer) OnFail(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onFail = f
}

func (w *Writer) fail(err error) {
	if err != nil && w.err == nil {
		w.err = err
		if w.onFail != nil {
			w.onFail()
		}
	}
}

// Started writes the scenario as resolved, and a first summary.
func (w *Writer) Started(info lab.RunInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, err := info.Scenario.YAML()
	if err == nil {
		err = atomicfile.Write(filepath.Join(w.dir, ScenarioFile), data, 0o644)
	}
	w.fail(err)
	w.thresholds = info.Scenario.Thresholds
	w.summary = lab.Summary{
		SchemaVersion: lab.SchemaVersion,
		Scenario:      info.Scenario.Name,
		Target:        info.Target,
		RunID:         info.ID,
		StartedAt:     info.StartedAt.UTC().Truncate(time.Second),
		Calibration:   info.Calibration,
		Entries:       []lab.EntrySummary{},
	}
	w.fail(w.writeSummary())
}

// Snapshot appends one timeseries row and flushes it.
func (w *Writer) Snapshot(s lab.Snapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	l := s.Load
	errs := 0
	for _, n := range l.Errors {
		errs += n
	}
	row := []string{
		fnum(s.T, 1), strconv.Itoa(s.Entry), s.Phase,
		strconv.Itoa(l.Sent), strconv.Itoa(l.OK), strconv.Itoa(errs),
		fnum(l.Latency.P50, 1), fnum(l.Latency.P90, 1), fnum(l.Latency.P99, 1), fnum(l.Latency.Max, 1),
		strconv.Itoa(s.Service.Desired), strconv.Itoa(s.Service.Running), strconv.Itoa(s.Service.Healthy),
		fnum(s.Service.CPUPct, 1), fnum(s.Service.MemPct, 1),
		fnum(l.LatencyOK.P50, 1), fnum(l.LatencyOK.P90, 1), fnum(l.LatencyOK.P99, 1), fnum(l.LatencyOK.Max, 1),
	}
	w.fail(w.tsCSV.Write(row))
	w.tsCSV.Flush()
	w.fail(w.tsCSV.Error())
	w.fail(w.writeContainers(s))
	// A snapshot without a summary so far (a capacity search's step)
	// leaves summary.json to EntryDone.
	if !s.Finished && s.Summary.Label != "" && time.Since(w.lastSummary) >= w.every {
		w.fail(w.writeLive(s.Summary))
	}
}

// writeLive rewrites summary.json with the entry under way as its
// summary so far. It is written as an interrupted entry of an
// interrupted run, its thresholds failed: what a run killed now leaves.
// The entry's own end, or the run's, rewrites it.
func (w *Writer) writeLive(e lab.EntrySummary) error {
	e.Interrupted, e.Passed = true, false
	e.Thresholds = lab.Evaluate(e, w.thresholds)
	done := w.summary
	w.summary.Entries = append(slices.Clip(done.Entries), e)
	w.summary.Interrupted = true
	err := w.writeSummary()
	w.summary = done
	return err
}

// writeContainers appends the snapshot's containers' rows to
// containers.csv, creating it with its header at the first.
func (w *Writer) writeContainers(s lab.Snapshot) error {
	for _, tk := range s.Service.Tasks {
		for _, c := range tk.Containers {
			if w.ctrsCSV == nil {
				f, err := os.Create(filepath.Join(w.dir, ContainersFile))
				if err != nil {
					return err
				}
				w.ctrs, w.ctrsCSV = f, csv.NewWriter(f)
				if err := w.ctrsCSV.Write(ContainersHeader); err != nil {
					return err
				}
			}
			row := []string{fnum(s.T, 1), strconv.Itoa(s.Entry), tk.ID, c.Name, c.State, c.Health, fnum(c.CPUPct, 1), fnum(c.MemMiB, 1)}
			if err := w.ctrsCSV.Write(row); err != nil {
				return err
			}
		}
	}
	if w.ctrsCSV == nil {
		return nil
	}
	w.ctrsCSV.Flush()
	return w.ctrsCSV.Error()
}

// Event appends one line to events.jsonl and flushes it.
func (w *Writer) Event(e lab.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	data, err := json.Marshal(e)
	if err != nil {
		w.fail(err)
		return
	}
	// bufio's errors stick: Flush returns the first.
	_, _ = w.eventsW.Write(append(data, '\n'))
	w.fail(w.eventsW.Flush())
}

// EntryDone rewrites summary.json with the entries so far.
func (w *Writer) EntryDone(e lab.EntrySummary) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.summary.Entries = append(w.summary.Entries, e)
	w.fail(w.writeSummary())
}

// Done writes the final summary.json and closes the files.
func (w *Writer) Done(s lab.Summary) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.summary = s
	w.fail(w.writeSummary())
	w.tsCSV.Flush()
	// Closed even after an error, which the first error stays.
	w.fail(errors.Join(w.tsCSV.Error(), w.eventsW.Flush(),
		syncClose(w.ts), syncClose(w.events)))
	if w.ctrs != nil {
		w.ctrsCSV.Flush()
		w.fail(errors.Join(w.ctrsCSV.Error(), syncClose(w.ctrs)))
	}
}

// syncClose syncs a file to the disk and closes it.
func syncClose(f *os.File) error {
	return errors.Join(f.Sync(), f.Close())
}

// writeSummary replaces summary.json atomically and durably (see
// atomicfile), so a reader, or a crash, never sees half a file.
func (w *Writer) writeSummary() error {
	data, err := json.MarshalIndent(w.summary, "", "  ")
	if err != nil {
		return err
	}
	w.lastSummary = time.Now()
	return atomicfile.Write(filepath.Join(w.dir, SummaryFile), append(data, '\n'), 0o644)
}

func fnum(v float64, digits int) string {
	return strconv.FormatFloat(v, 'f', digits, 64)
}
