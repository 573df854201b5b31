package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ecslab/lab/internal/atomicfile"
	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// CompareRow is one entry of one run, side by side with others.
type CompareRow struct {
	Run      string // the results directory's name, without its timestamp
	Dir      string // the results directory
	Scenario string
	Entry    int // 1-based
	Label    string
	Size     scenarios.Size
	Tasks    int // the most tasks the entry ran (scaling.max_count)
	MinTasks int // the fewest (scaling.min_count)

	Requests         int64
	OfferedRPS       float64
	IntendedRPS      float64 // closed model: workers x worker_rate; 0 when not known
	AchievedRPS      float64
	P50, P90, P99    float64 // ms, the round trip to the endpoint included
	RTTMS            float64 // that round trip (ECS); 0 when not measured
	NetOfRTT         bool    // the thresholds were judged net of RTTMS
	ErrorRate        float64 // fraction of requests
	Errors           map[string]int64
	CPUAvg, CPUMax   float64 // percent of the envelope
	MemAvg, MemMax   float64
	TasksStopped     int
	StoppedReasons   map[string]int
	ScaleOuts        int
	ScaleIns         int
	ThresholdsPassed int
	ThresholdsTotal  int
	Passed           bool // every threshold met and the entry ran to its end
	Interrupted      bool

	Cost    Cost
	Finding Finding
	Reasons []string
	Prices  string // the prices the cost is at, e.g. "Fargate on-demand Linux/x86, us-east-1, ..."
}

// Compare reads results directories and returns one row per entry,
// priced as o says.
func Compare(dirs []string, o Options) ([]CompareRow, error) {
	prices := o.prices()
	var rows []CompareRow
	for _, dir := range dirs {
		run, err := Read(dir)
		if err != nil {
			return nil, err
		}
		rows = append(rows, CompareRows(run.Dir, run.Summary, prices)...)
	}
	return rows, nil
}

