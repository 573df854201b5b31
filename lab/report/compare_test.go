package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with a golden file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func TestCompareTwoRuns(t *testing.T) {
	rows, err := Compare([]string{filepath.Join("testdata", cpuVerticalRun), filepath.Join("testdata", leakRun)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Run, Label      string
		Tasks, Stopped  int
		Passed          bool
		Finding         Finding
		PassedOf, Total int
	}
	var got []row
	for _, r := range rows {
		got = append(got, row{r.Run, r.Label, r.Tasks, r.TasksStopped, r.Passed, r.Finding, r.ThresholdsPassed, r.ThresholdsTotal})
	}
	want := []row{
		{"cpu-vertical-0pqf", "256/512", 1, 0, false, Underprovisioned, 0, 1},
		{"cpu-vertical-0pqf", "512/1024", 1, 0, true, Optimized, 1, 1},
		{"cpu-vertical-0pqf", "1024/2048", 1, 0, true, Overprovisioned, 1, 1},
		{"leak-scale-hand", "512/1024", 3, 1, false, Underprovisioned, 1, 2},
		{"leak-scale-hand", "1024/2048", 2, 0, true, Optimized, 2, 2},
		{"leak-scale-hand", "4096/8192", 1, 0, true, Overprovisioned, 2, 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if r := rows[3]; r.Errors["502"] != 9 || r.Cost.PerHour == 0 || r.Prices == "" {
		t.Errorf("leak entry 1: errors %v, cost %+v, prices %q", r.Errors, r.Cost, r.Prices)
	}
}

func TestCompareErrors(t *testing.T) {
	if _, err := Compare([]string{filepath.Join("testdata", cpuVerticalRun), t.TempDir()}, Options{}); err == nil {
		t.Error("a directory without summary.json is not an error")
	}
}

func TestPrintCompare(t *testing.T) {
	rows, err := Compare([]string{filepath.Join("testdata", cpuVerticalRun), filepath.Join("testdata", leakRun)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := PrintCompare(&buf, rows); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "golden", "compare.txt"), buf.Bytes())

	// One aligned table: every column starts where its header does.
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != len(rows)+1 {
		t.Fatalf("%d lines, want a header and %d rows", len(lines), len(rows))
	}
	for _, h := range []string{"SIZE", "TASKS", "P50", "THRESHOLDS", "$/HOUR", "FINDING"} {
		col := strings.Index(lines[0], h)
		for _, l := range lines[1:] {
			if col > len(l) || l[col-2:col] != "  " || l[col] == ' ' {
				t.Errorf("column %s (at %d) not aligned in %q", h, col, l)
			}
		}
	}
}

func TestWriteCompareHTML(t *testing.T) {
	rows, err := Compare([]string{filepath.Join("testdata", cpuVerticalRun), filepath.Join("testdata", shortRun)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "compare.html")
	if err := WriteCompareHTML(path, rows); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	if got := strings.Count(page, `<div class="run mono small">`); got != len(rows) {
		t.Errorf("%d rows with a run column, want %d", got, len(rows))
	}
	for _, want := range []string{"cpu-vertical-0pqf", "short-up41", "2 runs", "$ / hour", "$ / M req", "prices of 2026-11-27"} {
		if !strings.Contains(page, want) {
			t.Errorf("compare page lacks %q", want)
		}
	}
	assertSelfContained(t, page)
}

func TestReportIncludesCompareTable(t *testing.T) {
	// A matrix run's report has the compare table of its entries, each
	// linking to its section.
	page := writeReport(t, copyRun(t, cpuVerticalRun))
	table := section(t, page, `id="entries"`)
	for i, label := range []string{"256/512", "512/1024", "1024/2048"} {
		if want := `<a href="#entry-` + string(rune('1'+i)) + `"><b>` + label + `</b></a>`; !strings.Contains(table, want) {
			t.Errorf("entries table lacks %s", want)
		}
	}
}

// Options.Prices prices the rows and the page; the zero Options price
// with DefaultPrices.
func TestOptionsPrices(t *testing.T) {
	dirs := []string{filepath.Join("testdata", cpuVerticalRun)}
	def, err := Compare(dirs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	frankfurt := DefaultPrices()
	frankfurt.Region, frankfurt.VCPUHour, frankfurt.GBHour = "eu-central-1", 2*frankfurt.VCPUHour, 2*frankfurt.GBHour
	priced, err := Compare(dirs, Options{Prices: frankfurt})
	if err != nil {
		t.Fatal(err)
	}
	for i := range def {
		if def[i].Prices != DefaultPrices().String() || priced[i].Prices != frankfurt.String() {
			t.Errorf("row %d: prices %q and %q", i, def[i].Prices, priced[i].Prices)
		}
		if got, want := priced[i].Cost.PerHour, 2*def[i].Cost.PerHour; math.Abs(got-want) > 1e-9 {
			t.Errorf("row %d: %g per hour at twice the prices, want %g", i, got, want)
		}
	}

	dir := copyRun(t, cpuVerticalRun)
	path, err := WriteHTML(dir, Options{Prices: frankfurt})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), frankfurt.String()) {
		t.Errorf("report.html does not name the prices it used, %q", frankfurt.String())
	}
}
