package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// Table prints a summary as a table for people: one row per entry.
func Table(w io.Writer, s lab.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// The round trip to the endpoint (ECS) has a column beside the
	// latencies when some entry measured it; local runs have none.
	rtt := false
	for _, e := range s.Entries {
		rtt = rtt || e.RTTMS > 0
	}
	header := "ENTRY\tSIZE\tREQUESTS\tACHIEVED RPS\tERRORS\tP50\tP99\t"
	if rtt {
		header += "ROUND TRIP\t"
	}
	fmt.Fprintln(tw, header+"CPU AVG\tMEM MAX\tSTOPPED\tTHRESHOLDS")
	for i, e := range s.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.2f\t%s\t%s\t%s\t",
			i+1, e.Label, e.Requests, e.AchievedRPS, errorsCell(e), format.Latency(e.LatencyMS.P50), format.Latency(e.LatencyMS.P99))
		if rtt {
			fmt.Fprintf(tw, "%s\t", rttCell(e.RTTMS, e.NetOfRTT))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n",
			percentOrNoData(e.CPUUtilization, e.CPUUtilization.Avg), percentOrNoData(e.MemoryUtilization, e.MemoryUtilization.Max), e.Tasks.Stopped, thresholdsCell(e))
	}
	return tw.Flush()
}

// rttText says the round trip from the load generator to the endpoint
// that the latencies include (ECS: to the ALB), and whether the latency
// thresholds were judged net of it: "round trip 38ms; thresholds judged
// net of it". It is "" when the round trip was not measured (local).
func rttText(rttMS float64, net bool) string {
	if rttMS <= 0 {
		return ""
	}
	if net {
		return "round trip " + format.Latency(rttMS) + "; thresholds judged net of it"
	}
	return "round trip " + format.Latency(rttMS) + " included"
}

// rttCell is the round trip for a table's column: "38ms (thresholds net
// of it)", "38ms (included)", or "-" when not measured.
func rttCell(rttMS float64, net bool) string {
	switch {
	case rttMS <= 0:
		return "-"
	case net:
		return format.Latency(rttMS) + " (thresholds net of it)"
	}
	return format.Latency(rttMS) + " (included)"
}

func errorsCell(e lab.EntrySummary) string {
	if len(e.Errors) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d x %s", e.Errors[k], k)
	}
	return fmt.Sprintf("%.1f%% (%s)", 100*e.ErrorRate, strings.Join(parts, ", "))
}

func thresholdsCell(e lab.EntrySummary) string {
	if len(e.Thresholds) == 0 {
		return "-"
	}
	var failed []string
	for _, t := range e.Thresholds {
		if !t.OK {
			failed = append(failed, fmt.Sprintf("%s (%s)", t.Expr, wasText(t)))
		}
	}
	if len(failed) == 0 {
		return "pass"
	}
	return "FAIL: " + strings.Join(failed, "; ")
}

// percentOrNoData is v as a whole percentage, or "no data" when u had
// none.
func percentOrNoData(u lab.Utilization, v float64) string {
	if u.NoData {
		return "no data"
	}
	return fmt.Sprintf("%.0f%%", v)
}

// wasText is what a failed threshold measured, or why it was not judged.
func wasText(t lab.ThresholdOutcome) string {
	if t.Reason != "" {
		return t.Reason
	}
	return fmt.Sprintf("was %g", t.Value)
}