// CompareRows makes the rows of one run's summary.
func CompareRows(dir string, s lab.Summary, prices PriceTable) []CompareRow {
	rec := Recommend(s, prices, 0)
	rows := make([]CompareRow, 0, len(s.Entries))
	for i, e := range s.Entries {
		a := rec.Entries[i]
		row := CompareRow{
			Run: runName(dir, s), Dir: dir, Scenario: s.Scenario,
			Entry: i + 1, Label: e.Label, Size: a.Size, Tasks: max(e.Scaling.MaxCount, 1),
			MinTasks: max(e.Scaling.MinCount, 1),
			Requests: e.Requests, OfferedRPS: e.OfferedRPS, IntendedRPS: e.IntendedRPS, AchievedRPS: e.AchievedRPS,
			P50: e.LatencyMS.P50, P90: e.LatencyMS.P90, P99: e.LatencyMS.P99,
			RTTMS: e.RTTMS, NetOfRTT: e.NetOfRTT,
			ErrorRate: e.ErrorRate, Errors: e.Errors,
			CPUAvg: e.CPUUtilization.Avg, CPUMax: e.CPUUtilization.Max,
			MemAvg: e.MemoryUtilization.Avg, MemMax: e.MemoryUtilization.Max,
			TasksStopped: e.Tasks.Stopped, StoppedReasons: e.Tasks.StoppedReasons,
			ScaleOuts: e.Scaling.ScaleOuts, ScaleIns: e.Scaling.ScaleIns,
			ThresholdsTotal: len(e.Thresholds),
			Passed:          a.MetThresholds, Interrupted: e.Interrupted,
			Cost: a.Cost, Finding: a.Finding, Reasons: a.Reasons,
			Prices: prices.String(),
		}
		for _, t := range e.Thresholds {
			if t.OK {
				row.ThresholdsPassed++
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// dirStamp is DirName's timestamp prefix.
var dirStamp = regexp.MustCompile(`^\d{8}-\d{6}-`)

// runName names a run in a table: the directory's name without its
// timestamp ("cpu-vertical-0pqf"), or the scenario and run id.
func runName(dir string, s lab.Summary) string {
	if dir != "" {
		return dirStamp.ReplaceAllString(filepath.Base(filepath.Clean(dir)), "")
	}
	return s.Scenario + "-" + s.RunID
}

// PrintCompare prints the rows as one aligned table.
func PrintCompare(w io.Writer, rows []CompareRow) error {
	bw := &errWriter{w: w}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	// A round-trip column when some row measured it (ECS); see Table.
	rtt := false
	for _, r := range rows {
		rtt = rtt || r.RTTMS > 0
	}
	header := "RUN/ENTRY\tSIZE\tTASKS\tACHIEVED RPS\tP50\tP99\t"
	if rtt {
		header += "ROUND TRIP\t"
	}
	fmt.Fprintln(tw, header+"ERRORS\tCPU AVG\tMEM AVG\tSTOPPED\tTHRESHOLDS\t$/HOUR\t$/M REQ\tFINDING")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s/%d\t%s\t%d\t%s\t%s\t%s\t",
			r.Run, r.Entry, r.Label, r.Tasks,
			rpsText(r.AchievedRPS, r.IntendedRPS, r.OfferedRPS), format.Latency(r.P50), format.Latency(r.P99))
		if rtt {
			fmt.Fprintf(tw, "%s\t", rttCell(r.RTTMS, r.NetOfRTT))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n",
			format.Percent(100*r.ErrorRate),
			format.Percent(r.CPUAvg), format.Percent(r.MemAvg), r.TasksStopped, thresholdText(r),
			money(r.Cost.PerHour), millionText(r.Cost), r.Finding)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.err
}

func rpsText(achieved, intended, offered float64) string {
	return fmt.Sprintf("%.2f of %s", achieved, offeredText(intended, offered))
}

// offeredText is the rate sent, after the rate intended when there was
// one (a closed model sends less than it intends once the service slows
// its workers down): "5.00 intended, 3.20 sent".
func offeredText(intended, offered float64) string {
	if intended > 0 {
		return fmt.Sprintf("%.2f intended, %.2f sent", intended, offered)
	}
	return fmt.Sprintf("%.2f", offered)
}

func thresholdText(r CompareRow) string {
	switch {
	case r.ThresholdsTotal == 0:
		return "-"
	case r.ThresholdsPassed == r.ThresholdsTotal:
		return fmt.Sprintf("pass %d/%d", r.ThresholdsPassed, r.ThresholdsTotal)
	}
	return fmt.Sprintf("FAIL %d/%d", r.ThresholdsPassed, r.ThresholdsTotal)
}

// errorCodes lists the errors by code: "502 x 3, timeout x 1".
func errorCodes(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s × %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteCompareHTML writes the rows as one self-contained HTML page.
func WriteCompareHTML(path string, rows []CompareRow) error {
	v := compareView{CSS: styleCSS, Title: "lab compare", Table: compareTable(rows, true)}
	runs := map[string]bool{}
	for _, r := range rows {
		if !runs[r.Dir] {
			runs[r.Dir] = true
			v.Runs = append(v.Runs, r.Run)
		}
		if r.Prices != "" && !strings.Contains(v.Prices, r.Prices) {
			v.Prices = strings.TrimPrefix(v.Prices+"; "+r.Prices, "; ")
		}
	}
	return writeTemplate(path, "compare.html.tmpl", v)
}

type compareView struct {
	CSS    template.CSS
	Title  string
	Runs   []string
	Prices string
	Table  tableView
}

// tableView is the compare table for a template: the rows formatted.
type tableView struct {
	ShowRun bool
	Rows    []compareCells
}

type compareCells struct {
	Run, Entry, Label, Size, Tasks           string
	Requests, Offered, Achieved              string
	P50, P90, P99                            string
	RTT                                      string // the round trip the latencies include; "" when not measured
	ErrorRate, Errors                        string
	CPU, Mem                                 string
	Stopped, StoppedTitle, Scaling           string
	Thresholds                               string
	PerHour, PerMonth, PerMillion            string
	Finding, FindingClass, Reason, PassClass string
	Anchor                                   string
}

// compareTable formats rows; showRun adds the run column (more than one
// run, or a page of its own).
func compareTable(rows []CompareRow, showRun bool) tableView {
	t := tableView{ShowRun: showRun}
	for _, r := range rows {
		c := compareCells{
			Run: r.Run, Entry: fmt.Sprint(r.Entry), Label: r.Label,
			Size:     sizeText(r.Size),
			Tasks:    countText(r.MinTasks, r.Tasks),
			Requests: fmt.Sprint(r.Requests),
			Offered:  offeredText(r.IntendedRPS, r.OfferedRPS), Achieved: fmt.Sprintf("%.2f", r.AchievedRPS),
			P50: format.Latency(r.P50), P90: format.Latency(r.P90), P99: format.Latency(r.P99),
			RTT:       rttText(r.RTTMS, r.NetOfRTT),
			ErrorRate: format.Percent(100 * r.ErrorRate), Errors: errorCodes(r.Errors),
			CPU:          format.Percent(r.CPUAvg) + " / " + format.Percent(r.CPUMax),
			Mem:          format.Percent(r.MemAvg) + " / " + format.Percent(r.MemMax),
			Stopped:      fmt.Sprint(r.TasksStopped),
			StoppedTitle: reasonsText(r.StoppedReasons),
			Scaling:      scalingText(r.ScaleOuts, r.ScaleIns),
			Thresholds:   thresholdText(r),
			PerHour:      money(r.Cost.PerHour), PerMonth: money(r.Cost.PerMonth), PerMillion: millionText(r.Cost),
			Finding: string(r.Finding), FindingClass: findingClass(r.Finding),
			Reason: strings.Join(r.Reasons, "; "),
			Anchor: fmt.Sprintf("#entry-%d", r.Entry),
		}
		if r.Interrupted {
			c.Thresholds += " (interrupted)"
		}
		c.PassClass = "pass"
		if !r.Passed {
			c.PassClass = "fail"
		}
		if r.ThresholdsTotal == 0 {
			c.PassClass = ""
		}
		t.Rows = append(t.Rows, c)
	}
	return t
}

func reasonsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", m[k], k)
	}
	return strings.Join(parts, "; ")
}

func scalingText(outs, ins int) string {
	var parts []string
	if outs > 0 {
		parts = append(parts, fmt.Sprintf("%d out", outs))
	}
	if ins > 0 {
		parts = append(parts, fmt.Sprintf("%d in", ins))
	}
	return strings.Join(parts, ", ")
}

func countText(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(hi)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func findingClass(f Finding) string {
	switch f {
	case Underprovisioned:
		return "under"
	case Overprovisioned:
		return "over"
	case Optimized:
		return "optimized"
	}
	return ""
}

// writeTemplate renders one of the page templates to path, atomically
// and durably (see atomicfile), so that a reader never sees half a page.
func writeTemplate(path, name string, data any) error {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, b.Bytes(), 0o644)
}
