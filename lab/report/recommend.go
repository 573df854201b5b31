package report

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// Finding classifies an entry's size the way AWS Compute Optimizer
// classifies an ECS service on Fargate.
type Finding string

// Findings.
const (
	Underprovisioned Finding = "under-provisioned"
	Overprovisioned  Finding = "over-provisioned"
	Optimized        Finding = "optimized"
)

// Reason codes: Compute Optimizer's finding reason codes for ECS services,
// and lab's own for what only a matrix of sizes shows.
const (
	CPUUnderprovisioned    = "CPUUnderprovisioned"
	CPUOverprovisioned     = "CPUOverprovisioned"
	MemoryUnderprovisioned = "MemoryUnderprovisioned"
	MemoryOverprovisioned  = "MemoryOverprovisioned"
	ThresholdsFailed       = "ThresholdsFailed"  // lab: the entry failed a threshold
	CheaperSizePassed      = "CheaperSizePassed" // lab: a cheaper entry met every threshold
)

// The limits findings are judged by, in percent of the envelope.
const (
	// SaturatedCPUAvg: CPU at or above this on average leaves no headroom.
	SaturatedCPUAvg = 90.0
	// MemoryLimitMax: memory at or above this at its peak is at the limit.
	MemoryLimitMax = 95.0
	// HeadroomTarget: a smaller size is suggested only when the peak CPU
	// and memory seen would stay at or below this on it (a size with half
	// the CPU needs the peak under 40% now).
	HeadroomTarget = 80.0
)

// Cost is what an entry's size costs on Fargate.
type Cost struct {
	Tasks      int     // tasks priced
	PerHour    float64 // for Tasks tasks
	PerMonth   float64 // PerHour x HoursPerMonth
	PerMillion float64 // per million successful requests at the achieved rps; 0 when none succeeded
	// PerHourARM64 is PerHour on Graviton (runtime_platform: ARM64); 0
	// when the prices have no ARM64 figures.
	PerHourARM64 float64
}

// Assessment is the finding on one entry and what its size costs.
type Assessment struct {
	Entry         int // 1-based
	Label         string
	Size          scenarios.Size
	MetThresholds bool // every threshold passed (true when there are none) and the entry ran to its end
	Finding       Finding
	Codes         []string        // reason codes, most important first; none when optimized
	Reasons       []string        // why, in words
	Suggested     *scenarios.Size // a smaller size that would hold the peaks, when there is one
	Cost          Cost
}

// Recommendation is the right-size answer for a run: the cheapest size
// that met every threshold, and a finding on every entry.
type Recommendation struct {
	Scenario string
	Prices   PriceTable
	Entries  []Assessment
	// Best is the index in Entries of the recommended entry, -1 when no
	// entry met every threshold.
	Best int
	// Note says why Best was chosen, or why there is none, in words.
	Note string
}

// Recommended is the recommended entry, if any.
func (r Recommendation) Recommended() (Assessment, bool) {
	if r.Best < 0 || r.Best >= len(r.Entries) {
		return Assessment{}, false
	}
	return r.Entries[r.Best], true
}

