package tui

import (
	"fmt"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// thresholdBoard shows the entry's thresholds with their live state, as
// the snapshots' summary so far has them, and their final outcome once
// the entry is done. A live latency percentile is an upper bound of the
// entry's (see lab.Snapshot.Summary) and shows with a "≤".
type thresholdBoard struct {
	defs  []scenarios.Threshold
	live  *lab.EntrySummary      // the last snapshot's; nil before the first
	final []lab.ThresholdOutcome // nil while the entry runs
}

func (b *thresholdBoard) reset(defs []scenarios.Threshold) {
	*b = thresholdBoard{defs: defs}
}

func (b *thresholdBoard) add(s lab.Snapshot) {
	if b.final == nil {
		b.live = &s.Summary
	}
}

func (b *thresholdBoard) done(es lab.EntrySummary) {
	b.final = es.Thresholds
	if b.final == nil {
		b.final = []lab.ThresholdOutcome{}
	}
}

// view is one line: each threshold with ✓ or ✗ and its value.
func (b *thresholdBoard) view(w int, st Styles) string {
	if len(b.defs) == 0 {
		return ""
	}
	label := "thresholds (live):"
	outcomes := b.final
	pending := false
	switch {
	case outcomes != nil:
		label = "thresholds (entry result):"
	case b.live == nil || b.live.Requests == 0:
		pending = true
		outcomes = make([]lab.ThresholdOutcome, len(b.defs))
		for i, d := range b.defs {
			outcomes[i].Expr = d.Expr
		}
	default:
		outcomes = b.live.Thresholds
	}
	parts := make([]string, len(outcomes))
	for i, o := range outcomes {
		value := format.OneDecimal(o.Value)
		if b.final == nil && i < len(b.defs) && isPercentile(b.defs[i].Metric) {
			value = "≤" + value
		}
		mark, style := "✓", st.OK
		switch {
		case pending:
			mark, style, value = "·", st.Dim, "pending"
		case !o.OK:
			mark, style = "✗", st.Bad
			if o.Reason != "" {
				value = o.Reason
			}
		}
		parts[i] = style.Render(mark+" "+o.Expr) + st.Dim.Render(fmt.Sprintf(" (%s)", value))
	}
	return fit(st.Dim.Render(label)+" "+strings.Join(parts, "  "), w)
}

func isPercentile(metric string) bool {
	switch metric {
	case scenarios.MetricP50, scenarios.MetricP90, scenarios.MetricP95, scenarios.MetricP99:
		return true
	}
	return false
}
