package autoscale

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// Scaler is Application Auto Scaling for one service: the scalable
// target's min and max, its policies, and the alarms' datapoints. It is
// not safe for concurrent use; the run calls it from its tick loop.
type Scaler struct {
	start    time.Time
	period   time.Duration
	min, max int
	policies []policy

	open    int64 // index of the period being filled: (start+open*period, start+(open+1)*period]
	bucket  bucket
	history map[string][]point // per metric, oldest first, the last keep periods
	keep    int
	desired int // the current capacity: the last sample's Desired, or the last decision's To

	// The last scaling activities on the target, whichever policy caused
	// them: each policy measures its own cooldown from them.
	outAt   time.Time
	outBase int // the capacity the scale-out cooldown began from
	outDone bool
	inAt    time.Time
	inDone  bool // false once a scale-out ends the scale-in cooldown
}

// point is one datapoint; ok is false when it is missing.
type point struct {
	v  float64
	ok bool
}

// policy is one scaling policy. evaluate runs it at the end of a metric
// period (now) against the scaler's datapoints and state; it may keep
// state of its own but changes nothing in s.
type policy interface {
	policyName() string
	evaluate(s *Scaler, now time.Time) verdict
}

// verdict is what one policy concluded at one evaluation.
type verdict struct {
	d        *Decision // nil: the policy has nothing to say
	base     int       // for a scale-out: the capacity it was computed from
	tracking bool      // from a target tracking policy
	// blocksIn marks a target tracking policy (scale-in enabled) that is
	// not ready to scale in: target tracking then does not scale in.
	blocksIn bool
}

var (
	_ policy = (*targetTracking)(nil)
	_ policy = (*stepScaling)(nil)
)

var metrics = scenarios.ScalingMetrics()

// New makes the scaler for cfg, a scenario's autoscaling section, with
// metric periods aligned to start (the run's load start, say): the first
// period is (start, start+metric_period]. Zero datapoint counts and
// period take AWS's defaults (3, 15, 60s; a step alarm 1 datapoint); the
// cooldowns are used as given (the scenario loader fills in ECS's 300s),
// 0 meaning none.
func New(cfg scenarios.Autoscaling, start time.Time) (*Scaler, error) {
	s := &Scaler{
		start:   start,
		period:  cmp.Or(cfg.MetricPeriod, scenarios.DefaultMetricPeriod),
		min:     cfg.Min,
		max:     cfg.Max,
		history: map[string][]point{},
	}
	high := cmp.Or(cfg.HighDatapoints, scenarios.DefaultHighDatapoints)
	low := cmp.Or(cfg.LowDatapoints, scenarios.DefaultLowDatapoints)
	switch {
	case s.period < 0:
		return nil, fmt.Errorf("autoscaling: metric_period %s is negative", cfg.MetricPeriod)
	case high < 0 || low < 0:
		return nil, errors.New("autoscaling: high_datapoints and low_datapoints must be at least 1")
	case cfg.Min < 0:
		return nil, fmt.Errorf("autoscaling: min %d is negative", cfg.Min)
	case cfg.Max < 1 || cfg.Max < cfg.Min:
		return nil, fmt.Errorf("autoscaling: max %d must be at least 1 and at least min %d", cfg.Max, cfg.Min)
	case len(cfg.Policies) == 0:
		return nil, errors.New("autoscaling: no policies")
	}
	s.keep = max(high, low)
	for i, p := range cfg.Policies {
		pol, window, err := newPolicy(p, high, low)
		if err != nil {
			return nil, fmt.Errorf("autoscaling policies[%d]: %w", i, err)
		}
		s.policies = append(s.policies, pol)
		s.keep = max(s.keep, window)
	}
	return s, nil
}

