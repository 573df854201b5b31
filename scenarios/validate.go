package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/ecslab/lab/fargate"
	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios/internal/strictyaml"
	"github.com/ecslab/lab/workload/knobs"
)

// validate checks what no single field can: fields that exclude or need
// each other, sizes against the Fargate table, times against the load's
// length. It resolves what depends on other fields: the built-in app's
// port, default policy names, the order of actions. Each problem is
// reported at the field it concerns, or at the nearest field the file has;
// fields with a problem already reported are not checked again.
func (r *reader) validate(s *Scenario) {
	// A section that is not a mapping has been reported as such; its
	// fields, all missing, are not reported again.
	if !r.Shapeless("workload") {
		r.validateWorkload(&s.Workload)
	}
	sizeFromTaskDefinition(s)
	r.validateService(&s.Service, &s.Workload)
	if !r.Shapeless("load") {
		r.validateLoad(&s.Load)
	}
	r.validateActions(s)
	r.validateMatrix(s)
	if !r.Shapeless("autoscaling") {
		r.validateAutoscaling(s)
	}
	r.validateSecrets(s)
	if !r.Failed(taskDefinitionPath, "service", "matrix") {
		for _, p := range applyTaskDefinition(s) {
			r.ErrorPath(p.path, "%s", p.msg)
		}
	}
}

func (r *reader) validateWorkload(w *Workload) {
	if w.TaskDefinition != "" && !r.Failed(taskDefinitionPath) {
		r.validateTaskDefinition(w)
		return
	}
	switch {
	case w.Builtin && w.Image != "":
		r.ErrorPath("workload.image", "builtin: true and image exclude each other: run the built-in app or your image")
		return
	case !w.Builtin && w.Image == "" && r.Has("workload") && !r.Failed("workload.builtin", "workload.image", taskDefinitionPath):
		r.ErrorPath("workload", "set builtin: true for the built-in app, image: NAME and port: PORT for your own, or task_definition: FILE for an ECS task definition")
	}
	if w.Builtin {
		if r.Has("workload.port") && w.Port != BuiltinPort && !r.Failed("workload.port") {
			r.ErrorPath("workload.port", "the built-in app listens on %d; port is for an image", BuiltinPort)
		}
		w.Port = BuiltinPort
		if len(w.Command) > 0 {
			r.ErrorPath("workload.command", "command is for an image; the built-in app takes its knobs from env")
		}
		r.validateKnobs("workload.env", w.Env)
	}
	if w.Image != "" && w.Port == 0 && !r.Failed("workload.port") {
		r.Missing("workload", "port", "the port your image listens on")
	}
}

// validateKnobs checks the built-in app's knobs in env with the parser
// and bounds the app reads them with, and names that look like a
// misspelled knob. Other names pass: the app is a Go program, and
// GOMAXPROCS or GOGC mean something to it.
func (r *reader) validateKnobs(path string, env map[string]string) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sub := strictyaml.JoinPath(path, k)
		if r.Failed(sub) {
			continue
		}
		var bad *knobs.Error
		switch err := knobs.Check(k, env[k]); {
		case k == knobs.Port:
			r.ErrorAtKey(sub, "lab sets PORT for the built-in app (it listens on %d)", BuiltinPort)
		case errors.As(err, &bad):
			r.ErrorPath(sub, "%q: %s", strictyaml.Clip(bad.Value), bad.Reason)
		case !slices.Contains(knobs.Settable(), k):
			if s := strictyaml.Suggest(k, knobs.Settable()); s != "" {
				r.ErrorAtKey(sub, "the built-in app has no knob %q; did you mean %q?", strictyaml.Clip(k), s)
			}
		}
	}
}

// validateService checks the task size. With a task definition
// (fromDefinition) the size may come from its file, else it is checked
// once ResolveTaskDefinition has read it.
func (r *reader) validateService(sv *Service, w *Workload) {
	if w.Definition != nil && r.Has("service") && !r.Failed("service") {
		for _, f := range []struct {
			name string
			v    int
		}{{"cpu", sv.CPU}, {"memory", sv.Memory}} {
			if f.v == 0 {
				r.Missing("service", f.name, "the task definition gives no task-level "+f.name)
			}
		}
	}
	if !r.Failed("service.cpu", "service.memory") && sv.CPU > 0 && sv.Memory > 0 {
		if err := CheckSize(sv.CPU, sv.Memory); err != nil {
			path := "service.memory"
			if !fargate.IsCPU(sv.CPU) {
				path = "service.cpu"
			}
			r.ErrorPath(path, "%v", err)
		}
	}
	hc := sv.HealthCheck
	if !r.Failed("service.health_check") && hc.Timeout >= hc.Interval {
		r.ErrorPath("service.health_check.timeout", "timeout %s must be shorter than the interval (%s)", format.Duration(hc.Timeout), format.Duration(hc.Interval))
	}
}

