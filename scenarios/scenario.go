// Package scenarios is lab's scenario language: the model of a scenario
// file, its strict loading with positioned errors, its validation, the
// Fargate size table, and the built-in scenarios embedded beside the code.
package scenarios

import (
	"fmt"
	"time"
)

// Scenario is one validated experiment. Values are resolved: defaults are
// filled in and units converted (cpu in units, memory in MiB).
type Scenario struct {
	Name        string      `yaml:"name" json:"name"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	Workload    Workload    `yaml:"workload" json:"workload"`
	Service     Service     `yaml:"service" json:"service"`
	Balancer    Balancer    `yaml:"balancer" json:"balancer"`
	Load        Load        `yaml:"load" json:"load"`
	Matrix      []Override  `yaml:"matrix,omitempty" json:"matrix,omitempty"`
	Thresholds  []Threshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`

	// Source names where the scenario came from: a file path, or
	// "builtin:NAME". It is not part of the file.
	Source string `yaml:"-" json:"-"`
}

// Workload is what runs in each task: the built-in mock app or a local image.
type Workload struct {
	Builtin bool              `yaml:"builtin,omitempty" json:"builtin,omitempty"`
	Image   string            `yaml:"image,omitempty" json:"image,omitempty"`
	Port    int               `yaml:"port,omitempty" json:"port,omitempty"`
	Env     map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Command []string          `yaml:"command,omitempty" json:"command,omitempty"`
}

// BuiltinPort is the port the built-in app listens on, as the original did.
const BuiltinPort = 5000

// Service is the ECS service: task size and desired count.
type Service struct {
	CPU         int         `yaml:"cpu" json:"cpu"`       // Fargate cpu units (1024 = 1 vCPU)
	Memory      int         `yaml:"memory" json:"memory"` // MiB
	Count       int         `yaml:"count" json:"count"`
	HealthCheck HealthCheck `yaml:"health_check" json:"health_check"`
}

// HealthCheck is the balancer's per-target health check (ALB semantics,
// compressed defaults for a lab).
type HealthCheck struct {
	Path               string        `yaml:"path" json:"path"`
	Interval           time.Duration `yaml:"interval" json:"interval"`
	Timeout            time.Duration `yaml:"timeout" json:"timeout"`
	HealthyThreshold   int           `yaml:"healthy_threshold" json:"healthy_threshold"`
	UnhealthyThreshold int           `yaml:"unhealthy_threshold" json:"unhealthy_threshold"`
	GracePeriod        time.Duration `yaml:"grace_period,omitempty" json:"grace_period,omitempty"`
}

// Balancer is the ALB in front of the tasks.
type Balancer struct {
	Algorithm           string        `yaml:"algorithm" json:"algorithm"` // round_robin | least_outstanding_requests
	TargetTimeout       time.Duration `yaml:"target_timeout" json:"target_timeout"`
	DeregistrationDelay time.Duration `yaml:"deregistration_delay" json:"deregistration_delay"`
}

// Load is the traffic lab drives at the balancer.
type Load struct {
	Path    string        `yaml:"path" json:"path"`
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	Phases  []Phase       `yaml:"phases" json:"phases"`
}

// Phase is one stretch of load. Open model: Rate (constant) or RampTo
// (linear from the previous phase's rate). Closed model: Workers, each
// sending at most WorkerRate requests per second.
type Phase struct {
	Duration   time.Duration `yaml:"duration" json:"duration"`
	Rate       float64       `yaml:"rate,omitempty" json:"rate,omitempty"`
	RampTo     float64       `yaml:"ramp_to,omitempty" json:"ramp_to,omitempty"`
	Workers    int           `yaml:"workers,omitempty" json:"workers,omitempty"`
	WorkerRate float64       `yaml:"worker_rate,omitempty" json:"worker_rate,omitempty"`
}

// Closed reports whether the phase uses the closed model (workers).
func (p Phase) Closed() bool { return p.Workers > 0 }

// Ramp reports whether the phase ramps its rate linearly.
func (p Phase) Ramp() bool { return p.RampTo > 0 }

// Override is one matrix entry: what differs from the service and workload.
// Zero values mean "as in the scenario".
type Override struct {
	CPU    int               `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory int               `yaml:"memory,omitempty" json:"memory,omitempty"`
	Count  int               `yaml:"count,omitempty" json:"count,omitempty"`
	Env    map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
}

// Threshold is one parsed pass/fail expression, e.g. "p99 < 500ms".
// Value is in the metric's canonical unit: milliseconds for latencies,
// percent for rates and utilizations, plain numbers otherwise.
type Threshold struct {
	Expr   string  `json:"expr"`
	Metric string  `json:"metric"`
	Op     string  `json:"op"` // <, <=, >, >=, ==, !=
	Value  float64 `json:"value"`
}

// Size is a Fargate task size.
type Size struct {
	CPU    int `json:"cpu"`    // units
	Memory int `json:"memory"` // MiB
}

// String is the size as lab labels it everywhere: "256/512".
func (s Size) String() string { return fmt.Sprintf("%d/%d", s.CPU, s.Memory) }

// VCPU is the size's cpu in vCPU.
func (s Size) VCPU() float64 { return float64(s.CPU) / 1024 }

// Entry is one resolved run of the scenario: the service with one matrix
// override applied.
type Entry struct {
	Index int               // 0-based position in the matrix
	Label string            // the size, e.g. "256/512"
	Size  Size              //
	Count int               // desired tasks at start
	Env   map[string]string // workload env, scenario's merged with the override's
}

// Entries resolves the matrix: one entry per override, or one entry for
// the service itself when there is no matrix.
func (s *Scenario) Entries() []Entry {
	base := Entry{
		Size:  Size{CPU: s.Service.CPU, Memory: s.Service.Memory},
		Count: s.Service.Count,
		Env:   s.Workload.Env,
	}
	if len(s.Matrix) == 0 {
		base.Label = base.Size.String()
		return []Entry{base}
	}
	entries := make([]Entry, 0, len(s.Matrix))
	for i, o := range s.Matrix {
		e := base
		e.Index = i
		if o.CPU != 0 {
			e.Size.CPU = o.CPU
		}
		if o.Memory != 0 {
			e.Size.Memory = o.Memory
		}
		if o.Count != 0 {
			e.Count = o.Count
		}
		e.Env = mergeEnv(s.Workload.Env, o.Env)
		e.Label = e.Size.String()
		entries = append(entries, e)
	}
	return entries
}

// LoadDuration is the total length of the load phases of one entry.
func (s *Scenario) LoadDuration() time.Duration {
	var d time.Duration
	for _, p := range s.Load.Phases {
		d += p.Duration
	}
	return d
}

func mergeEnv(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	m := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}