func newPolicy(p scenarios.Policy, high, low int) (policy, int, error) {
	switch {
	case (p.TargetTracking == nil) == (p.StepScaling == nil):
		return nil, 0, errors.New("a policy is exactly one of target_tracking and step_scaling")
	case p.TargetTracking != nil:
		t := p.TargetTracking
		if err := checkMetric(t.Metric); err != nil {
			return nil, 0, err
		}
		if t.Target <= 0 {
			return nil, 0, fmt.Errorf("target %g must be greater than 0", t.Target)
		}
		if t.ScaleOutCooldown < 0 || t.ScaleInCooldown < 0 {
			return nil, 0, errors.New("cooldowns must not be negative")
		}
		return &targetTracking{
			name:           cmp.Or(p.Name, t.Metric+"-target-tracking"),
			metric:         t.Metric,
			target:         t.Target,
			outCooldown:    t.ScaleOutCooldown,
			inCooldown:     t.ScaleInCooldown,
			disableScaleIn: t.DisableScaleIn,
			high:           high,
			low:            low,
		}, max(high, low), nil
	default:
		st := p.StepScaling
		if err := checkMetric(st.Metric); err != nil {
			return nil, 0, err
		}
		if !slices.Contains([]string{">", ">=", "<", "<="}, st.Comparison) {
			return nil, 0, fmt.Errorf("comparison %q is not one of >, >=, <, <=", st.Comparison)
		}
		typ := cmp.Or(st.AdjustmentType, scenarios.ChangeInCapacity)
		if !slices.Contains([]string{scenarios.ChangeInCapacity, scenarios.ExactCapacity, scenarios.PercentChangeInCapacity}, typ) {
			return nil, 0, fmt.Errorf("adjustment_type %q is unknown", typ)
		}
		if len(st.Steps) == 0 {
			return nil, 0, errors.New("step scaling needs at least one step")
		}
		if st.Cooldown < 0 || st.Datapoints < 0 || st.MinAdjustmentMagnitude < 0 {
			return nil, 0, errors.New("cooldown, datapoints and min_adjustment_magnitude must not be negative")
		}
		n := cmp.Or(st.Datapoints, scenarios.DefaultStepDatapoints)
		return &stepScaling{
			name:           cmp.Or(p.Name, st.Metric+"-step-scaling"),
			metric:         st.Metric,
			comparison:     st.Comparison,
			threshold:      st.Threshold,
			datapoints:     n,
			adjustmentType: typ,
			minMagnitude:   st.MinAdjustmentMagnitude,
			cooldown:       st.Cooldown,
			steps:          slices.Clone(st.Steps),
		}, n, nil
	}
}

func checkMetric(m string) error {
	if !slices.Contains(metrics, m) {
		return fmt.Errorf("metric %q is not one of %v", m, metrics)
	}
	return nil
}

// Period is the metric period: the scaler evaluates its policies once per
// period.
func (s *Scaler) Period() time.Duration { return s.period }

// Observe feeds one sample (the second ending at x.Time; times must not
// go back) and returns the decisions of every metric period that closed:
// a period closes with its last second's sample, or, when samples are
// late or missing, with the first sample after it. Samples at or before
// the start, and late samples of a period already closed, are ignored.
// The caller applies a decision that is not Held by setting the service's
// desired count to To; later samples report it in Desired.
func (s *Scaler) Observe(x Sample) []Decision {
	d := x.Time.Sub(s.start)
	if d <= 0 {
		return nil
	}
	k := int64((d - 1) / s.period)
	if k < s.open {
		return nil
	}
	s.desired = x.Desired
	var out []Decision
	for s.open < k {
		out = append(out, s.close()...)
	}
	s.bucket.add(x)
	if d == time.Duration(k+1)*s.period {
		out = append(out, s.close()...)
	}
	return out
}

// close turns the open period into datapoints and evaluates the policies
// at its end.
func (s *Scaler) close() []Decision {
	end := s.start.Add(time.Duration(s.open+1) * s.period)
	for _, m := range metrics {
		v, ok := s.bucket.datapoint(m)
		h := append(s.history[m], point{v, ok})
		if len(h) > s.keep {
			h = slices.Delete(h, 0, len(h)-s.keep)
		}
		s.history[m] = h
	}
	s.bucket = bucket{}
	s.open++
	return s.evaluate(end)
}

// window is the last n datapoints of metric, oldest first; ok is false
// when there are fewer than n or one of them is missing.
func (s *Scaler) window(metric string, n int) (w []float64, ok bool) {
	h := s.history[metric]
	if len(h) < n {
		return nil, false
	}
	w = make([]float64, 0, n)
	for _, p := range h[len(h)-n:] {
		if !p.ok {
			return nil, false
		}
		w = append(w, p.v)
	}
	return w, true
}

// outCooldown reports whether a scale-out cooldown of length d runs at
// now, how long it has left, and the capacity it began from.
func (s *Scaler) outCooldown(now time.Time, d time.Duration) (base int, left time.Duration, ok bool) {
	if !s.outDone {
		return 0, 0, false
	}
	left = s.outAt.Add(d).Sub(now)
	return s.outBase, left, left > 0
}

