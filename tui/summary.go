package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// summaryView is the run's result once it has ended: verdict, where the
// results are, one row per entry, each entry's thresholds, and the run's
// error if it failed.
type summaryView struct {
	summary    *lab.Summary // nil when the run ended before publishing one
	entries    []lab.EntrySummary
	runErr     error
	resultsDir string
	hasThresh  bool
}

func (v summaryView) view(w, h int, st Styles) string {
	var lines []string
	var verdict string
	switch {
	case v.summary != nil && v.summary.Interrupted, errors.Is(v.runErr, lab.ErrInterrupted):
		verdict = st.Warn.Render("INTERRUPTED")
	case v.runErr != nil:
		verdict = st.Bad.Render("FAILED")
	case v.summary == nil:
		verdict = st.Dim.Render("ENDED")
	case !v.hasThresh:
		verdict = st.OK.Render("DONE")
	case v.summary.Passed:
		verdict = st.OK.Render("PASSED")
	default:
		verdict = st.Bad.Render("THRESHOLDS FAILED")
	}
	title := st.Title.Render("lab") + " run ended"
	if s := v.summary; s != nil {
		title = fmt.Sprintf("%s %s · %s · run %s", st.Title.Render("lab"), st.Bold.Render(s.Scenario), s.Target, s.RunID)
		if !s.EndedAt.IsZero() {
			title += fmt.Sprintf(" · %s", format.Clock(s.EndedAt.Sub(s.StartedAt)))
		}
	}
	lines = append(lines, joinRight(title, verdict, w), "")
	if v.resultsDir != "" {
		lines = append(lines, "results  "+st.Bold.Render(v.resultsDir))
		lines = append(lines, "report   "+st.Bold.Render(filepath.Join(v.resultsDir, "report.html")), "")
	}
	entries := v.entries
	if v.summary != nil {
		entries = v.summary.Entries
	}
	if len(entries) > 0 {
		lines = append(lines, entryTable(entries, w, st)...)
		lines = append(lines, "")
		for _, e := range entries {
			if d := entryDetails(e); d != "" {
				lines = append(lines, fmt.Sprintf("%-10s %s", e.Label, st.Dim.Render(d)))
			}
			for _, th := range e.Thresholds {
				mark, style := "✓", st.OK
				if !th.OK {
					mark, style = "✗", st.Bad
				}
				lines = append(lines, fmt.Sprintf("%-10s %s %s", e.Label, style.Render(mark+" "+th.Expr), st.Dim.Render(fmt.Sprintf("(was %s)", format.OneDecimal(th.Value)))))
			}
		}
	}
	if v.runErr != nil && !errors.Is(v.runErr, lab.ErrInterrupted) {
		lines = append(lines, "", st.Bad.Render("error: ")+v.runErr.Error())
	}
	return block(strings.Join(lines, "\n"), w, h)
}

