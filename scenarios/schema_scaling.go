package scenarios

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// The schema of the autoscaling and ecs sections.

func (r *reader) autoscaling(n ast.Node, path string, dst **Autoscaling) bool {
	a := defaultAutoscaling()
	*dst = a
	return r.object(n, path, []field{
		{"min", true, into(r.tasks(0), &a.Min)},
		{"max", true, into(r.tasks(1), &a.Max)},
		{"metric_period", false, into(r.PositiveDuration, &a.MetricPeriod)},
		{"high_datapoints", false, into(r.AtLeast(1), &a.HighDatapoints)},
		{"low_datapoints", false, into(r.AtLeast(1), &a.LowDatapoints)},
		{"policies", true, into(strictyaml.ListOf(r.Reader, r.policy), &a.Policies)},
	})
}

func (r *reader) policy(n ast.Node, path string, p *Policy) bool {
	return r.object(n, path, []field{
		{"name", false, into(r.name, &p.Name)},
		{"target_tracking", false, into(r.targetTracking, &p.TargetTracking)},
		{"step_scaling", false, into(r.stepScaling, &p.StepScaling)},
	})
}

func (r *reader) targetTracking(n ast.Node, path string, dst **TargetTracking) bool {
	t := &TargetTracking{ScaleOutCooldown: DefaultCooldown, ScaleInCooldown: DefaultCooldown}
	*dst = t
	var target ast.Node
	ok := r.object(n, path, []field{
		{"metric", true, into(r.OneOf(ScalingMetrics()...), &t.Metric)},
		{"target", true, func(n ast.Node, _ string) { target = n }},
		{"scale_out_cooldown", false, into(r.Duration, &t.ScaleOutCooldown)},
		{"scale_in_cooldown", false, into(r.Duration, &t.ScaleInCooldown)},
		{"disable_scale_in", false, into(r.Boolean, &t.DisableScaleIn)},
	})
	if target != nil && t.Metric != "" {
		p := strictyaml.JoinPath(path, "target")
		if r.metricValue(target, p, t.Metric, &t.Target) {
			switch {
			case t.Target <= 0:
				r.Errorf(target, p, "must be greater than 0")
			case isPercentMetric(t.Metric) && t.Target > 100:
				r.Errorf(target, p, "a %s target is a percentage: at most 100", t.Metric)
			}
		}
	}
	return ok
}

func (r *reader) stepScaling(n ast.Node, path string, dst **StepScaling) bool {
	s := &StepScaling{Datapoints: DefaultStepDatapoints, AdjustmentType: ChangeInCapacity, Cooldown: DefaultCooldown}
	*dst = s
	var threshold, steps ast.Node
	ok := r.object(n, path, []field{
		{"metric", true, into(r.OneOf(ScalingMetrics()...), &s.Metric)},
		{"comparison", true, into(r.OneOf(">", ">=", "<", "<="), &s.Comparison)},
		{"threshold", true, func(n ast.Node, _ string) { threshold = n }},
		{"datapoints", false, into(r.AtLeast(1), &s.Datapoints)},
		{"adjustment_type", false, into(r.OneOf(ChangeInCapacity, ExactCapacity, PercentChangeInCapacity), &s.AdjustmentType)},
		{"min_adjustment_magnitude", false, into(r.AtLeast(1), &s.MinAdjustmentMagnitude)},
		{"cooldown", false, into(r.Duration, &s.Cooldown)},
		{"steps", true, func(n ast.Node, _ string) { steps = n }},
	})
	if s.Metric == "" {
		return ok // the metric's problem is reported; its values cannot be read
	}
	if threshold != nil {
		r.metricValue(threshold, strictyaml.JoinPath(path, "threshold"), s.Metric, &s.Threshold)
	}
	if steps != nil {
		strictyaml.ListOf(r.Reader, r.step(s.Metric))(steps, strictyaml.JoinPath(path, "steps"), &s.Steps)
	}
	return ok
}

func (r *reader) step(metric string) func(ast.Node, string, *Step) bool {
	return func(n ast.Node, path string, st *Step) bool {
		bound := func(dst **float64) func(ast.Node, string) {
			return func(n ast.Node, path string) {
				var v float64
				if r.metricValue(n, path, metric, &v) {
					*dst = &v
				}
			}
		}
		return r.object(n, path, []field{
			{"lower", false, bound(&st.Lower)},
			{"upper", false, bound(&st.Upper)},
			{"adjustment", true, into(r.Integer, &st.Adjustment)},
		})
	}
}

func isPercentMetric(m string) bool { return m == MetricCPU || m == MetricMemory }