func (r *reader) validateLoad(l *LoadSpec) {
	switch {
	case l.Path != "" && len(l.Requests) > 0:
		r.ErrorPath("load.requests", "path and requests exclude each other: give one path, or a weighted list of requests")
	case l.Path == "" && len(l.Requests) == 0 && r.Has("load") && !r.Failed("load.path", "load.requests"):
		r.Missing("load", "path", "the path to send requests to, e.g. /cpu_intensive, or a list of requests")
	}
	if r.Has("load.phases") && len(l.Phases) == 0 && !r.Failed("load.phases") {
		r.ErrorPath("load.phases", "needs at least one phase, e.g. {duration: 60s, rate: 5}")
	}
	for i, p := range l.Phases {
		path := fmt.Sprintf("load.phases[%d]", i)
		if r.Failed(path) {
			continue
		}
		open, closed := p.Rate > 0 || p.RampTo > 0, p.Workers > 0 || p.WorkerRate > 0
		switch {
		case p.Rate > 0 && p.RampTo > 0:
			r.ErrorPath(path+".ramp_to", "rate and ramp_to exclude each other: rate holds a constant rate, ramp_to ramps from the previous phase's rate")
		case open && closed:
			r.ErrorPath(path+".workers", "rate or ramp_to (open model) and workers (closed model) exclude each other: make them two phases")
		case p.WorkerRate > 0 && p.Workers == 0:
			r.ErrorPath(path+".worker_rate", "worker_rate needs workers: the rate is per worker")
		case !open && !closed:
			r.ErrorPath(path, "a phase needs rate, ramp_to or workers")
		}
	}
}

func (r *reader) validateActions(s *Scenario) {
	total := s.LoadDuration()
	timed := len(s.Load.Phases) > 0 && !r.Failed("load.phases")
	for i, a := range s.Actions {
		path := fmt.Sprintf("actions[%d]", i)
		if r.Failed(path) {
			continue
		}
		ops := 0
		for _, set := range []bool{a.Scale > 0, a.Resize != nil, a.KillTask > 0, a.StopTask > 0} {
			if set {
				ops++
			}
		}
		switch {
		case ops == 0:
			r.ErrorPath(path, "an action needs scale, resize, kill_task or stop_task")
		case ops > 1:
			r.ErrorPath(path, "an action does one of scale, resize, kill_task or stop_task: make two actions at the same time")
		}
		if timed && a.At >= total {
			r.ErrorPath(path+".at", "%s is not within the load, which lasts %s", format.Duration(a.At), format.Duration(total))
		}
		if a.Resize != nil {
			if err := CheckSize(a.Resize.CPU, a.Resize.Memory); err != nil {
				r.ErrorPath(path+".resize", "%v", err)
			}
		}
	}
	slices.SortStableFunc(s.Actions, func(a, b Action) int { return cmp.Compare(a.At, b.At) })
}

func (r *reader) validateMatrix(s *Scenario) {
	sizeKnown := !r.Failed("service.cpu", "service.memory")
	for i, o := range s.Matrix {
		path := fmt.Sprintf("matrix[%d]", i)
		if r.Failed(path) {
			continue
		}
		if o.Label == "" && o.CPU == 0 && o.Memory == 0 && o.Count == 0 && len(o.Env) == 0 {
			r.ErrorPath(path, "the entry changes nothing: set cpu, memory, count or env")
			continue
		}
		size := Size{CPU: cmp.Or(o.CPU, s.Service.CPU), Memory: cmp.Or(o.Memory, s.Service.Memory)}
		if (sizeKnown || o.CPU > 0 && o.Memory > 0) && size.CPU > 0 && size.Memory > 0 {
			if err := CheckSize(size.CPU, size.Memory); err != nil {
				r.ErrorPath(path, "%v", err)
			}
		}
		if s.Workload.Builtin {
			r.validateKnobs(path+".env", o.Env)
		}
	}
	if r.Failed("matrix") {
		return
	}
	first := map[string]int{}
	for _, e := range s.Entries() {
		if i, dup := first[e.Label]; dup {
			r.ErrorPath(fmt.Sprintf("matrix[%d]", e.Index), "same label as matrix[%d] (%s): give one of them a label", i, e.Label)
			continue
		}
		first[e.Label] = e.Index
	}
}