// Recommend assesses every entry of a run and picks the cheapest size that
// met every threshold, preferring one that is not under-provisioned.
// tasks > 0 prices each entry at that many tasks (cost per hour and per
// month); 0 prices each at the most tasks it ran (scaling.max_count).
// Cost per million requests is always at the tasks the entry ran, since
// those served its achieved rps.
func Recommend(s lab.Summary, prices PriceTable, tasks int) Recommendation {
	r := Recommendation{Scenario: s.Scenario, Prices: prices, Best: -1}
	for i, e := range s.Entries {
		r.Entries = append(r.Entries, Assessment{
			Entry:         i + 1,
			Label:         e.Label,
			Size:          scenarios.Size{CPU: e.CPU, Memory: e.Memory},
			MetThresholds: metThresholds(e),
			Cost:          entryCost(e, prices, tasks),
		})
	}
	// Under-provisioned entries first: the others are compared with the
	// cheaper entries that are not.
	for i, e := range s.Entries {
		assessUnder(&r.Entries[i], e)
	}
	for i, e := range s.Entries {
		if r.Entries[i].Finding != Underprovisioned {
			assessOver(&r.Entries[i], e, r.Entries, prices)
		}
		if e.Interrupted {
			r.Entries[i].Reasons = append(r.Entries[i].Reasons, "interrupted: the entry did not run its full load")
		}
	}

	// The cheapest entry that met every threshold; among those, one that
	// is not under-provisioned if there is one.
	var met, healthy []int
	for i, a := range r.Entries {
		if a.MetThresholds {
			met = append(met, i)
			if a.Finding != Underprovisioned {
				healthy = append(healthy, i)
			}
		}
	}
	cheapest := func(idx []int) int {
		return slices.MinFunc(idx, func(a, b int) int {
			return cmp.Compare(r.Entries[a].Cost.PerHour, r.Entries[b].Cost.PerHour)
		})
	}
	switch {
	case len(s.Entries) == 0:
		r.Note = "no entry ran"
	case len(met) == 0:
		r.Note = "no size met every threshold: try larger sizes, more tasks, or autoscaling"
	case len(healthy) > 0:
		r.Best = cheapest(healthy)
		r.Note = "the cheapest size that met every threshold"
		if len(thresholdsOf(s)) == 0 {
			r.Note = "no thresholds set: the cheapest size that was not under-provisioned"
		}
	default:
		r.Best = cheapest(met)
		r.Note = "the cheapest size that met every threshold, but it has no headroom"
	}
	return r
}

func thresholdsOf(s lab.Summary) []lab.ThresholdOutcome {
	var out []lab.ThresholdOutcome
	for _, e := range s.Entries {
		out = append(out, e.Thresholds...)
	}
	return out
}

func metThresholds(e lab.EntrySummary) bool {
	if e.Interrupted {
		return false
	}
	for _, t := range e.Thresholds {
		if !t.OK {
			return false
		}
	}
	return true
}

func entryCost(e lab.EntrySummary, p PriceTable, tasks int) Cost {
	ran := max(e.Scaling.MaxCount, 1)
	if tasks <= 0 {
		tasks = ran
	}
	size := scenarios.Size{CPU: e.CPU, Memory: e.Memory}
	c := Cost{Tasks: tasks, PerHour: p.TaskHour(size) * float64(tasks), PerHourARM64: p.TaskHourARM64(size) * float64(tasks)}
	c.PerMonth = c.PerHour * HoursPerMonth
	if e.AchievedRPS > 0 {
		c.PerMillion = p.TaskHour(size) * float64(ran) / (e.AchievedRPS * 3600) * 1e6
	}
	return c
}

// assessUnder finds an entry under-provisioned when its CPU is saturated,
// its memory ran out, or a threshold failed.
func assessUnder(a *Assessment, e lab.EntrySummary) {
	add := func(code, reason string) {
		a.Codes = append(a.Codes, code)
		a.Reasons = append(a.Reasons, reason)
	}
	cpu, mem := e.CPUUtilization, e.MemoryUtilization
	if cpu.Avg >= SaturatedCPUAvg {
		add(CPUUnderprovisioned, fmt.Sprintf("CPU saturated: %s of the envelope on average (peak %s)", format.Percent(cpu.Avg), format.Percent(cpu.Max)))
	}
	if n := oomKills(e); n > 0 {
		add(MemoryUnderprovisioned, fmt.Sprintf("memory limit reached: %s OOM-killed", plural(n, "task")))
	} else if mem.Max >= MemoryLimitMax {
		add(MemoryUnderprovisioned, fmt.Sprintf("memory limit reached: peaked at %s of %d MiB", format.Percent(mem.Max), e.Memory))
	}
	var failed []string
	for _, t := range e.Thresholds {
		if !t.OK {
			failed = append(failed, fmt.Sprintf("%s (was %s)", t.Expr, outcomeValue(t)))
		}
	}
	if len(failed) > 0 {
		reason := "failed " + strings.Join(failed, ", ")
		if len(a.Codes) == 0 && cpu.Max < HeadroomTarget && mem.Max < HeadroomTarget {
			reason += fmt.Sprintf("; CPU (peak %s) and memory (peak %s) had headroom, so a larger size may not help: look at the workload, or add tasks", format.Percent(cpu.Max), format.Percent(mem.Max))
		}
		add(ThresholdsFailed, reason)
	}
	if len(a.Codes) > 0 {
		a.Finding = Underprovisioned
	}
}