// metricValue reads a value in a scaling metric's unit: percent for cpu
// and memory (60 or "60%"), requests per target per minute, or a duration
// for response_time (2s), kept in milliseconds.
func (r *reader) metricValue(n ast.Node, path, metric string, dst *float64) bool {
	switch metric {
	case MetricResponseTime:
		s, isString, ok := r.Scalar(n, path, "a duration such as 2s")
		if !ok {
			return false
		}
		neg := strings.HasPrefix(strings.TrimSpace(s), "-")
		if neg {
			s = strings.TrimPrefix(strings.TrimSpace(s), "-")
		}
		d, err := time.ParseDuration(s)
		if !isString || err != nil {
			r.Errorf(n, path, "a response_time value is a duration, such as 2s or 500ms")
			return false
		}
		*dst = float64(d) / float64(time.Millisecond)
		if neg {
			*dst = -*dst
		}
		return true
	case MetricCPU, MetricMemory:
		s, isString, ok := r.Scalar(n, path, "a percentage such as 60")
		if !ok {
			return false
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
		if err != nil || (isString && !strings.HasSuffix(strings.TrimSpace(s), "%")) {
			r.Errorf(n, path, "a %s value is a percentage of the task size, such as 60 or 60%%", metric)
			return false
		}
		*dst = v
		return true
	default:
		return r.Number(n, path, dst)
	}
}

func (r *reader) ecs(n ast.Node, path string, dst **ECS) bool {
	e := &ECS{}
	*dst = e
	return r.object(n, path, ecsFields(r, e))
}

func ecsFields(r *reader, e *ECS) []field {
	subnets := strictyaml.ListOf(r.Reader, r.prefixed("subnet-"))
	return []field{
		{"region", false, into(r.Str, &e.Region)},
		{"cluster", false, into(r.Str, &e.Cluster)},
		{"subnets", false, into(subnets, &e.Subnets)},
		{"alb_subnets", false, into(subnets, &e.ALBSubnets)},
		{"task_subnets", false, into(subnets, &e.TaskSubnets)},
		{"security_groups", false, into(strictyaml.ListOf(r.Reader, r.prefixed("sg-")), &e.SecurityGroups)},
		{"alb_ingress_cidrs", false, into(strictyaml.ListOf(r.Reader, r.cidr), &e.ALBIngressCIDRs)},
		{"assign_public_ip", false, into(r.optionalBool, &e.AssignPublicIP)},
		{"internal", false, into(r.Boolean, &e.Internal)},
		{"runtime_platform", false, into(r.OneOf(X86_64, ARM64), &e.RuntimePlatform)},
		{"image", false, into(r.Str, &e.Image)},
		{"generator_image", false, into(r.Str, &e.GeneratorImage)},
		{"execution_role_arn", false, into(r.prefixed("arn:"), &e.ExecutionRoleARN)},
		{"target_group_arn", false, into(r.prefixed("arn:"), &e.TargetGroupARN)},
		{"endpoint", false, into(r.prefixed("http"), &e.Endpoint)},
		{"name_suffix", false, into(r.nameSuffix, &e.NameSuffix)},
	}
}

func (r *reader) optionalBool(n ast.Node, path string, dst **bool) bool {
	var b bool
	if !r.Boolean(n, path, &b) {
		return false
	}
	*dst = &b
	return true
}

// cidr reads an IPv4 CIDR block, such as 203.0.113.7/32.
func (r *reader) cidr(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		r.Errorf(n, path, "%q is not an IPv4 CIDR block such as 203.0.113.7/32 (address bits past the prefix must be 0)", strictyaml.Clip(s))
		return false
	}
	*dst = s
	return true
}

// nameSuffix reads ecs.name_suffix: it ends every AWS name lab makes, and
// an ALB's name has at most 32 characters.
func (r *reader) nameSuffix(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	if !nameSuffixRE.MatchString(s) {
		r.Errorf(n, path, "%q: want 1 to 12 lower-case letters and digits (it ends every AWS name lab makes)", strictyaml.Clip(s))
		return false
	}
	*dst = s
	return true
}

var nameSuffixRE = regexp.MustCompile(`^[a-z0-9]{1,12}$`)

// prefixed reads a string that starts with prefix (an AWS id or ARN).
func (r *reader) prefixed(prefix string) func(ast.Node, string, *string) bool {
	return func(n ast.Node, path string, dst *string) bool {
		var s string
		if !r.Str(n, path, &s) {
			return false
		}
		if !strings.HasPrefix(s, prefix) {
			r.Errorf(n, path, "%q does not start with %q", strictyaml.Clip(s), prefix)
			return false
		}
		*dst = s
		return true
	}
}
