package taskdef

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ecslab/lab/fargate"
)

type problem struct{ path, msg string }

// CheckEnvelope returns nil when the containers' cpu and memory fit in a
// task of size, as ECS requires: container cpu units sum to at most the
// task's, no container's memory exceeds the task's, and the containers'
// reservations (memoryReservation, or memory without one) sum to at most
// the task's memory. A scenario that runs the definition at another size
// calls it for that size.
func (d *Definition) CheckEnvelope(size fargate.Size) error {
	var errs []error
	for _, p := range d.envelopeProblems(size) {
		errs = append(errs, errors.New(p.msg))
	}
	return errors.Join(errs...)
}

func (d *Definition) envelopeProblems(size fargate.Size) []problem {
	var out []problem
	cpu, reserved := 0, 0
	for i, c := range d.ContainerDefinitions {
		at := fmt.Sprintf("containerDefinitions[%d]", i)
		cpu += c.CPU
		if c.Memory != nil && *c.Memory > size.Memory {
			out = append(out, problem{at + ".memory", fmt.Sprintf("container %q has %d MiB of memory, more than the task's %d MiB", c.Name, *c.Memory, size.Memory)})
		}
		reserved += c.Reserved()
	}
	if cpu > size.CPU {
		out = append(out, problem{"containerDefinitions", fmt.Sprintf("the containers' cpu sums to %d units, more than the task's %d (%s)", cpu, size.CPU, d.perContainer(func(c Container) int { return c.CPU }))})
	}
	if reserved > size.Memory {
		out = append(out, problem{"containerDefinitions", fmt.Sprintf("the containers' memory reservations sum to %d MiB, more than the task's %d MiB (%s)", reserved, size.Memory, d.perContainer(Container.Reserved))})
	}
	return out
}

// Reserved is the memory ECS reserves for the container in its task, MiB:
// its memoryReservation, or its memory when it has no reservation, or 0.
func (c Container) Reserved() int {
	switch {
	case c.MemoryReservation != nil:
		return *c.MemoryReservation
	case c.Memory != nil:
		return *c.Memory
	}
	return 0
}

func (d *Definition) perContainer(f func(Container) int) string {
	var parts []string
	for _, c := range d.ContainerDefinitions {
		if v := f(c); v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, v))
		}
	}
	return strings.Join(parts, ", ")
}

// parseCPU reads task-level cpu as ECS takes it: units ("256") or vCPU
// ("0.25 vCPU", "1 vcpu").
func parseCPU(s string) (int, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if v, ok := strings.CutSuffix(t, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 || f*1024 != float64(int(f*1024)) {
			return 0, fmt.Errorf("%q is not a cpu: write units (\"256\") or vCPU (\"0.25 vCPU\")", s)
		}
		return int(f * 1024), nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a cpu: write units (\"256\") or vCPU (\"0.25 vCPU\")", s)
	}
	return n, nil
}

// parseMemory reads task-level memory as ECS takes it: MiB ("512") or GB
// ("1 GB", "0.5GB").
func parseMemory(s string) (int, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if v, ok := strings.CutSuffix(t, "gb"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 || f*1024 != float64(int(f*1024)) {
			return 0, fmt.Errorf("%q is not a memory size: write MiB (\"512\") or GB (\"1 GB\")", s)
		}
		return int(f * 1024), nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a memory size: write MiB (\"512\") or GB (\"1 GB\")", s)
	}
	return n, nil
}
