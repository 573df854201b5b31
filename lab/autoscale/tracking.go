package autoscale

import (
	"fmt"
	"math"
	"time"

	"github.com/ecslab/lab/internal/format"
)

// lowAlarmFactor places the low alarm: the AlarmLow that Application Auto
// Scaling creates for a target tracking policy has its threshold at 90% of
// the target, so the policy scales in only when the metric is more than
// 10% below the target.
const lowAlarmFactor = 0.9

// targetTracking keeps a metric near a target with two alarms: high on
// the last high datapoints all above the target, low on the last low
// datapoints all below 90% of it.
type targetTracking struct {
	name                    string
	metric                  string
	target                  float64
	outCooldown, inCooldown time.Duration
	disableScaleIn          bool
	high, low               int

	inBand bool // the low window was in the band at the last evaluation
}

func (p *targetTracking) policyName() string { return p.name }

func (p *targetTracking) evaluate(s *Scaler, now time.Time) verdict {
	if w, ok := s.window(p.metric, p.high); ok && all(w, func(v float64) bool { return v > p.target }) {
		p.inBand = false
		d, base := p.scaleOut(s, now, w)
		return verdict{d: d, base: base, tracking: true, blocksIn: !p.disableScaleIn}
	}
	if p.disableScaleIn {
		return verdict{tracking: true} // no low alarm: no opinion on scale-in
	}
	blocked := verdict{tracking: true, blocksIn: true}
	w, ok := s.window(p.metric, p.low)
	if !ok || !all(w, func(v float64) bool { return v < p.target }) {
		p.inBand = false
		return blocked
	}
	low := lowAlarmFactor * p.target
	if !all(w, func(v float64) bool { return v < low }) {
		if p.inBand {
			return blocked
		}
		p.inBand = true
		d := p.decision(s, now, w, s.desired)
		d.Direction, d.Held, d.Reason = In, true, ReasonBand
		d.To = max(d.To, s.min)
		d.Note = fmt.Sprintf("all %d datapoints are below the target %s but not all below %s (90%% of it): no scale-in within 10%% of the target", len(w), format.TwoDecimals(p.target), format.TwoDecimals(low))
		blocked.d = d
		return blocked
	}
	p.inBand = false
	d := p.decision(s, now, w, s.desired)
	left, cooling := s.inCooldown(now, p.inCooldown)
	if !s.settleIn(d, d.To, cooling, left, true) {
		return blocked
	}
	return verdict{d: d, tracking: true, blocksIn: d.Held}
}

// scaleOut proposes ceil(c x metric / target), where c is the desired
// count, or during the scale-out cooldown the capacity the cooldown began
// from: the capacity added since counts toward this scale-out.
func (p *targetTracking) scaleOut(s *Scaler, now time.Time, w []float64) (*Decision, int) {
	c := s.desired
	base, left, cooling := s.outCooldown(now, p.outCooldown)
	if cooling {
		c = base
	}
	d := p.decision(s, now, w, c)
	if cooling {
		d.Note = outCooldownNote(base, left)
	}
	if !s.settleOut(d, d.To, cooling) {
		return nil, c
	}
	return d, c
}

// decision is the proposal ceil(c x metric / target) from the window's
// last datapoint, with the desired count as From.
func (p *targetTracking) decision(s *Scaler, now time.Time, w []float64, c int) *Decision {
	m := w[len(w)-1]
	want := proportional(c, m, p.target)
	return &Decision{
		Time:       now,
		From:       s.desired,
		To:         want,
		Policy:     p.name,
		Metric:     p.metric,
		Datapoints: w,
		Target:     p.target,
		Formula:    fmt.Sprintf("ceil(%d x %s / %s) = %d", c, format.TwoDecimals(m), format.TwoDecimals(p.target), want),
	}
}

// proportional is target tracking's capacity: ceil(c x metric / target).
// Scaling out it rounds the capacity up; scaling in it equals
// c - floor(c - c x metric / target), the capacity removed rounded down.
// A tolerance keeps float error from adding a task (3 x 40 / 60 is 2).
func proportional(c int, metric, target float64) int {
	x := float64(c) * metric / target
	if x > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(math.Ceil(x - 1e-9))
}

func all(w []float64, f func(float64) bool) bool {
	for _, v := range w {
		if !f(v) {
			return false
		}
	}
	return true
}