// inCooldown reports whether a scale-in cooldown of length d runs at now
// and how long it has left.
func (s *Scaler) inCooldown(now time.Time, d time.Duration) (left time.Duration, ok bool) {
	if !s.inDone {
		return 0, false
	}
	left = s.inAt.Add(d).Sub(now)
	return left, left > 0
}

// evaluate runs every policy and combines their verdicts as Application
// Auto Scaling does: out if any policy says out, to the largest capacity;
// else in to the largest capacity proposed, a target tracking scale-in
// only when no target tracking policy blocks it. It returns the applied
// decision alone, or every held one.
func (s *Scaler) evaluate(now time.Time) []Decision {
	verdicts := make([]verdict, len(s.policies))
	for i, p := range s.policies {
		verdicts[i] = p.evaluate(s, now)
	}
	if v := best(verdicts, Out); v != nil {
		s.outAt, s.outBase, s.outDone = now, v.base, true
		s.inDone = false // a scale-out ends the scale-in cooldown
		s.desired = v.d.To
		return []Decision{*v.d}
	}
	var blockers []string
	for i, v := range verdicts {
		if v.blocksIn {
			blockers = append(blockers, s.policies[i].policyName())
		}
	}
	if len(blockers) > 0 {
		for _, v := range verdicts {
			if v.tracking && v.d != nil && !v.d.Held && v.d.Direction == In {
				v.d.Held, v.d.Reason = true, ReasonPolicies
				v.d.Note = join(v.d.Note, "target tracking scales in only when all its policies are ready to; not ready: "+strings.Join(blockers, ", "))
			}
		}
	}
	if v := best(verdicts, In); v != nil {
		s.inAt, s.inDone = now, true
		s.desired = v.d.To
		return []Decision{*v.d}
	}
	var held []Decision
	for _, v := range verdicts {
		if v.d != nil && v.d.Held {
			held = append(held, *v.d)
		}
	}
	return held
}

// best is the applicable verdict in direction dir with the largest
// capacity, the first policy's on a tie; nil if there is none.
func best(vs []verdict, dir Direction) *verdict {
	var b *verdict
	for i := range vs {
		v := &vs[i]
		if v.d == nil || v.d.Held || v.d.Direction != dir {
			continue
		}
		if b == nil || v.d.To > b.d.To {
			b = v
		}
	}
	return b
}

// settleOut finishes a scale-out proposal d (From set) to want, computed
// from the cooldown's base when cooling, against max and the cooldown.
// It reports false when there is nothing to scale.
func (s *Scaler) settleOut(d *Decision, want int, cooling bool) bool {
	d.Direction, d.To = Out, want
	switch {
	case d.From >= s.max:
		d.Held, d.Reason = true, ReasonMax
		d.Note = join(d.Note, fmt.Sprintf("the desired count is at max %d", s.max))
	case want <= d.From && cooling:
		d.Held, d.Reason = true, ReasonCooldown
	case want <= d.From:
		return false
	case want > s.max:
		d.To = s.max
		d.Formula += fmt.Sprintf(", capped at max %d", s.max)
	}
	return true
}

// settleIn finishes a scale-in proposal d (From set) to want against min
// and the scale-in cooldown. A proposal that removes nothing is held with
// reason rounding when heldRounding, else it reports false.
func (s *Scaler) settleIn(d *Decision, want int, cooling bool, left time.Duration, heldRounding bool) bool {
	d.Direction, d.To = In, want
	switch {
	case d.From <= s.min:
		d.Held, d.Reason = true, ReasonMin
		d.Note = join(d.Note, fmt.Sprintf("the desired count is at min %d", s.min))
	case want >= d.From && heldRounding:
		d.Held, d.Reason = true, ReasonRounding
		d.Note = join(d.Note, "scale-in rounds the capacity removed down, here to 0")
	case want >= d.From:
		return false
	case cooling:
		d.Held, d.Reason = true, ReasonCooldown
		d.To = max(want, s.min)
		d.Note = join(d.Note, fmt.Sprintf("scale-in cooldown, %s left", roundDur(left)))
	case want < s.min:
		d.To = s.min
		d.Formula += fmt.Sprintf(", raised to min %d", s.min)
	}
	return true
}

// outCooldownNote explains a scale-out computed during the cooldown.
func outCooldownNote(base int, left time.Duration) string {
	return fmt.Sprintf("scale-out cooldown, %s left: the need is computed from %d, the count it began from, as the capacity added since counts toward it", roundDur(left), base)
}

func roundDur(d time.Duration) time.Duration { return d.Round(time.Second) }

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
