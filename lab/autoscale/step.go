package autoscale

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios"
)

// stepScaling adjusts the count by steps while its alarm, "metric
// comparison threshold" on the last datapoints datapoints, is in ALARM.
type stepScaling struct {
	name           string
	metric         string
	comparison     string // >, >=, <, <=
	threshold      float64
	datapoints     int
	adjustmentType string
	minMagnitude   int
	cooldown       time.Duration
	steps          []scenarios.Step
}

func (p *stepScaling) breaches(v float64) bool {
	switch p.comparison {
	case ">":
		return v > p.threshold
	case ">=":
		return v >= p.threshold
	case "<":
		return v < p.threshold
	default:
		return v <= p.threshold
	}
}

// above reports whether the alarm fires above the threshold (> or >=).
func (p *stepScaling) above() bool { return p.comparison == ">" || p.comparison == ">=" }

func (p *stepScaling) policyName() string { return p.name }

func (p *stepScaling) evaluate(s *Scaler, now time.Time) verdict {
	w, ok := s.window(p.metric, p.datapoints)
	if !ok || !all(w, p.breaches) {
		return verdict{}
	}
	cur := s.desired
	m := w[len(w)-1]
	diff := m - p.threshold
	d := &Decision{
		Time:       now,
		From:       cur,
		To:         cur,
		Policy:     p.name,
		Metric:     p.metric,
		Datapoints: w,
		Target:     p.threshold,
	}
	i, ok := findStep(p.steps, diff, p.above())
	if !ok {
		d.Direction = In
		if p.above() {
			d.Direction = Out
		}
		d.Held, d.Reason = true, ReasonNoStep
		d.Formula = fmt.Sprintf("%s - %s = %s", format.TwoDecimals(m), format.TwoDecimals(p.threshold), format.TwoDecimals(diff))
		d.Note = "no step covers this distance from the threshold"
		return verdict{d: d}
	}
	st := p.steps[i]
	d.Note = fmt.Sprintf("metric %s - threshold %s = %s, in step %s: %s", format.TwoDecimals(m), format.TwoDecimals(p.threshold), format.TwoDecimals(diff), stepRange(st), p.adjustmentText(st.Adjustment))
	want, _ := p.adjust(cur, st.Adjustment)
	switch {
	case want > cur:
		c := cur
		base, left, cooling := s.outCooldown(now, p.cooldown)
		if cooling {
			c = base
			d.Note = join(d.Note, outCooldownNote(base, left))
		}
		want, d.Formula = p.adjust(c, st.Adjustment)
		if !s.settleOut(d, want, cooling) {
			return verdict{}
		}
		return verdict{d: d, base: c}
	case want < cur:
		want, d.Formula = p.adjust(cur, st.Adjustment)
		left, cooling := s.inCooldown(now, p.cooldown)
		if !s.settleIn(d, max(want, 0), cooling, left, false) {
			return verdict{}
		}
		return verdict{d: d}
	}
	return verdict{}
}

// findStep is the step whose bounds, relative to the threshold, hold
// diff = metric - threshold. A bound is inclusive on the side nearer the
// threshold: [lower, upper) above it, (lower, upper] below it. A bound at
// the threshold itself belongs to the alarm's side.
func findStep(steps []scenarios.Step, diff float64, above bool) (int, bool) {
	for i, st := range steps {
		lowerOK := st.Lower == nil || diff > *st.Lower ||
			(diff == *st.Lower && (*st.Lower > 0 || (*st.Lower == 0 && above)))
		upperOK := st.Upper == nil || diff < *st.Upper ||
			(diff == *st.Upper && (*st.Upper < 0 || (*st.Upper == 0 && !above)))
		if lowerOK && upperOK {
			return i, true
		}
	}
	return 0, false
}

// stepRange writes a step's bounds as an interval, e.g. "[10, +inf)".
func stepRange(st scenarios.Step) string {
	lo, hi := "(-inf", "+inf)"
	if st.Lower != nil {
		lo = "(" + format.TwoDecimals(*st.Lower)
		if *st.Lower >= 0 {
			lo = "[" + format.TwoDecimals(*st.Lower)
		}
	}
	if st.Upper != nil {
		hi = format.TwoDecimals(*st.Upper) + ")"
		if *st.Upper <= 0 {
			hi = format.TwoDecimals(*st.Upper) + "]"
		}
	}
	return lo + ", " + hi
}

func (p *stepScaling) adjustmentText(adj int) string {
	switch p.adjustmentType {
	case scenarios.ExactCapacity:
		return fmt.Sprintf("exact capacity %d", adj)
	case scenarios.PercentChangeInCapacity:
		return fmt.Sprintf("%s%d%% change in capacity", plus(adj), adj)
	}
	return fmt.Sprintf("%s%d change in capacity", plus(adj), adj)
}

// adjust applies a step's adjustment to capacity c and says how.
func (p *stepScaling) adjust(c, adj int) (int, string) {
	switch p.adjustmentType {
	case scenarios.ExactCapacity:
		return adj, fmt.Sprintf("exact capacity %d", adj)
	case scenarios.PercentChangeInCapacity:
		change, raw := percentChange(c, adj, p.minMagnitude)
		how := fmt.Sprintf("%d%% of %d = %s", adj, c, format.TwoDecimals(raw))
		r := roundPercent(raw)
		if float64(r) != raw {
			how += fmt.Sprintf(", rounded to %d", r)
		}
		if r != change {
			how += fmt.Sprintf(", raised to the min adjustment magnitude %d", p.minMagnitude)
		}
		return c + change, fmt.Sprintf("%s = %d (%s)", sum(c, change), c+change, how)
	}
	return c + adj, fmt.Sprintf("%s = %d", sum(c, adj), c+adj)
}

// percentChange is a PercentChangeInCapacity step's change in capacity:
// pct percent of c, rounded as Application Auto Scaling documents (see
// roundPercent), then raised to minMagnitude tasks when that is more.
// raw is the unrounded change.
func percentChange(c, pct, minMagnitude int) (change int, raw float64) {
	raw = float64(c) * float64(pct) / 100
	change = roundPercent(raw)
	if minMagnitude > 0 && abs(change) < minMagnitude {
		change = minMagnitude
		if pct < 0 {
			change = -minMagnitude
		}
	}
	return change, raw
}

// roundPercent rounds a percent change in capacity: a value above 1 is
// rounded down, one between 0 and 1 becomes 1, one between -1 and 0
// becomes -1, and one below -1 is rounded up (toward 0). A tolerance keeps
// float error from changing a whole number.
func roundPercent(x float64) int {
	const eps = 1e-9
	switch {
	case x > 1:
		return int(math.Floor(x + eps))
	case x > 0:
		return 1
	case x == 0:
		return 0
	case x >= -1:
		return -1
	default:
		return int(math.Ceil(x - eps))
	}
}

func sum(c, change int) string {
	if change < 0 {
		return strconv.Itoa(c) + " - " + strconv.Itoa(-change)
	}
	return strconv.Itoa(c) + " + " + strconv.Itoa(change)
}

func plus(n int) string {
	if n > 0 {
		return "+"
	}
	return ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