// assessOver finds an entry that is not under-provisioned over-provisioned
// when a smaller size would hold its peak CPU and memory under
// HeadroomTarget, or when a cheaper entry of the run (all) met every
// threshold without being under-provisioned; optimized otherwise.
func assessOver(a *Assessment, e lab.EntrySummary, all []Assessment, p PriceTable) {
	add := func(code, reason string) {
		a.Codes = append(a.Codes, code)
		a.Reasons = append(a.Reasons, reason)
	}
	cpu, mem := e.CPUUtilization, e.MemoryUtilization
	if s, ok := smallerSize(a.Size, cpu.Max, mem.Max, p); ok {
		a.Suggested = &s
		if s.CPU < a.Size.CPU {
			add(CPUOverprovisioned, fmt.Sprintf("idle CPU: peaked at %s of %s vCPU, would be %s on %s",
				format.Percent(cpu.Max), format.Decimal(a.Size.VCPU()), format.Percent(cpu.Max*float64(a.Size.CPU)/float64(s.CPU)), s))
		}
		if s.Memory < a.Size.Memory {
			add(MemoryOverprovisioned, fmt.Sprintf("idle memory: peaked at %s of %d MiB, would be %s on %s",
				format.Percent(mem.Max), a.Size.Memory, format.Percent(mem.Max*float64(a.Size.Memory)/float64(s.Memory)), s))
		}
	}
	if a.MetThresholds {
		var cheaper *Assessment
		for i := range all {
			o := &all[i]
			if o.Entry != a.Entry && o.MetThresholds && o.Finding != Underprovisioned && o.Cost.PerHour < a.Cost.PerHour &&
				(cheaper == nil || o.Cost.PerHour < cheaper.Cost.PerHour) {
				cheaper = o
			}
		}
		if cheaper != nil {
			did := "met every threshold"
			if len(e.Thresholds) == 0 {
				did = "served the same load without saturating"
			}
			add(CheaperSizePassed, fmt.Sprintf("%s %s for %.0f%% less (%s/h instead of %s/h)",
				cheaper.Label, did, 100*(1-cheaper.Cost.PerHour/a.Cost.PerHour), money(cheaper.Cost.PerHour), money(a.Cost.PerHour)))
		}
	}
	if len(a.Codes) > 0 {
		a.Finding = Overprovisioned
		return
	}

	a.Finding = Optimized
	reason := fmt.Sprintf("CPU %s on average (peak %s), memory peak %s: busy without saturating, and no smaller size would keep the peaks under %s",
		format.Percent(cpu.Avg), format.Percent(cpu.Max), format.Percent(mem.Max), format.Percent(HeadroomTarget))
	if len(e.Thresholds) > 0 && a.MetThresholds {
		reason = "every threshold met; " + reason
	}
	a.Reasons = append(a.Reasons, reason)
}

