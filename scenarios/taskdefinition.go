package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecslab/lab/fargate"
	"github.com/ecslab/lab/taskdef"
)

// A scenario's workload may be an ECS task definition: a JSON file read
// by the loader, or a registered definition (ARN, family[:revision]) that
// ResolveTaskDefinition reads from ECS. Either way the definition's task
// size is the service's unless the scenario gives one, and
// service.load_balancer names the container and port the balancer sends to.

const taskDefinitionPath = "workload.task_definition"

// validateTaskDefinition checks that nothing else says what runs, and
// reads the file the field names.
func (r *reader) validateTaskDefinition(w *Workload) {
	for _, other := range []struct {
		set  bool
		path string
	}{
		{w.Builtin, "workload.builtin"}, {w.Image != "", "workload.image"}, {r.Has("workload.port"), "workload.port"},
		{len(w.Env) > 0, "workload.env"}, {len(w.Command) > 0, "workload.command"},
	} {
		if other.set {
			name := other.path[strings.IndexByte(other.path, '.')+1:]
			r.ErrorPath(other.path, "task_definition and %s exclude each other: the task definition says what runs, with its own ports, environment and command", name)
		}
	}
	ref := w.TaskDefinition
	file := ref
	if !filepath.IsAbs(file) && r.dir != "" {
		file = filepath.Join(r.dir, file)
	}
	if fi, err := os.Stat(file); strings.HasPrefix(ref, "arn:") || err != nil && taskdef.IsRemoteRef(ref) || err == nil && fi.IsDir() {
		if err := taskdef.CheckRemoteRef(ref); err != nil {
			r.ErrorPath(taskDefinitionPath, "%v", err)
		}
		return // ResolveTaskDefinition reads it
	}
	d, err := taskdef.Load(file)
	var list taskdef.ErrorList
	switch {
	case err == nil:
		w.Definition = d
		// Made absolute, the name still works from a run's results
		// directory, where the resolved scenario is kept.
		if abs, err := filepath.Abs(file); err == nil {
			w.TaskDefinition = abs
		}
	case errors.As(err, &list) && len(list) > 0 && list[0].Line > 0:
		r.Include(taskDefinitionPath, list)
	case errors.As(err, &list) && len(list) > 0:
		r.ErrorPath(taskDefinitionPath, "%s: %s", ref, list[0].Message)
	default:
		r.ErrorPath(taskDefinitionPath, "%v", err)
	}
}

// sizeFromTaskDefinition gives the service the definition's task size
// where the scenario leaves it out.
func sizeFromTaskDefinition(s *Scenario) {
	d := s.Workload.Definition
	if d == nil {
		return
	}
	if size, ok := d.Size(); ok {
		if s.Service.CPU == 0 {
			s.Service.CPU = size.CPU
		}
		if s.Service.Memory == 0 {
			s.Service.Memory = size.Memory
		}
	}
}

// problem is a problem found after reading, at a field path.
type problem struct{ path, msg string }

// applyTaskDefinition resolves service.load_balancer against the
// definition (filling in its default and the workload's port) and checks
// that the containers fit in every entry's size.
func applyTaskDefinition(s *Scenario) []problem {
	d := s.Workload.Definition
	if d == nil {
		if s.Service.LoadBalancer != nil && s.Workload.TaskDefinition == "" {
			return []problem{{"service.load_balancer", "load_balancer names a container of a task definition: set workload.task_definition, or leave load_balancer out"}}
		}
		return nil
	}
	var out []problem
	lb := s.Service.LoadBalancer
	switch {
	case lb == nil:
		t, ok := d.DefaultTarget()
		if !ok {
			return []problem{{"service", fmt.Sprintf("no essential container of task definition %s maps a port: say where the balancer sends with load_balancer: {container: NAME, port: N}", d.Family)}}
		}
		lb = &LoadBalancer{Container: t.Container, Port: t.Port}
	case lb.Port == 0:
		if c := d.Container(lb.Container); c != nil && len(c.PortMappings) > 0 {
			lb.Port = c.PortMappings[0].ContainerPort
		}
	}
	if err := d.CheckTarget(taskdef.Target{Container: lb.Container, Port: lb.Port}); err != nil {
		at := "service.load_balancer.port"
		if d.Container(lb.Container) == nil {
			at = "service.load_balancer.container"
		}
		out = append(out, problem{at, err.Error()})
	}
	s.Service.LoadBalancer, s.Workload.Port = lb, lb.Port
	for _, e := range s.Entries() {
		at := "service"
		if len(s.Matrix) > 0 {
			at = fmt.Sprintf("matrix[%d]", e.Index)
		}
		if !fargate.ValidSize(e.Size) {
			continue // reported as a size
		}
		if err := d.CheckEnvelope(e.Size); err != nil {
			out = append(out, problem{at, fmt.Sprintf("task definition %s does not fit in %s: %s", d.Family, e.Size, strings.ReplaceAll(err.Error(), "\n", "; "))})
		}
	}
	for i, o := range s.Matrix {
		if len(o.Env) > 0 {
			out = append(out, problem{fmt.Sprintf("matrix[%d].env", i), "env is for the built-in app or an image; a task definition carries its own environment: use another task definition file"})
		}
	}
	return out
}

// Describe reads a registered task definition (an ARN, or
// family[:revision]); taskdef.Describe with an ECS client is one.
type Describe func(ctx context.Context, ref string) (*taskdef.Definition, error)

// ResolveTaskDefinition reads the registered task definition the
// workload names, with describe, and checks the scenario against it as
// the loader checks a file: size, load balancer, envelopes. It does
// nothing when the workload names no registered definition. Its problems
// are an ErrorList naming the scenario's fields.
func (s *Scenario) ResolveTaskDefinition(ctx context.Context, describe Describe) error {
	if !s.Workload.RemoteTaskDefinition() {
		return nil
	}
	d, err := describe(ctx, s.Workload.TaskDefinition)
	if err != nil {
		var list ErrorList
		if errors.As(err, &list) {
			return list
		}
		return ErrorList{{File: s.Source, Field: taskDefinitionPath, Message: err.Error(), Err: err}}
	}
	s.Workload.Definition = d
	sizeFromTaskDefinition(s)
	var errs ErrorList
	add := func(path, msg string) { errs = append(errs, &Error{File: s.Source, Field: path, Message: msg}) }
	if s.Service.CPU == 0 || s.Service.Memory == 0 {
		add("service.cpu", fmt.Sprintf("task definition %s has no task-level cpu and memory: give service.cpu and service.memory", d.Family))
		return errs
	}
	for _, e := range s.Entries() {
		if err := CheckSize(e.Size.CPU, e.Size.Memory); err != nil {
			add("service", err.Error())
		}
	}
	for _, p := range applyTaskDefinition(s) {
		add(p.path, p.msg)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
