package capacity

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios"
)

// This file holds the cost arithmetic: pure functions of the sizes'
// sustainable rates and a price table.

// HoursPerMonth is the month AWS prices by.
const HoursPerMonth = 730

// Prices is what a task of each size costs per hour on Fargate.
type Prices struct {
	// X86 prices a task on Linux/x86_64.
	X86 func(scenarios.Size) float64
	// ARM64 prices it on Linux/ARM64; nil when the table has no ARM64
	// prices.
	ARM64 func(scenarios.Size) float64
	// Name describes the table for people, e.g. "Fargate on-demand,
	// us-east-1, USD, prices of 2026-11-27".
	Name string
}

// perMillion is what a million requests cost on one task of a size that
// serves rate req/s and costs perHour.
func perMillion(perHour, rate float64) float64 {
	return perHour / (rate * 3600) * 1e6
}

// Price fills in a size's cost per million requests at (1 - headroom) x
// its sustainable rate.
func Price(s *SizeResult, headroom float64, p Prices) {
	s.CostPerMillion = PlatformCost{}
	rate := (1 - headroom) * s.SustainableRPS
	if rate <= 0 || p.X86 == nil {
		return
	}
	size := scenarios.Size{CPU: s.CPU, Memory: s.Memory}
	x86 := round(perMillion(p.X86(size), rate), 4)
	s.CostPerMillion.X86 = &x86
	if p.ARM64 != nil {
		arm := round(perMillion(p.ARM64(size), rate), 4)
		s.CostPerMillion.ARM64 = &arm
	}
}

// Fleet is the cheapest way to serve a peak with the sizes searched.
type Fleet struct {
	PeakRPS float64 `json:"peak_rps"`
	// Choice is the cheapest fleet that meets the peak; nil when no size
	// sustained any rate.
	Choice *FleetOption `json:"choice"`
	// Alternatives are the other sizes, cheapest first; those that
	// cannot meet the SLO at any rate come last, with Count 0.
	Alternatives []FleetOption `json:"alternatives"`
	// Sentence says the choice and the alternatives in one sentence.
	Sentence string `json:"sentence"`
	// Verified: the chosen fleet ran at the peak on this host and held
	// the SLO. Why says how it went, or why the figures are a projection
	// from one task.
	Verified     bool          `json:"verified"`
	Why          string        `json:"why"`
	Verification *Verification `json:"verification,omitempty"`
}

// FleetOption is a number of tasks of one size that serves the peak at
// the headroom, and its cost.
type FleetOption struct {
	Label  string `json:"label"`
	CPU    int    `json:"cpu"`
	Memory int    `json:"memory"`
	Count  int    `json:"count"`
	// PerTaskRPS is the rate each task serves: (1 - headroom) x the
	// size's sustainable rate.
	PerTaskRPS   float64  `json:"per_task_rps"`
	USDPerHour   float64  `json:"usd_per_hour"`
	USDPerMonth  float64  `json:"usd_per_month"`
	ARM64PerHour *float64 `json:"arm64_usd_per_hour,omitempty"`
	// Why a size cannot serve the peak: it held the SLO at no rate.
	Why string `json:"why,omitempty"`
}

// Verification is the run of the chosen fleet at the peak.
type Verification struct {
	Rate   float64    `json:"rate"`
	Tasks  int        `json:"tasks"`
	Held   bool       `json:"held"`
	Broke  string     `json:"broke,omitempty"`
	Record StepRecord `json:"step"`
}

// PlanFleet sizes a fleet for peak req/s with each size searched: tasks
// = ceil(peak / ((1 - headroom) x sustainable)), priced per hour and per
// month (730 h); the choice is the cheapest on x86.
func PlanFleet(sizes []SizeResult, peak, headroom float64, p Prices, slo string) Fleet {
	f := Fleet{PeakRPS: peak, Alternatives: []FleetOption{}}
	var options, cannot []FleetOption
	for _, s := range sizes {
		o := FleetOption{Label: s.Label, CPU: s.CPU, Memory: s.Memory}
		per := (1 - headroom) * s.SustainableRPS
		if per <= 0 || p.X86 == nil {
			o.Why = cannotWhy(s, slo)
			cannot = append(cannot, o)
			continue
		}
		size := scenarios.Size{CPU: s.CPU, Memory: s.Memory}
		o.Count = max(1, int(math.Ceil(peak/per-1e-9)))
		o.PerTaskRPS = round(per, 3)
		hour := float64(o.Count) * p.X86(size)
		o.USDPerHour = round(hour, 4)
		o.USDPerMonth = round(hour*HoursPerMonth, 2)
		if p.ARM64 != nil {
			arm := round(float64(o.Count)*p.ARM64(size), 4)
			o.ARM64PerHour = &arm
		}
		options = append(options, o)
	}
	slices.SortStableFunc(options, func(a, b FleetOption) int {
		return cmp.Or(cmp.Compare(a.USDPerHour, b.USDPerHour), cmp.Compare(a.Count, b.Count))
	})
	if len(options) > 0 {
		f.Choice = &options[0]
		f.Alternatives = append(f.Alternatives, options[1:]...)
	}
	f.Alternatives = append(f.Alternatives, cannot...)
	f.Sentence = sentence(f, slo)
	return f
}

func cannotWhy(s SizeResult, slo string) string {
	if s.Broke != "" {
		return fmt.Sprintf("cannot meet %s at any rate tried (%s)", slo, s.Broke)
	}
	return fmt.Sprintf("cannot meet %s at any rate tried", slo)
}

// sentence is the choice in one sentence: "6 x 512/1024 at $0.1482/h;
// 1024/2048 costs 12% more, 256/512 cannot meet p99 < 1s at any rate".
func sentence(f Fleet, slo string) string {
	if f.Choice == nil {
		return fmt.Sprintf("No size meets %s at any rate tried, so none serves %s req/s.", slo, rateText(f.PeakRPS))
	}
	c := f.Choice
	s := fmt.Sprintf("%d x %s at $%s/h ($%.2f/month) for %s req/s", c.Count, c.Label, usd(c.USDPerHour), c.USDPerMonth, rateText(f.PeakRPS))
	var rest []string
	for _, a := range f.Alternatives {
		switch {
		case a.Count == 0:
			rest = append(rest, fmt.Sprintf("%s cannot meet %s at any rate", a.Label, slo))
		case a.USDPerHour == c.USDPerHour:
			rest = append(rest, fmt.Sprintf("%d x %s costs the same", a.Count, a.Label))
		default:
			rest = append(rest, fmt.Sprintf("%d x %s costs %.0f%% more", a.Count, a.Label, 100*(a.USDPerHour/c.USDPerHour-1)))
		}
	}
	if len(rest) > 0 {
		s += "; " + strings.Join(rest, ", ")
	}
	return s + "."
}

// usd formats a price per hour with 4 decimals, as AWS lists them.
func usd(v float64) string { return fmt.Sprintf("%.4f", v) }

func rateText(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", r), "0"), ".")
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func fmtMS(ms float64) string { return format.Latency(ms) }