func (r *reader) validateAutoscaling(s *Scenario) {
	a := s.Autoscaling
	if a == nil {
		return
	}
	if !r.Failed("autoscaling.min", "autoscaling.max") && a.Min > a.Max {
		r.ErrorPath("autoscaling.min", "min %d is above max %d", a.Min, a.Max)
	}
	if r.Has("autoscaling.policies") && len(a.Policies) == 0 && !r.Failed("autoscaling.policies") {
		r.ErrorPath("autoscaling.policies", "needs at least one policy: target_tracking or step_scaling")
	}
	if !r.Failed("service.count", "autoscaling.min", "autoscaling.max") && (s.Service.Count < a.Min || s.Service.Count > a.Max) {
		r.ErrorPath("service.count", "count %d is outside autoscaling min..max (%d..%d)", s.Service.Count, a.Min, a.Max)
	}
	names := map[string]int{}
	for i := range a.Policies {
		p := &a.Policies[i]
		path := fmt.Sprintf("autoscaling.policies[%d]", i)
		if r.Failed(path) {
			continue
		}
		switch {
		case p.TargetTracking == nil && p.StepScaling == nil:
			r.ErrorPath(path, "a policy needs target_tracking or step_scaling")
			continue
		case p.TargetTracking != nil && p.StepScaling != nil:
			r.ErrorPath(path+".step_scaling", "a policy is target_tracking or step_scaling, not both: make two policies")
			continue
		}
		if p.Name == "" {
			p.Name = defaultPolicyName(p)
		}
		if j, dup := names[p.Name]; dup {
			r.ErrorPath(path+".name", "policies[%d] is also named %q: give each policy its own name", j, p.Name)
		}
		names[p.Name] = i
		if p.StepScaling != nil {
			r.validateSteps(path+".step_scaling", p.StepScaling)
		}
	}
}

func defaultPolicyName(p *Policy) string {
	if p.TargetTracking != nil {
		return p.TargetTracking.Metric + "-target-tracking"
	}
	return p.StepScaling.Metric + "-step-scaling"
}

// validateSteps checks step adjustments with Application Auto Scaling's
// rules, so that PutScalingPolicy never refuses them half-way through an
// apply: the ranges in order, without overlaps or gaps; a bound left out
// only at the ends; never both bounds of one step; a negative lower bound
// needs a step open below, a positive upper bound a step open above.
func (r *reader) validateSteps(path string, ss *StepScaling) {
	if r.Failed(path + ".steps") {
		return
	}
	if r.Has(path+".steps") && len(ss.Steps) == 0 {
		r.ErrorPath(path+".steps", "needs at least one step, e.g. {lower: 0, adjustment: 1}")
	}
	ranges := true
	for i, st := range ss.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", path, i)
		if field, msg := stepRangeProblem(ss.Steps, i); msg != "" {
			r.ErrorPath(sp+field, "%s", msg)
			ranges = false
		}
		switch {
		case ss.AdjustmentType == ExactCapacity && st.Adjustment < 0:
			r.ErrorPath(sp+".adjustment", "an exact capacity is 0 or more")
		case ss.AdjustmentType != ExactCapacity && st.Adjustment == 0:
			r.ErrorPath(sp+".adjustment", "must not be 0")
		}
	}
	if ranges && len(ss.Steps) > 0 {
		first, last := ss.Steps[0], ss.Steps[len(ss.Steps)-1]
		if first.Lower != nil && *first.Lower < 0 {
			r.ErrorPath(path+".steps[0].lower", "%g is negative, so a step must leave lower out (AWS: if one step adjustment has a negative lower bound, there must be a step adjustment with a null lower bound): remove lower here or add a step below", *first.Lower)
		}
		if last.Upper != nil && *last.Upper > 0 {
			r.ErrorPath(fmt.Sprintf("%s.steps[%d].upper", path, len(ss.Steps)-1), "%g is positive, so a step must leave upper out (AWS: if one step adjustment has a positive upper bound, there must be a step adjustment with a null upper bound): remove upper here or add a step above", *last.Upper)
		}
	}
	if ss.MinAdjustmentMagnitude > 0 && ss.AdjustmentType != PercentChangeInCapacity {
		r.ErrorPath(path+".min_adjustment_magnitude", "applies only to adjustment_type %s", PercentChangeInCapacity)
	}
}

// stepRangeProblem says what is wrong with the range of steps[i] by
// itself and against the step before it, and at which field of the step
// ("" for the step itself); msg is "" when nothing is.
func stepRangeProblem(steps []Step, i int) (field, msg string) {
	st := steps[i]
	switch {
	case st.Lower == nil && st.Upper == nil:
		return "", "give lower, upper or both (AWS: the upper and lower bound can't be null in the same step adjustment)"
	case st.Lower == nil && i > 0:
		return "", "only the first step may leave out lower (minus infinity): AWS allows at most one step adjustment with a null lower bound"
	case st.Upper == nil && i < len(steps)-1:
		return "", "only the last step may leave out upper (infinity): AWS allows at most one step adjustment with a null upper bound"
	case st.Lower != nil && st.Upper != nil && *st.Lower >= *st.Upper:
		return ".upper", fmt.Sprintf("must be above lower (%g)", *st.Lower)
	case i > 0 && st.Lower != nil && steps[i-1].Upper != nil && *st.Lower != *steps[i-1].Upper:
		return ".lower", fmt.Sprintf("must equal the previous step's upper (%g): AWS's step ranges can't overlap or have a gap", *steps[i-1].Upper)
	}
	return "", ""
}
