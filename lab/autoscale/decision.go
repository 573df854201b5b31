package autoscale

import (
	"fmt"
	"time"
)

// Direction is which way a decision scales.
type Direction string

// Directions.
const (
	Out Direction = "out"
	In  Direction = "in"
)

// Reasons a decision was held.
const (
	// ReasonCooldown: a scale-out that the capacity added during the
	// scale-out cooldown already covers, or a scale-in during the scale-in
	// cooldown.
	ReasonCooldown = "cooldown"
	// ReasonMin and ReasonMax: the count is already at the bound the
	// policy wants to cross.
	ReasonMin = "min"
	ReasonMax = "max"
	// ReasonBand: every datapoint of the low window is below the target,
	// but not all of them more than 10% below it, so the low alarm does
	// not fire. Reported once when the window enters that state.
	ReasonBand = "band"
	// ReasonRounding: the low alarm fired but removing a task would take
	// the metric above the target (scale-in rounds the removal down to 0).
	ReasonRounding = "rounding"
	// ReasonPolicies: a target tracking scale-in that another target
	// tracking policy does not agree with.
	ReasonPolicies = "policies"
	// ReasonNoStep: a step scaling alarm fired but no step covers the
	// metric's distance from the threshold.
	ReasonNoStep = "no_step"
)

// Decision is what a scaling evaluation concluded: a change of the
// desired count to apply (Held false), or one that was held back (Held
// true, with Reason). Every number that led to it is here.
type Decision struct {
	Time      time.Time // the end of the metric period that was evaluated
	Direction Direction
	// From is the desired count when the policy ran. To is the count to
	// apply; for a held decision, the count the policy asked for before
	// the reason held it back (for min and max: before the clamp).
	From, To int
	Policy   string
	Metric   string
	// Datapoints is the alarm's window, oldest first, in the metric's
	// unit (Unit(Metric)); the last one is the metric the formula used.
	Datapoints []float64
	// Target is the target tracking target, or the step scaling alarm's
	// threshold, in the metric's unit.
	Target float64
	// Formula is the arithmetic and its result, e.g.
	// "ceil(2 x 87.5 / 60) = 3".
	Formula string
	Held    bool
	Reason  string
	// Note explains what the formula alone does not: the cooldown's
	// base, the step that applied, the policy that disagreed.
	Note string
}

// String is the decision on one line, for logs and tests.
func (d Decision) String() string {
	s := fmt.Sprintf("%s %d->%d %s: %s", d.Direction, d.From, d.To, d.Policy, d.Formula)
	if d.Held {
		s = "held(" + d.Reason + ") " + s
	}
	return s
}