// smallerSize is the cheapest Fargate size, smaller than s, on which the
// peak CPU and memory seen on s would stay at or below HeadroomTarget
// (assuming the same work needs the same vCPU and MiB).
func smallerSize(s scenarios.Size, cpuMax, memMax float64, p PriceTable) (scenarios.Size, bool) {
	usedCPU := cpuMax / 100 * float64(s.CPU)
	usedMem := memMax / 100 * float64(s.Memory)
	var best scenarios.Size
	found := false
	for _, row := range scenarios.Sizes() {
		for _, m := range row.Memory {
			c := scenarios.Size{CPU: row.CPU, Memory: m}
			if c.CPU > s.CPU || c.Memory > s.Memory || c == s {
				continue
			}
			if 100*usedCPU/float64(c.CPU) > HeadroomTarget || 100*usedMem/float64(c.Memory) > HeadroomTarget {
				continue
			}
			if !found || p.TaskHour(c) < p.TaskHour(best) {
				best, found = c, true
			}
		}
	}
	return best, found
}

// exprUnit is the unit a threshold expression's value is written in.
var exprUnit = regexp.MustCompile(`[0-9.]\s*(ms|s|%)\s*$`)

// outcomeValue is a threshold's measured value in the expression's unit:
// "0.13 s", "1.332%", "4.97".
func outcomeValue(t lab.ThresholdOutcome) string {
	if t.Reason != "" {
		return t.Reason
	}
	v := strconv.FormatFloat(t.Value, 'f', -1, 64)
	if m := exprUnit.FindStringSubmatch(t.Expr); m != nil {
		if m[1] != "%" {
			v += " "
		}
		v += m[1]
	}
	return v
}

// oomKills counts the entry's tasks stopped for running out of memory.
func oomKills(e lab.EntrySummary) int {
	n := 0
	for reason, k := range e.Tasks.StoppedReasons {
		if lab.IsOOMReason(reason) {
			n += k
		}
	}
	return n
}

// PrintRecommendation prints the recommendation for people: the answer,
// then one line per entry with its finding, cost and reasons.
func PrintRecommendation(w io.Writer, r Recommendation) error {
	bw := &errWriter{w: w}
	if best, ok := r.Recommended(); ok {
		fmt.Fprintf(bw, "Recommended size: %s (%s), %s\n", best.Label, sizeText(best.Size), r.Note)
		fmt.Fprintf(bw, "  %s/hour, %s/month (%d h)%s, %s per million requests\n",
			money(best.Cost.PerHour), money(best.Cost.PerMonth), HoursPerMonth, tasksText(best.Cost.Tasks), millionText(best.Cost))
		if arm := best.Cost.PerHourARM64; arm > 0 {
			fmt.Fprintf(bw, "  on Graviton (ecs runtime_platform: ARM64): %s/hour, %s/month, %.0f%% less, if the workload runs as well on arm64 (measure it: lab runs it on this machine's architecture)\n",
				money(arm), money(arm*HoursPerMonth), 100*(1-arm/best.Cost.PerHour))
		}
	} else {
		fmt.Fprintf(bw, "No recommendation: %s\n", r.Note)
	}
	fmt.Fprintf(bw, "  (%s)\n\n", r.Prices)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tSIZE\tFINDING\t$/HOUR\t$/MONTH\t$/M REQ\tWHY")
	for _, a := range r.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Entry, a.Label, a.Finding,
			money(a.Cost.PerHour), money(a.Cost.PerMonth), millionText(a.Cost), strings.Join(a.Reasons, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.err
}

// errWriter keeps the first write error so that a printer checks once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func sizeText(s scenarios.Size) string {
	return fmt.Sprintf("%s vCPU, %s GB", format.Decimal(s.VCPU()), format.Decimal(float64(s.Memory)/1024))
}

func tasksText(n int) string {
	if n == 1 {
		return " for 1 task"
	}
	return fmt.Sprintf(" for %d tasks", n)
}

func millionText(c Cost) string {
	if c.PerMillion == 0 {
		return "-"
	}
	return money(c.PerMillion)
}

// money formats dollars with enough digits for a task-hour.
func money(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.1:
		return fmt.Sprintf("$%.4f", v)
	case v < 100:
		return fmt.Sprintf("$%.2f", v)
	}
	return fmt.Sprintf("$%.0f", v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
