package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab"
)

// Recorded results directories in testdata/: three real runs of lab and
// one made by hand with what the runner did not produce yet when it was
// written (scaling decisions, an OOM kill, errors).
const (
	cpuVerticalRun = "20261127-101713-cpu-vertical-0pqf" // lab run cpu-vertical (30 s entries)
	shortRun       = "20261127-101640-short-up41"        // lab run cmd/lab/testdata/short.yaml
	leakRun        = "20261127-120000-leak-scale-hand"   // by hand: OOM kill, 502s, scale-outs
	// lab run of its scenario.yaml: a crash, scaling by hand and by
	// policy (decisions and held ones), a resize, OOM kills.
	eventsRun = "20261206-182814-events-26j0"
)

// copyRun copies a recorded results directory to a temporary one, so that
// tests write report.html there and not into testdata/.
func copyRun(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeReport(t *testing.T, dir string) string {
	t.Helper()
	path, err := WriteHTML(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, ReportFile); path != want {
		t.Errorf("WriteHTML path = %s, want %s", path, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteHTMLShowsEveryEntry(t *testing.T) {
	for _, name := range []string{cpuVerticalRun, shortRun, leakRun} {
		t.Run(name, func(t *testing.T) {
			dir := copyRun(t, name)
			page := writeReport(t, dir)
			run, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			entries := len(run.Summary.Entries)

			// Five charts per entry: throughput, latency, errors, tasks,
			// utilization; and for a matrix, three with every entry.
			want := 5 * entries
			if entries > 1 {
				want += 3
				if got := strings.Count(section(t, page, `id="entries"`), `<svg class="chart"`); got != 3 {
					t.Errorf("%d overview charts, want 3", got)
				}
			}
			if got := strings.Count(page, `<svg class="chart"`); got != want {
				t.Errorf("%d charts, want %d", got, want)
			}
			for i, e := range run.Summary.Entries {
				sec := section(t, page, fmt.Sprintf(`id="entry-%d"`, i+1))
				for _, title := range []string{"Offered vs achieved requests", "Latency percentiles", "Errors", "Running and desired tasks", "CPU and memory utilization"} {
					if !strings.Contains(sec, "<h3>"+title+"</h3>") {
						t.Errorf("entry %d: no %q chart", i+1, title)
					}
				}
				if got := strings.Count(sec, `<svg class="chart"`); got != 5 {
					t.Errorf("entry %d: %d charts, want 5", i+1, got)
				}
				for _, axis := range []string{">req/s<", ">ms<", ">errors/s<", ">tasks<", ">% of envelope<", ">seconds since load start<"} {
					if !strings.Contains(sec, axis) {
						t.Errorf("entry %d: no axis label %s", i+1, axis)
					}
				}
				if !strings.Contains(sec, e.Label) {
					t.Errorf("entry %d: label %s missing", i+1, e.Label)
				}
			}

			// The tables: right size, entries side by side (one row per
			// entry), thresholds (one row per expression), events (one row
			// per line of events.jsonl, with a type filter).
			for _, id := range []string{"size", "entries", "thresholds", "events", "scenario"} {
				section(t, page, fmt.Sprintf(`id="%s"`, id))
			}
			if got := strings.Count(section(t, page, `id="entries"`), "<tr>"); got != entries+1 {
				t.Errorf("entries table: %d rows, want %d and a header", got-1, entries)
			}
			if got, want := strings.Count(section(t, page, `id="thresholds"`), "<tr><td><code>"), len(run.Summary.Entries[0].Thresholds); got != want {
				t.Errorf("thresholds table: %d rows, want %d", got, want)
			}
			events := section(t, page, `id="events"`)
			if got, want := strings.Count(events, "<tr data-type="), len(run.Events); got != want {
				t.Errorf("events table: %d rows, want %d", got, want)
			}
			for _, ev := range run.Events {
				if !strings.Contains(events, "<option>"+ev.Type()+"</option>") {
					t.Errorf("events filter has no option %q", ev.Type())
				}
			}
			if !strings.Contains(page, `id="ev-type"`) || !strings.Contains(page, "<script>") {
				t.Error("no events filter")
			}
			assertSelfContained(t, page)
		})
	}
}

// section is the HTML from the element carrying attr to the end of its
// section.
func section(t *testing.T, page, attr string) string {
	t.Helper()
	i := strings.Index(page, attr)
	if i < 0 {
		t.Fatalf("no element with %s", attr)
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var (
	// An attribute that loads or links something: its value must not name
	// another host.
	urlAttr = regexp.MustCompile(`(?i)\s(src|href|xlink:href|action|srcset|poster|data|formaction)\s*=\s*["']?\s*([^"'\s>]*)`)
	cssURL  = regexp.MustCompile(`(?i)url\(\s*["']?\s*([^"')\s]*)`)
)

// assertSelfContained fails when the page would load anything from another
// host or file.
func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, p := range externalRefs(page) {
		t.Error(p)
	}
	if !strings.Contains(page, `Content-Security-Policy" content="default-src 'none'`) {
		t.Error("no Content-Security-Policy that forbids other hosts")
	}
}

// externalRefs lists what would make a page load something: an http(s)
// or protocol-relative URL, or another file, in an attribute; @import;
// url() to anything but a fragment or data; an external script. The page
// must not even mention a URL.
func externalRefs(page string) []string {
	var out []string
	for _, m := range urlAttr.FindAllStringSubmatch(page, -1) {
		v := strings.ToLower(m[2])
		if !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
			out = append(out, "reference to another host or file: "+m[0])
		}
	}
	for _, m := range cssURL.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") && !strings.HasPrefix(m[1], "data:") {
			out = append(out, "CSS url() to another resource: "+m[0])
		}
	}
	for _, bad := range []string{"@import", "<script src", "<iframe", "<img", "<link rel=\"stylesheet\"", "http://", "https://"} {
		if strings.Contains(strings.ToLower(page), bad) {
			out = append(out, fmt.Sprintf("page contains %q", bad))
		}
	}
	return out
}

func TestExternalRefsCatchesExternalReferences(t *testing.T) {
	for _, page := range []string{
		`<script src="https://cdn.example.com/x.js"></script>`,
		`<link href="//fonts.example.com/css">`,
		`<a href="other.html">`,
		`<style>@import "x.css";</style>`,
		`<div style="background: url(https://example.com/a.png)">`,
		`<svg><image href=http://example.com/a.png /></svg>`,
	} {
		if len(externalRefs(page)) == 0 {
			t.Errorf("not caught: %s", page)
		}
	}
	if refs := externalRefs(`<a href="#entry-1">1</a><link rel="icon" href="data:,">`); len(refs) != 0 {
		t.Errorf("false alarm: %v", refs)
	}
}

func TestWriteHTMLMarksTaskStopsAndScaling(t *testing.T) {
	page := writeReport(t, copyRun(t, leakRun))
	e1 := section(t, page, `id="entry-1"`)
	for _, want := range []string{
		">OOM<",  // the OOM-killed task, labelled on the tasks chart
		">↑1→2<", // the scaling decisions
		">↑2→3<",
		"task t1 stopped: OutOfMemoryError: Container killed due to memory usage (exit code 137)",
		"scale out 1 → 2 by cpu-target-tracking",
		"502 × 9, reset × 3", // the summary's errors by code
		">phase 2<",          // the second load phase on the throughput chart
	} {
		if !strings.Contains(e1, want) {
			t.Errorf("entry 1 lacks %q", want)
		}
	}
	// Tasks that lab stopped itself at the end are not marked.
	for i := 1; i <= 3; i++ {
		if sec := section(t, page, fmt.Sprintf(`id="entry-%d"`, i)); strings.Contains(sec, "entry finished") {
			t.Errorf("entry %d marks a task lab stopped itself", i)
		}
	}
	if e3 := section(t, page, `id="entry-3"`); !strings.Contains(e3, "No task stopped on its own") {
		t.Error("entry 3 should say nothing was marked")
	}
}

func TestWriteHTMLRightSize(t *testing.T) {
	page := writeReport(t, copyRun(t, cpuVerticalRun))
	size := section(t, page, `id="size"`)
	for _, want := range []string{
		`<span class="big">512/1024</span>`,
		"$0.0247", "$18.02", "$1.37", // per hour, per month, per million requests
		`<span class="pill under">under-provisioned</span>`,
		`<span class="pill optimized">optimized</span>`,
		`<span class="pill over">over-provisioned</span>`,
		"CPU saturated",
		"us-east-1", "prices of 2026-11-27",
	} {
		if !strings.Contains(size, want) {
			t.Errorf("right size section lacks %q", want)
		}
	}
	// The resolved scenario is shown, escaped.
	if !strings.Contains(section(t, page, `id="scenario"`), "achieved_rps &gt;= 4.9") {
		t.Error("scenario.yaml is not shown escaped")
	}
}

func TestWriteHTMLIsDeterministic(t *testing.T) {
	dir := copyRun(t, leakRun)
	a := writeReport(t, dir)
	b := writeReport(t, dir)
	if a != b {
		t.Error("two reports of the same directory differ")
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	dir := copyRun(t, shortRun)
	evil := `<script>alert(1)</script>`
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(map[string]any{"t": 1, "time": "2026-11-27T10:16:50Z", "entry": 1, "type": "action", "name": evil, "args": evil})
	f.Write(append(line, '\n'))
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, ScenarioFile), []byte("name: x\ndescription: "+evil+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := writeReport(t, dir)
	if strings.Contains(page, evil) {
		t.Error("event fields or the scenario reach the page unescaped")
	}
}

// A 10-minute run of three entries stays well under 2 MB.
func TestWriteHTMLSizeOfALongRun(t *testing.T) {
	dir := t.TempDir()
	writeSyntheticRun(t, dir, 3, 600)
	page := writeReport(t, dir)
	if len(page) > 2<<20 {
		t.Errorf("report of a 10-minute run is %d bytes, want under 2 MB", len(page))
	}
	if got := strings.Count(page, `<svg class="chart"`); got != 18 {
		t.Errorf("%d charts, want 18", got)
	}
	t.Logf("10-minute run, 3 entries: %d KB", len(page)>>10)
}

// writeSyntheticRun writes a results directory of entries x seconds with a
// health change and a scaling decision every 30 s.
func writeSyntheticRun(t *testing.T, dir string, entries, seconds int) {
	t.Helper()
	var ts, ev bytes.Buffer
	ts.WriteString(strings.Join(TimeseriesHeader, ",") + "\n")
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := lab.Summary{SchemaVersion: 1, Scenario: "synthetic", Target: "local", RunID: "syn1", StartedAt: start, Passed: true}
	for e := 1; e <= entries; e++ {
		for i := 1; i <= seconds; i++ {
			x := float64(i)
			fmt.Fprintf(&ts, "%d,%d,1,%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%d,%d,%d,%.1f,%.1f\n",
				i, e, 20, 19, 1, 100+10*math.Sin(x/7), 150+x/10, 300+x/5, 400+x/4, 1+i/200, 1+i/200, 1+i/200, 50+20*math.Sin(x/30), 30+x/20)
			if i%30 == 0 {
				for _, m := range []map[string]any{
					{"type": "scaling_decision", "direction": "out", "from": 1, "to": 2, "policy": "cpu", "metric": "cpu", "datapoints": []float64{70, 71, 72}, "target": 60, "formula": "ceil(1 x 72 / 60) = 2"},
					{"type": "health_changed", "task": "t9", "healthy": true},
				} {
					m["t"], m["entry"], m["time"] = x, e, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano)
					line, _ := json.Marshal(m)
					ev.Write(append(line, '\n'))
				}
			}
		}
		s.Entries = append(s.Entries, lab.EntrySummary{
			Label: fmt.Sprintf("%d/%d", 256<<e, 512<<e), CPU: 256 << e, Memory: 512 << e, LoadSeconds: float64(seconds),
			Requests: int64(20 * seconds), OK: int64(19 * seconds), Errors: map[string]int64{"503": int64(seconds)},
			ErrorRate: 0.05, OfferedRPS: 20, AchievedRPS: 19,
			Scaling:    lab.Scaling{MinCount: 1, MaxCount: 4},
			Thresholds: []lab.ThresholdOutcome{{Expr: "error_rate < 10%", OK: true, Value: 5}},
			Passed:     true,
		})
	}
	data, _ := json.Marshal(s)
	for name, content := range map[string][]byte{SummaryFile: data, TimeseriesFile: ts.Bytes(), EventsFile: ev.Bytes(), ScenarioFile: []byte("name: synthetic\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLineChart(t *testing.T) {
	nan := math.NaN()
	svg := string(lineChart(chart{
		Title: "Latency", Unit: "ms", XMax: 4,
		Series: []series{
			{Name: "p50", Color: colBlue, X: []float64{1, 2, 3, 4}, Y: []float64{10, nan, 30, 40}},
			{Name: "desired", Color: colGrey, Dash: true, Step: true, X: []float64{1, 2}, Y: []float64{1, 2}},
		},
		Marks: []mark{{X: 2, Label: "OOM", Title: "2 s: task t1 stopped <oom>", Color: colRed}},
		Bands: []band{{X0: 3, X1: 4, Label: "tail"}},
	}))
	for _, want := range []string{
		`<svg class="chart"`, "<title>Latency</title>",
		">ms<", ">seconds since load start<", // axis labels
		">p50<", ">desired<", // legend
		`stroke-dasharray="5 3"`,       // dashed series
		">OOM<", "stopped &lt;oom&gt;", // mark, escaped
		">tail<",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	// The gap splits the p50 line into two pieces (the first, alone, a
	// dot); the step series moves horizontally then vertically.
	if d := regexp.MustCompile(`<path d="([^"]*)" stroke="` + colBlue).FindStringSubmatch(svg); d == nil || strings.Count(d[1], "M") != 2 {
		t.Errorf("p50 path should have 2 pieces: %v", d)
	}
	if !regexp.MustCompile(`<path d="M[0-9. ]+H[0-9.]+V[0-9.]+" stroke="` + colGrey).MatchString(svg) {
		t.Error("step series is not drawn as steps")
	}
	// Utilization keeps 0..100 unless the data goes beyond.
	pct := string(lineChart(chart{Unit: "%", XMax: 2, YMax: 100, Series: []series{{Name: "CPU", X: []float64{1, 2}, Y: []float64{5, 7}}}}))
	if !strings.Contains(pct, ">100<") || strings.Contains(pct, ">120<") {
		t.Error("percent chart should end at 100")
	}
	empty := string(lineChart(chart{Unit: "req/s", XMax: 1, Series: []series{{Name: "ok"}}}))
	if !strings.Contains(empty, "no samples") {
		t.Error("an empty chart should say so")
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		span    float64
		n       int
		integer bool
		want    float64
	}{
		{100, 5, false, 20},
		{5.4, 5, false, 2},
		{2700, 5, false, 1000},
		{0.5, 5, false, 0.1},
		{1.08, 5, true, 1},
		{30, 6, true, 5},
		{600, 6, true, 100},
		{0, 5, false, 1},
	} {
		if got := niceStep(tc.span, tc.n, tc.integer); got != tc.want {
			t.Errorf("niceStep(%g, %d, %v) = %g, want %g", tc.span, tc.n, tc.integer, got, tc.want)
		}
	}
}

func TestRead(t *testing.T) {
	run, err := Read(filepath.Join("testdata", cpuVerticalRun))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(run.Summary.Entries); got != 3 {
		t.Fatalf("%d entries, want 3", got)
	}
	first := run.EntrySamples(2)[0]
	want := Sample{T: 1, Entry: 2, Phase: "1", SentRPS: 10, OKRPS: 5, P50: 806.9, P90: 855.3, P99: 855.3, Max: 855.3, Desired: 1, Running: 1, Healthy: 1, CPUPct: 61.2, MemPct: 0.3}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first sample of entry 2 (-want +got):\n%s", diff)
	}
	ev := run.EntryEvents(1)[1]
	if d, ok := ev.Data.(lab.TaskStarted); !ok || ev.T != 0.475 || d.Task != "t1" || ev.Time.IsZero() {
		t.Errorf("second event of entry 1 = %+v", ev)
	}
	if !strings.Contains(string(run.Scenario), "name: cpu-vertical") {
		t.Error("scenario.yaml not read")
	}
}

func TestReadCrashedRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(SummaryFile, `{"schema_version": 1, "scenario": "x", "entries": []}`)
	// Columns found by name, in any order, extra ones ignored; the last
	// line was cut short by the crash.
	write(TimeseriesFile, "entry,t,extra,ok_rps\n1,1.0,z,4\n1,2.0,z,5\n1,3.")
	write(EventsFile, `{"t":0,"entry":1,"type":"phase_started","phase":1,"time":"2026-11-27T10:00:00Z"}`+"\n"+`{"t":1,"ent`)
	run, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{{T: 1, Entry: 1, OKRPS: 4}, {T: 2, Entry: 1, OKRPS: 5}}
	if diff := cmp.Diff(want, run.Samples); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	if len(run.Events) != 1 || run.Scenario != nil {
		t.Errorf("events %v, scenario %q", run.Events, run.Scenario)
	}
	if _, err := WriteHTML(dir, Options{}); err != nil {
		t.Errorf("report of a crashed run: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no summary":       {TimeseriesFile: "t,entry\n"},
		"newer schema":     {SummaryFile: `{"schema_version": 3}`},
		"bad timeseries":   {SummaryFile: `{"schema_version": 1}`, TimeseriesFile: "t,entry\nx,1\n"},
		"no entry column":  {SummaryFile: `{"schema_version": 1}`, TimeseriesFile: "t,ok_rps\n1,1\n"},
		"bad event":        {SummaryFile: `{"schema_version": 1}`, EventsFile: "{\"t\": 1}\n"},
		"bad summary json": {SummaryFile: `{`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, c := range files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Read(dir); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestScenarioDescription(t *testing.T) {
	for _, tc := range []struct{ yaml, lead, rest string }{
		{"name: a\ndescription: One line.\nworkload:\n", "One line.", ""},
		{"description: \"Quoted: yes\"\n", "Quoted: yes", ""},
		{"description: |-\n  First line.\n  Second\n  wraps.\nworkload:\n", "First line.", "Second wraps."},
		{"name: a\n", "", ""},
	} {
		lead, rest := describe(scenarioDescription([]byte(tc.yaml)))
		if lead != tc.lead || rest != tc.rest {
			t.Errorf("%q: got %q, %q; want %q, %q", tc.yaml, lead, rest, tc.lead, tc.rest)
		}
	}
}
