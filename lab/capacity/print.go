package capacity

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ecslab/lab/internal/format"
)

// StepLine is a step or a size that ended, in one line for the headless
// output.
func StepLine(p Progress) string {
	if p.Result != nil {
		r := p.Result
		if r.SustainableRPS == 0 {
			return fmt.Sprintf("%s: nothing sustainable (%s, %d steps, %.0f s)%s", p.Label, endText(r.End), len(r.Steps), r.Seconds, brokeText(r))
		}
		return fmt.Sprintf("%s: %s req/s sustainable per task, bracket [%s, %s] (%s, %d steps, %.0f s)%s",
			p.Label, rateText(r.SustainableRPS), rateText(r.Bracket[0]), highText(r.Bracket[1]), endText(r.End), len(r.Steps), r.Seconds, brokeText(r))
	}
	st := p.Step
	verdict := "held"
	if !st.OK {
		verdict = fmt.Sprintf("BROKE (%s): %s", st.Reason, st.Broke)
	}
	early := ""
	if st.StoppedEarly {
		early = ", decided early"
	}
	if st.Repeated {
		early += "; CPU far from saturated: repeated once"
	}
	return fmt.Sprintf("%s step %d (%s) %s req/s: %s · p50 %s p99 %s · errors %s · CPU %s · %.0f s%s · %s",
		p.Label, st.N, st.Kind, rateText(st.Rate), verdict, format.Latency(st.P50MS), format.Latency(st.P99MS),
		format.Percent(100*st.ErrorRate), format.WholePercent(st.CPUUtilization.Avg), st.Seconds, early, st.Why)
}

func brokeText(r *SizeResult) string {
	if r.LimitedBy == LimitedByNone || r.LimitedBy == "" {
		return "; nothing broke"
	}
	return fmt.Sprintf("; limited by %s: %s", r.LimitedBy, r.Broke)
}

func highText(h float64) string {
	if h == 0 {
		return "-"
	}
	return rateText(h)
}

// endText says how a size's search ended, for people.
func endText(end string) string {
	switch end {
	case "converged":
		return "converged"
	case "never_broke":
		return "held up to the highest rate tried"
	case "broke_at_min":
		return "broke down to the lowest rate tried"
	case "out_of_steps":
		return "out of steps, not converged"
	case "budget":
		return "out of time (--max-duration), not converged"
	case "stopped":
		return "stopped, not converged"
	}
	return end
}

// Print writes the search's results for people: a row per size, what
// broke above each, and the fleet for the peak.
func Print(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SIZE\tREQ/S PER TASK\tBRACKET\tP50\tP99\tCPU\tMEM MAX\tLIMITED BY\t$/M REQ x86\t$/M REQ ARM64\tSTEPS\tSEARCH")
	for _, s := range r.Sizes {
		fmt.Fprintf(tw, "%s\t%s\t[%s, %s]\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			s.Label, rateText(s.SustainableRPS), rateText(s.Bracket[0]), highText(s.Bracket[1]),
			format.Latency(s.LatencyMS.P50), format.Latency(s.LatencyMS.P99),
			format.WholePercent(s.CPUUtilization.Avg), format.WholePercent(s.MemoryUtilization.Max),
			s.LimitedBy, dollars(s.CostPerMillion.X86), dollars(s.CostPerMillion.ARM64), len(s.Steps), endText(s.End))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nSLO: %s (%s); headroom %.0f%%: costs at %.0f%% of each size's rate; %s\n",
		strings.Join(r.SLO, ", "), sloFromText(r.SLOFrom), 100*r.Headroom, 100*(1-r.Headroom), r.Prices)
	if r.Calibration != nil {
		fmt.Fprintf(w, "CPU calibrated: quotas x %.3f (%s)\n", r.Calibration.Factor, r.Calibration.Source)
	}
	for _, s := range r.Sizes {
		if s.Broke != "" {
			fmt.Fprintf(w, "%s above %s req/s: %s\n", s.Label, rateText(s.SustainableRPS), s.Broke)
		}
	}
	if f := r.Fleet; f != nil {
		fmt.Fprintf(w, "\nFor a peak of %s req/s: %s\n%s\n", rateText(f.PeakRPS), f.Sentence, capitalize(f.Why))
	}
	return nil
}

func sloFromText(from string) string {
	switch from {
	case "scenario":
		return "the scenario's thresholds on latency and errors"
	case "flag":
		return "--slo"
	}
	return "lab's default: the scenario bounds neither latency nor errors"
}

func dollars(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("$%.2f", *v)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
