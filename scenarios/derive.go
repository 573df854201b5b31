package scenarios

import (
	"maps"
	"slices"
	"time"
)

// Clone returns a deep copy of s: changing one does not change the other.
func (s *Scenario) Clone() *Scenario {
	c := *s
	c.Workload.Env = maps.Clone(s.Workload.Env)
	c.Workload.Command = slices.Clone(s.Workload.Command)
	c.Load.Requests = slices.Clone(s.Load.Requests)
	for i := range c.Load.Requests {
		c.Load.Requests[i].Headers = maps.Clone(s.Load.Requests[i].Headers)
	}
	c.Load.Phases = slices.Clone(s.Load.Phases)
	c.Actions = slices.Clone(s.Actions)
	for i, a := range c.Actions {
		if a.Resize != nil {
			size := *a.Resize
			c.Actions[i].Resize = &size
		}
	}
	c.Matrix = slices.Clone(s.Matrix)
	for i := range c.Matrix {
		c.Matrix[i].Env = maps.Clone(s.Matrix[i].Env)
	}
	c.Thresholds = slices.Clone(s.Thresholds)
	c.Secrets = slices.Clone(s.Secrets)
	if s.Autoscaling != nil {
		c.Autoscaling = s.Autoscaling.clone()
	}
	if s.ECS != nil {
		e := *s.ECS
		e.Subnets = slices.Clone(s.ECS.Subnets)
		e.SecurityGroups = slices.Clone(s.ECS.SecurityGroups)
		e.ALBSubnets = slices.Clone(s.ECS.ALBSubnets)
		e.TaskSubnets = slices.Clone(s.ECS.TaskSubnets)
		e.ALBIngressCIDRs = slices.Clone(s.ECS.ALBIngressCIDRs)
		if s.ECS.AssignPublicIP != nil {
			b := *s.ECS.AssignPublicIP
			e.AssignPublicIP = &b
		}
		c.ECS = &e
	}
	return &c
}

func (a *Autoscaling) clone() *Autoscaling {
	c := *a
	c.Policies = slices.Clone(a.Policies)
	for i, p := range c.Policies {
		if p.TargetTracking != nil {
			t := *p.TargetTracking
			c.Policies[i].TargetTracking = &t
		}
		if p.StepScaling != nil {
			s := *p.StepScaling
			s.Steps = slices.Clone(s.Steps)
			for j, st := range s.Steps {
				s.Steps[j].Lower = clonePtr(st.Lower)
				s.Steps[j].Upper = clonePtr(st.Upper)
			}
			c.Policies[i].StepScaling = &s
		}
	}
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// WithLoadDuration returns a copy of s whose load phases are stretched or
// shrunk in proportion to last total, and whose actions keep their place
// in the load (an action at half the load stays at half). Health checks,
// timeouts, metric periods and cooldowns do not change. A total of 0 or
// less, or a scenario without load, gives an unchanged copy.
func (s *Scenario) WithLoadDuration(total time.Duration) *Scenario {
	c := s.Clone()
	old := s.LoadDuration()
	if total <= 0 || old <= 0 || len(c.Load.Phases) == 0 {
		return c
	}
	scale := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * float64(total) / float64(old))
	}
	var sum time.Duration
	last := len(c.Load.Phases) - 1
	for i := range c.Load.Phases[:last] {
		d := max(scale(c.Load.Phases[i].Duration), 1)
		c.Load.Phases[i].Duration = d
		sum += d
	}
	// The last phase takes what rounding left, so the phases sum to total.
	c.Load.Phases[last].Duration = max(total-sum, 1)
	for i := range c.Actions {
		c.Actions[i].At = min(scale(c.Actions[i].At), total-1)
	}
	return c
}

// WithSize returns a copy of s that runs one entry at size instead of the
// matrix (`lab run --size`). The size is not checked: ParseSize does.
func (s *Scenario) WithSize(size Size) *Scenario {
	c := s.Clone()
	c.Service.CPU, c.Service.Memory = size.CPU, size.Memory
	c.Matrix = nil
	return c
}
