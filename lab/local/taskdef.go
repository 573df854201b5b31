package local

import (
	"fmt"
	"time"
)

// TaskDef is a task of several containers, as a task definition gives
// it, in the local target's terms. The target runs each task of such a
// service as ECS runs an awsvpc task on Fargate: a holder container owns
// the task's network namespace and every container joins it (they reach
// each other on localhost), all of them under the task's envelope.
type TaskDef struct {
	Family     string
	Revision   int // the registered revision; 0 for a file's
	Containers []ContainerDef
	// EphemeralGiB is the task's ephemeral storage (0: Fargate's 20 GiB),
	// as the task metadata reports it.
	EphemeralGiB int
	// Volumes are the task's volumes without a host path, by name: each
	// task gets one Docker volume per name, shared by the containers that
	// mount it, removed with the task.
	Volumes []string
	// LoadBalancer is the container and port the balancer sends to.
	LoadBalancer LoadBalancerTarget
}

// LoadBalancerTarget names the container and port the balancer sends to.
type LoadBalancerTarget struct {
	Container string
	Port      int
}

// ContainerDef is one container of a TaskDef.
type ContainerDef struct {
	Name       string
	Image      string
	Essential  bool
	EntryPoint []string // nil: the image's
	Command    []string // nil: the image's
	Env        map[string]string
	// Secrets are more environment whose values are never shown.
	Secrets     map[string]string
	WorkingDir  string
	User        string
	ReadOnly    bool // readonlyRootFilesystem
	Init        bool // linuxParameters.initProcessEnabled
	Ulimits     []Ulimit
	Labels      map[string]string // dockerLabels
	CPU         int               // cpu units (shares within the task); 0: none
	Memory      int               // hard limit in MiB; 0: none
	MemoryRes   int               // memoryReservation in MiB; 0: none
	StopTimeout time.Duration     // 0: the target's default
	// StartTimeout bounds the wait for its dependsOn conditions; 0: the
	// target's default.
	StartTimeout time.Duration
	DependsOn    []Dependency
	HealthCheck  *HealthCheck
	Mounts       []Mount
	Ports        []int // the container ports of its portMappings
	// LogDriver and LogOptions are the logConfiguration, which lab does
	// not emulate: the task metadata shows them.
	LogDriver  string
	LogOptions map[string]string
}

// Ulimit is one of a container's ulimits.
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// Mount puts a task volume at a path of a container.
type Mount struct {
	Volume   string
	Path     string
	ReadOnly bool
}

// Dependency conditions, as ECS's dependsOn names them.
const (
	CondStart    = "START"    // the dependency has started
	CondComplete = "COMPLETE" // it has exited, with any code
	CondSuccess  = "SUCCESS"  // it has exited with code 0
	CondHealthy  = "HEALTHY"  // its health check passed
)

// Dependency is one entry of a container's dependsOn.
type Dependency struct {
	Container string
	Condition string
}

// HealthCheck is a container's health check, run by Docker in the
// container: Command is ECS's form, ["CMD", ...] or ["CMD-SHELL", "..."].
type HealthCheck struct {
	Command     []string
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
}

// Validate checks what the local target relies on: unique names, an
// essential container, dependencies on containers of the task (with a
// health check for HEALTHY) and without a cycle, mounts of declared
// volumes, and the load balancer's container and port.
func (d *TaskDef) Validate() error {
	byName := map[string]*ContainerDef{}
	essential := false
	for i := range d.Containers {
		c := &d.Containers[i]
		if c.Name == "" || c.Image == "" {
			return fmt.Errorf("container %d: name and image are required", i+1)
		}
		if byName[c.Name] != nil {
			return fmt.Errorf("container %q: two containers have this name", c.Name)
		}
		byName[c.Name] = c
		essential = essential || c.Essential
	}
	if !essential {
		return fmt.Errorf("task %s: at least one container must be essential", d.Family)
	}
	volumes := map[string]bool{}
	for _, v := range d.Volumes {
		volumes[v] = true
	}
	for _, c := range d.Containers {
		if err := c.validateRefs(byName, volumes); err != nil {
			return err
		}
	}
	if _, err := d.startOrder(); err != nil {
		return err
	}
	lb := byName[d.LoadBalancer.Container]
	if lb == nil {
		return fmt.Errorf("load balancer: no container %q in the task", d.LoadBalancer.Container)
	}
	if d.LoadBalancer.Port <= 0 {
		return fmt.Errorf("load balancer: container %q needs a port", lb.Name)
	}
	return nil
}

func (c ContainerDef) validateRefs(byName map[string]*ContainerDef, volumes map[string]bool) error {
	for _, dep := range c.DependsOn {
		target := byName[dep.Container]
		switch {
		case target == nil:
			return fmt.Errorf("container %q: dependsOn %q: no such container in the task", c.Name, dep.Container)
		case dep.Condition != CondStart && dep.Condition != CondComplete && dep.Condition != CondSuccess && dep.Condition != CondHealthy:
			return fmt.Errorf("container %q: dependsOn %q: condition %q, want START, COMPLETE, SUCCESS or HEALTHY", c.Name, dep.Container, dep.Condition)
		case dep.Condition == CondHealthy && target.HealthCheck == nil:
			return fmt.Errorf("container %q: dependsOn %q HEALTHY, but %q has no health check", c.Name, dep.Container, dep.Container)
		case (dep.Condition == CondComplete || dep.Condition == CondSuccess) && target.Essential:
			return fmt.Errorf("container %q: dependsOn %q %s, but %q is essential: its exit stops the task", c.Name, dep.Container, dep.Condition, dep.Container)
		}
	}
	for _, m := range c.Mounts {
		if !volumes[m.Volume] {
			return fmt.Errorf("container %q: mount of volume %q, which the task does not declare", c.Name, m.Volume)
		}
	}
	return nil
}

// startOrder is the containers' indices in an order that starts every
// container after those it depends on (definition order otherwise), or
// an error naming a cycle.
func (d *TaskDef) startOrder() ([]int, error) {
	index := map[string]int{}
	for i, c := range d.Containers {
		index[c.Name] = i
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(d.Containers))
	var order []int
	var visit func(i int, path []string) error
	visit = func(i int, path []string) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("container %q: dependsOn makes a cycle: %v", d.Containers[i].Name, append(path, d.Containers[i].Name))
		}
		state[i] = visiting
		for _, dep := range d.Containers[i].DependsOn {
			if err := visit(index[dep.Container], append(path, d.Containers[i].Name)); err != nil {
				return err
			}
		}
		state[i] = done
		order = append(order, i)
		return nil
	}
	for i := range d.Containers {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}
