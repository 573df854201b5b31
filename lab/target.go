package lab

import (
	"context"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// Target is where a scenario's service runs: local Docker or Amazon ECS.
type Target interface {
	// Name is "local" or "ecs".
	Name() string
	// Deploy starts the entry's tasks and returns once the endpoint
	// routes to healthy tasks. Events the target sees (task starts and
	// stops, health changes) go to emit, from any goroutine.
	Deploy(ctx context.Context, e scenarios.Entry, emit func(Event)) error
	// Endpoint is the base URL the load goes to, e.g. http://127.0.0.1:40123.
	Endpoint() string
	// Observe returns the service's state now. It must be cheap: the run
	// calls it once a tick.
	Observe() Observation
	// Scale sets the service's desired count.
	Scale(ctx context.Context, n int) error
	// Resize deploys the service at another task size, rolling: it
	// returns once the new tasks serve and the old ones are gone.
	Resize(ctx context.Context, size scenarios.Size) error
	// KillTask stops n running tasks as a crash would (chaos). ECS has
	// no such call: there it is StopTask.
	KillTask(ctx context.Context, n int) error
	// StopTask stops n running tasks as ECS's StopTask does: out of the
	// balancer, SIGTERM, SIGKILL after the stop timeout. The tasks stop
	// with StopTaskReason and are replaced.
	StopTask(ctx context.Context, n int) error
	// Teardown stops and removes the entry's tasks.
	Teardown(ctx context.Context) error
	// Close removes everything the target created for the run.
	Close(ctx context.Context) error
}

// SelfScaling is implemented by a target whose platform scales the
// service by itself (ECS: Application Auto Scaling, from the scenario's
// autoscaling section). Lab runs no autoscaler of its own on such a
// target and counts the scaling decisions the target reports; on the
// others (local), lab's autoscaler scales and counts what it applies.
type SelfScaling interface {
	// ScalesItself reports whether the platform scales the service.
	ScalesItself() bool
}

// Observation is the service as the target sees it at one instant.
type Observation struct {
	Desired int
	Running int
	Healthy int
	Tasks   []TaskStat
	// CPUPct and MemPct are the service's utilization in percent of its
	// envelope (task size x running tasks), as ECS's CPUUtilization and
	// MemoryUtilization are. Zero when nothing runs.
	CPUPct float64
	MemPct float64
	// The balancer's counters since the run's target started, over every
	// task it ever had: requests routed, and the summed response time of
	// the responses (ALB's RequestCount and TargetResponseTime). Rates
	// come from the difference between two observations.
	Requests     int64
	ResponseTime time.Duration
	Responses    int64
}

// TaskStat is one task's resource use.
type TaskStat struct {
	ID   string
	Size scenarios.Size
	// State is provisioning or pending while the target holds a new
	// task (StartsIn is then the time left), pending from its start until
	// it is healthy once, then running.
	State    string
	StartsIn time.Duration
	Healthy  bool
	CPUPct   float64 // percent of the task's cpu envelope, capped at 100 as ECS does
	MemMiB   float64 // resident memory (usage less page cache)
	MemPct   float64 // percent of the task's memory limit
	Requests int64   // requests the balancer sent to it
	// Containers are the task's containers when it has several (a task
	// definition's), in the definition's order; nil otherwise.
	Containers []ContainerStat
}

// ContainerStat is one container's state and resource use, in a task of
// several.
type ContainerStat struct {
	Name      string
	Essential bool
	State     string  // pending, running or exited
	Health    string  // healthy, unhealthy, or "" without a health check result
	ExitCode  *int    // when exited
	CPUPct    float64 // percent of the task's cpu envelope
	MemMiB    float64 // resident memory (usage less page cache)
}

// ServiceUtilization computes the service-level figures ECS publishes:
// used cpu (memory) of all tasks over task size x number of tasks.
func ServiceUtilization(tasks []TaskStat) (cpuPct, memPct float64) {
	var cpuUsed, cpuCap, memUsed, memCap float64
	for _, t := range tasks {
		cpuUsed += t.CPUPct / 100 * float64(t.Size.CPU)
		cpuCap += float64(t.Size.CPU)
		memUsed += t.MemMiB
		memCap += float64(t.Size.Memory)
	}
	if cpuCap > 0 {
		cpuPct = 100 * cpuUsed / cpuCap
	}
	if memCap > 0 {
		memPct = 100 * memUsed / memCap
	}
	return cpuPct, memPct
}
