package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ecslab/lab/lab"
)

// Run is a results directory read back.
type Run struct {
	Dir      string
	Summary  lab.Summary
	Samples  []Sample    // timeseries.csv, in file order
	Events   []lab.Event // events.jsonl, in file order
	Scenario []byte      // scenario.yaml as written; nil when missing

	// eventFields are each event's own fields as its line has them,
	// for the report's events table: a file of another lab version may
	// have fields that the event types here do not.
	eventFields []map[string]any
}

// Sample is one row of timeseries.csv: one second of one entry.
type Sample struct {
	T        float64 // seconds since the entry's load start
	Entry    int     // 1-based
	Phase    string  // the phase number, or e.g. "tail" after the load
	SentRPS  float64
	OKRPS    float64
	ErrorRPS float64
	P50      float64 // ms; 0 when no response came back that second
	P90      float64
	P99      float64
	Max      float64
	// The same over the responses counted in OK (0 in files of a lab
	// that did not write them).
	P50OK, P90OK, P99OK, MaxOK float64
	Desired                    int
	Running                    int
	Healthy                    int
	CPUPct                     float64 // of the envelope
	MemPct                     float64
}

// Read reads a results directory: summary.json is required; the other
// files may be missing (a run that crashed early). A last line cut short
// by a crash is ignored.
func Read(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	if err := json.Unmarshal(data, &r.Summary); err != nil {
		return nil, fmt.Errorf("read results: %s: %w", filepath.Join(dir, SummaryFile), err)
	}
	if r.Summary.SchemaVersion > lab.SchemaVersion {
		return nil, fmt.Errorf("read results: %s has schema_version %d; this lab reads %d: upgrade lab",
			filepath.Join(dir, SummaryFile), r.Summary.SchemaVersion, lab.SchemaVersion)
	}
	if r.Samples, err = readTimeseries(filepath.Join(dir, TimeseriesFile)); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	if r.Events, r.eventFields, err = readEvents(filepath.Join(dir, EventsFile)); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	r.Scenario, err = os.ReadFile(filepath.Join(dir, ScenarioFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return r, nil
}

// EntrySamples are the samples of entry (1-based).
func (r *Run) EntrySamples(entry int) []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Entry == entry {
			out = append(out, s)
		}
	}
	return out
}

// EntryEvents are the events of entry (1-based).
func (r *Run) EntryEvents(entry int) []lab.Event {
	var out []lab.Event
	for _, e := range r.Events {
		if e.Entry == entry {
			out = append(out, e)
		}
	}
	return out
}

// readFileLines reads a file that grows line by line and drops a last line
// that has no newline (cut short by a crash). A missing file reads empty.
func readFileLines(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i < len(data)-1 {
		data = data[:i+1]
	}
	return data, nil
}

func readTimeseries(path string) ([]Sample, error) {
	data, err := readFileLines(path)
	if err != nil || len(data) == 0 {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	for _, name := range []string{"t", "entry"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no %q column", path, name)
		}
	}
	var out []Sample
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		p := rowParser{rec: rec, col: col}
		s := Sample{
			T: p.float("t"), Entry: p.int("entry"), Phase: p.str("phase"),
			SentRPS: p.float("sent_rps"), OKRPS: p.float("ok_rps"), ErrorRPS: p.float("error_rps"),
			P50: p.float("p50_ms"), P90: p.float("p90_ms"), P99: p.float("p99_ms"), Max: p.float("max_ms"),
			Desired: p.int("desired"), Running: p.int("running"), Healthy: p.int("healthy"),
			CPUPct: p.float("cpu_pct"), MemPct: p.float("mem_pct"),
			P50OK: p.float("p50_ok_ms"), P90OK: p.float("p90_ok_ms"), P99OK: p.float("p99_ok_ms"), MaxOK: p.float("max_ok_ms"),
		}
		if p.err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, p.err)
		}
		out = append(out, s)
	}
}

// rowParser reads a CSV record's columns by name; a column the header
// lacks reads as zero, the first bad value is kept in err.
type rowParser struct {
	rec []string
	col map[string]int
	err error
}

func (p *rowParser) str(name string) string {
	i, ok := p.col[name]
	if !ok || i >= len(p.rec) {
		return ""
	}
	return p.rec[i]
}

func (p *rowParser) float(name string) float64 {
	s := p.str(name)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %w", name, err)
	}
	return v
}

func (p *rowParser) int(name string) int {
	return int(p.float(name))
}

// readEvents reads events.jsonl into events, and each line's own fields
// (all but t, time, entry and type) as JSON values.
func readEvents(path string) ([]lab.Event, []map[string]any, error) {
	data, err := readFileLines(path)
	if err != nil {
		return nil, nil, err
	}
	var events []lab.Event
	var fields []map[string]any
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e lab.Event
		var f map[string]any
		err := json.Unmarshal(line, &e)
		if err == nil {
			err = json.Unmarshal(line, &f)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, n+1, err)
		}
		for _, k := range []string{"t", "time", "entry", "type"} {
			delete(f, k)
		}
		events = append(events, e)
		fields = append(fields, f)
	}
	return events, fields, nil
}