// entryTable is one row per entry, with as many columns as fit in w.
func entryTable(entries []lab.EntrySummary, w int, st Styles) []string {
	type col struct {
		head  string
		width int
		cell  func(e lab.EntrySummary) string
	}
	cols := []col{
		{"ENTRY", 10, func(e lab.EntrySummary) string { return e.Label }},
		{"REQUESTS", 8, func(e lab.EntrySummary) string { return fmt.Sprint(e.Requests) }},
		{"OK/S", 6, func(e lab.EntrySummary) string { return fmt.Sprintf("%.2f", e.AchievedRPS) }},
		{"OF", 6, func(e lab.EntrySummary) string { return fmt.Sprintf("%.2f", e.OfferedRPS) }},
		{"INTENDED", 8, func(e lab.EntrySummary) string {
			if e.IntendedRPS == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", e.IntendedRPS)
		}},
		{"ERRORS", 7, func(e lab.EntrySummary) string { return fmt.Sprintf("%.1f%%", 100*e.ErrorRate) }},
		{"P50", 7, func(e lab.EntrySummary) string { return format.Latency(e.LatencyMS.P50) }},
		{"P99", 7, func(e lab.EntrySummary) string { return format.Latency(e.LatencyMS.P99) }},
		{"CPU AVG", 7, func(e lab.EntrySummary) string { return wholePercentOr(e.CPUUtilization, e.CPUUtilization.Avg) }},
		{"MEM MAX", 7, func(e lab.EntrySummary) string { return wholePercentOr(e.MemoryUtilization, e.MemoryUtilization.Max) }},
		{"STOPPED", 7, func(e lab.EntrySummary) string { return fmt.Sprint(e.Tasks.Stopped) }},
		{"TASKS", 5, func(e lab.EntrySummary) string {
			return fmt.Sprintf("%d-%d", e.Scaling.MinCount, e.Scaling.MaxCount)
		}},
		{"RESULT", 6, func(e lab.EntrySummary) string {
			switch {
			case e.Interrupted:
				return "stopped"
			case e.Passed:
				return "pass"
			}
			return "FAIL"
		}},
	}
	if !anyIntended(entries) {
		cols = slices.DeleteFunc(cols, func(c col) bool { return c.head == "INTENDED" })
	}
	// Drop the columns that do not fit, from the least telling.
	used := 0
	for _, c := range cols {
		used += c.width + 1
	}
	for _, drop := range []string{"TASKS", "OF", "MEM MAX", "P50", "INTENDED", "STOPPED"} {
		if used <= w {
			break
		}
		for i, c := range cols {
			if c.head == drop {
				cols = append(cols[:i], cols[i+1:]...)
				used -= c.width + 1
				break
			}
		}
	}
	row := func(cells []string) string {
		var b strings.Builder
		for i, c := range cols {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", c.width, cells[i])
			} else {
				fmt.Fprintf(&b, " %*s", c.width, cells[i])
			}
		}
		return b.String()
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	out := []string{st.Dim.Render(fit(row(heads), w))}
	for _, e := range entries {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(e)
		}
		line := fit(row(cells), w)
		if !e.Passed && !e.Interrupted {
			line = strings.Replace(line, " FAIL", " "+st.Bad.Render("FAIL"), 1)
		}
		out = append(out, line)
	}
	return out
}

// entryDetails is what the table leaves out: errors by class, stops by
// reason, scaling decisions.
func entryDetails(e lab.EntrySummary) string {
	var parts []string
	if len(e.Errors) > 0 {
		var errs []string
		for _, k := range sortedKeys(e.Errors) {
			errs = append(errs, fmt.Sprintf("%d x %s", e.Errors[k], k))
		}
		parts = append(parts, "errors "+strings.Join(errs, ", "))
	}
	if len(e.Tasks.StoppedReasons) > 0 {
		var stops []string
		for _, k := range sortedKeys(e.Tasks.StoppedReasons) {
			stops = append(stops, fmt.Sprintf("%d x %s", e.Tasks.StoppedReasons[k], shortReason(k)))
		}
		parts = append(parts, "stopped "+strings.Join(stops, ", "))
	}
	if s := e.Scaling; s.Decisions > 0 {
		parts = append(parts, fmt.Sprintf("scaled out %d, in %d (%d-%d tasks)", s.ScaleOuts, s.ScaleIns, s.MinCount, s.MaxCount))
	} else if s.MinCount != s.MaxCount {
		parts = append(parts, fmt.Sprintf("%d-%d tasks", s.MinCount, s.MaxCount))
	}
	return strings.Join(parts, " · ")
}

// wholePercentOr is v as a whole percentage, or "no data".
func wholePercentOr(u lab.Utilization, v float64) string {
	if u.NoData {
		return "no data"
	}
	return format.WholePercent(v)
}

// anyIntended reports whether an entry knows the rate its closed model
// intended: only then does the table show it.
func anyIntended(entries []lab.EntrySummary) bool {
	for _, e := range entries {
		if e.IntendedRPS > 0 {
			return true
		}
	}
	return false
}
