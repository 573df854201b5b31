package scenarios

import (
	"time"

	"github.com/goccy/go-yaml"

	"github.com/ecslab/lab/internal/format"
)

// YAML writes the resolved scenario, defaults included, as a scenario file
// that Parse reads back to an equal Scenario. Runs keep it as
// scenario.yaml beside their results.
func (s *Scenario) YAML() ([]byte, error) {
	return yaml.MarshalWithOptions(s,
		yaml.IndentSequence(true),
		yaml.UseLiteralStyleIfMultiline(true),
		yaml.CustomMarshaler[time.Duration](func(d time.Duration) ([]byte, error) {
			return []byte(format.Duration(d)), nil
		}),
	)
}

// MarshalYAML writes the target of a response_time policy as a duration,
// as the file gives it.
func (t TargetTracking) MarshalYAML() (any, error) {
	m := yaml.MapSlice{
		{Key: "metric", Value: t.Metric},
		{Key: "target", Value: metricYAML(t.Metric, t.Target)},
		{Key: "scale_out_cooldown", Value: t.ScaleOutCooldown},
		{Key: "scale_in_cooldown", Value: t.ScaleInCooldown},
	}
	if t.DisableScaleIn {
		m = append(m, yaml.MapItem{Key: "disable_scale_in", Value: true})
	}
	return m, nil
}

// MarshalYAML writes the threshold and bounds of a response_time policy
// as durations, as the file gives them.
func (s StepScaling) MarshalYAML() (any, error) {
	m := yaml.MapSlice{
		{Key: "metric", Value: s.Metric},
		{Key: "comparison", Value: s.Comparison},
		{Key: "threshold", Value: metricYAML(s.Metric, s.Threshold)},
		{Key: "datapoints", Value: s.Datapoints},
		{Key: "adjustment_type", Value: s.AdjustmentType},
	}
	if s.MinAdjustmentMagnitude > 0 {
		m = append(m, yaml.MapItem{Key: "min_adjustment_magnitude", Value: s.MinAdjustmentMagnitude})
	}
	m = append(m, yaml.MapItem{Key: "cooldown", Value: s.Cooldown})
	steps := make([]yaml.MapSlice, len(s.Steps))
	for i, st := range s.Steps {
		if st.Lower != nil {
			steps[i] = append(steps[i], yaml.MapItem{Key: "lower", Value: metricYAML(s.Metric, *st.Lower)})
		}
		if st.Upper != nil {
			steps[i] = append(steps[i], yaml.MapItem{Key: "upper", Value: metricYAML(s.Metric, *st.Upper)})
		}
		steps[i] = append(steps[i], yaml.MapItem{Key: "adjustment", Value: st.Adjustment})
	}
	return append(m, yaml.MapItem{Key: "steps", Value: steps}), nil
}

// metricYAML is a scaling metric's value as a file writes it: a duration
// for response_time (kept in milliseconds), a number otherwise.
func metricYAML(metric string, v float64) any {
	if metric == MetricResponseTime {
		return time.Duration(v * float64(time.Millisecond))
	}
	return v
}

// MarshalYAML writes a task definition workload as task_definition
// alone: the port is the loader's to derive.
func (w Workload) MarshalYAML() (any, error) {
	if w.TaskDefinition == "" {
		type plain Workload // without this method
		return plain(w), nil
	}
	return yaml.MapSlice{{Key: "task_definition", Value: w.TaskDefinition}}, nil
}
