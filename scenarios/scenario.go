// Package scenarios is lab's scenario language: the model of a scenario
// file, its schema and strict loading with positioned errors (on the
// generic reader of scenarios/internal/strictyaml), its validation, the
// Fargate size table, and the built-in scenarios embedded beside the code.
package scenarios

import (
	"cmp"
	"time"

	"github.com/ecslab/lab/taskdef"
	"github.com/ecslab/lab/workload/knobs"
)

// Scenario is one validated experiment. Values are resolved: defaults are
// filled in and units converted (cpu in units, memory in MiB).
type Scenario struct {
	Name        string       `yaml:"name" json:"name"`
	Description string       `yaml:"description,omitempty" json:"description,omitempty"`
	Workload    Workload     `yaml:"workload" json:"workload"`
	Service     Service      `yaml:"service" json:"service"`
	Balancer    Balancer     `yaml:"balancer" json:"balancer"`
	Load        LoadSpec     `yaml:"load" json:"load"`
	Actions     []Action     `yaml:"actions,omitempty" json:"actions,omitempty"`
	Matrix      []Override   `yaml:"matrix,omitempty" json:"matrix,omitempty"`
	Autoscaling *Autoscaling `yaml:"autoscaling,omitempty" json:"autoscaling,omitempty"`
	Thresholds  []Threshold  `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// Secrets are environment variables of the tasks whose values come
	// from elsewhere and are never written down.
	Secrets []Secret `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	// TaskRole gives local tasks AWS credentials, as ECS gives a task
	// its task role's: TaskRoleUseMine or TaskRoleAssume; empty: none.
	TaskRole string `yaml:"task_role,omitempty" json:"task_role,omitempty"`
	// ECS is read only by --target ecs; nil when the file has no ecs section.
	ECS *ECS `yaml:"ecs,omitempty" json:"ecs,omitempty"`

	// Source names where the scenario came from: a file path, or
	// "builtin:NAME". It is not part of the file.
	Source string `yaml:"-" json:"-"`
}

// Workload is what runs in each task: the built-in mock app, a local
// image, or an ECS task definition. Exactly one of Builtin, Image and
// TaskDefinition is set; Port is BuiltinPort for the built-in app, and the
// load balancer's port for a task definition. Env holds the built-in
// app's knobs (CPU_WORK, LEAK_PER_REQUEST, DELAY_STEP) or an image's
// environment; a task definition carries its own.
type Workload struct {
	Builtin bool              `yaml:"builtin,omitempty" json:"builtin,omitempty"`
	Image   string            `yaml:"image,omitempty" json:"image,omitempty"`
	Port    int               `yaml:"port,omitempty" json:"port,omitempty"`
	Env     map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Command []string          `yaml:"command,omitempty" json:"command,omitempty"`
	// TaskDefinition names an ECS task definition: a JSON file (relative
	// to the scenario file; the loader makes the path absolute), an ARN,
	// or family[:revision].
	TaskDefinition string `yaml:"task_definition,omitempty" json:"task_definition,omitempty"`
	// Definition is the task definition TaskDefinition names: read by the
	// loader from a file, or by ResolveTaskDefinition from ECS (nil until
	// then). It is not part of the scenario file.
	Definition *taskdef.Definition `yaml:"-" json:"-"`
}

// RemoteTaskDefinition reports whether the workload names a registered
// task definition that ResolveTaskDefinition has yet to read.
func (w Workload) RemoteTaskDefinition() bool {
	return w.TaskDefinition != "" && w.Definition == nil
}

// The values of a scenario's task_role.
const (
	// TaskRoleUseMine serves the developer's own credentials (the AWS
	// SDK's default chain).
	TaskRoleUseMine = "use-my-credentials"
	// TaskRoleAssume serves the credentials of the task definition's
	// taskRoleArn, assumed with STS.
	TaskRoleAssume = "assume"
)

// BuiltinPort is the port the built-in app listens on, as the original did.
const BuiltinPort = knobs.DefaultPort

// Service is the ECS service: task size and desired count.
type Service struct {
	CPU         int         `yaml:"cpu" json:"cpu"`       // Fargate cpu units (1024 = 1 vCPU)
	Memory      int         `yaml:"memory" json:"memory"` // MiB
	Count       int         `yaml:"count" json:"count"`
	HealthCheck HealthCheck `yaml:"health_check" json:"health_check"`
	// LoadBalancer is the container and port the balancer sends to, as
	// ECS's loadBalancers block names them; only with a task definition,
	// where the loader fills it in (default: the first essential
	// container's first port mapping).
	LoadBalancer *LoadBalancer `yaml:"load_balancer,omitempty" json:"load_balancer,omitempty"`
	// StartDelay holds a new task PROVISIONING, then PENDING, before its
	// container starts (local target only; the file's fargate is
	// FargateStartDelay). The tasks of an entry's first deployment start
	// without it: no load runs yet.
	StartDelay time.Duration `yaml:"start_delay,omitempty" json:"start_delay,omitempty"`
}

// LoadBalancer names the container of a task definition, and its port,
// that the balancer sends requests to.
type LoadBalancer struct {
	Container string `yaml:"container" json:"container"`
	Port      int    `yaml:"port" json:"port"`
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
	// Matcher is ALB's success codes, as written: "200", "200,202",
	// "200-299" (Codes parses it). A redirect is a failure unless it
	// names the code.
	Matcher string `yaml:"matcher" json:"matcher"`
}

// Balancer is the ALB in front of the tasks.
type Balancer struct {
	Algorithm     string        `yaml:"algorithm" json:"algorithm"` // round_robin | least_outstanding_requests
	TargetTimeout time.Duration `yaml:"target_timeout" json:"target_timeout"`
	// IdleTimeout closes a client connection that sends no request, or
	// stops sending its body, for this long (ALB's idle timeout).
	IdleTimeout         time.Duration `yaml:"idle_timeout" json:"idle_timeout"`
	DeregistrationDelay time.Duration `yaml:"deregistration_delay" json:"deregistration_delay"`
}

// LoadSpec is the traffic lab drives at the balancer, the file's load
// section: GET Path, or a weighted mix of Requests (exactly one of the two
// is set). (The name Load belongs to the function that loads a file.)
type LoadSpec struct {
	Path     string        `yaml:"path,omitempty" json:"path,omitempty"`
	Requests []Request     `yaml:"requests,omitempty" json:"requests,omitempty"`
	Timeout  time.Duration `yaml:"timeout" json:"timeout"` // the client's request timeout
	Phases   []Phase       `yaml:"phases" json:"phases"`
	// Generators splits the load across this many generator processes
	// (containers locally), each sending its share; 0 or 1 is lab's own
	// in-process generator.
	Generators int `yaml:"generators,omitempty" json:"generators,omitempty"`
	// From is where the generators run: LoadFromLocal (empty: this
	// machine, lab's process or containers) or LoadFromECS (Fargate
	// tasks beside the service, with --target ecs only).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
}

// Where the load's generators run (load.from).
const (
	LoadFromLocal = "local"
	LoadFromECS   = "ecs"
)

// FromECS says whether the load's generators run as tasks on ECS.
func (l LoadSpec) FromECS() bool { return l.From == LoadFromECS }

// GeneratorCount is how many generators send the load: Generators, at
// least 1.
func (l LoadSpec) GeneratorCount() int { return max(l.Generators, 1) }

// Targets is what the generator sends: Requests, or one GET of Path.
func (l LoadSpec) Targets() []Request {
	if len(l.Requests) > 0 {
		return l.Requests
	}
	return []Request{{Method: "GET", Path: l.Path, Weight: 1}}
}

// Request is one kind of request in a weighted mix: each request sent is
// this one with probability Weight / (sum of the weights).
type Request struct {
	Method  string            `yaml:"method" json:"method"` // default GET
	Path    string            `yaml:"path" json:"path"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty" json:"body,omitempty"`
	Weight  int               `yaml:"weight" json:"weight"` // default 1
}

// Phase is one stretch of load. Open model: Rate (constant) or RampTo
// (linear from the previous phase's rate: its Rate or RampTo, 0 for the
// first phase or after a closed one). Closed model:
// Workers, each sending at most WorkerRate requests per second (0: as fast
// as the responses come back). A phase is one of the three.
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
// Zero values mean "as in the scenario". Label names the entry in results;
// it defaults to the entry's size.
type Override struct {
	Label  string            `yaml:"label,omitempty" json:"label,omitempty"`
	CPU    int               `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory int               `yaml:"memory,omitempty" json:"memory,omitempty"`
	Count  int               `yaml:"count,omitempty" json:"count,omitempty"`
	Env    map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
}

// Threshold is one parsed pass/fail expression, e.g. "p99 < 500ms".
// Value is in the metric's canonical unit: milliseconds for latencies,
// percent for rates and utilizations, plain numbers otherwise. Unit is the
// unit as written ("ms", "s", "%" or ""); see ParseThreshold.
type Threshold struct {
	Expr   string  `json:"expr"`
	Metric string  `json:"metric"` // canonical name: p99, error_rate, cpu_avg, ...
	Op     string  `json:"op"`     // <, <=, >, >=, ==, !=
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
}

// Action is an operation scheduled at a time within each entry's load:
// exactly one of Scale, Resize, KillTask and StopTask is set.
type Action struct {
	At       time.Duration `yaml:"at" json:"at"`
	Scale    int           `yaml:"scale,omitempty" json:"scale,omitempty"`         // set the desired count (1 or more)
	Resize   *Size         `yaml:"resize,omitempty" json:"resize,omitempty"`       // deploy the service at this size
	KillTask int           `yaml:"kill_task,omitempty" json:"kill_task,omitempty"` // kill this many running tasks, as a crash would (locally SIGKILL; ECS can only StopTask)
	// StopTask stops this many running tasks as ECS's StopTask does, on
	// both targets: SIGTERM, then SIGKILL after the stop timeout.
	StopTask int `yaml:"stop_task,omitempty" json:"stop_task,omitempty"`
}

// Name is the action's operation: "scale", "resize", "kill_task" or
// "stop_task".
func (a Action) Name() string {
	switch {
	case a.Resize != nil:
		return "resize"
	case a.KillTask > 0:
		return "kill_task"
	case a.StopTask > 0:
		return "stop_task"
	default:
		return "scale"
	}
}

// Autoscaling is Application Auto Scaling on the service's desired count:
// lab runs it itself on the local target and registers it on ECS.
type Autoscaling struct {
	Min int `yaml:"min" json:"min"`
	Max int `yaml:"max" json:"max"`
	// MetricPeriod is the datapoint period (AWS: 60s); shorter locally to
	// compress time. --duration does not change it.
	MetricPeriod time.Duration `yaml:"metric_period" json:"metric_period"`
	// HighDatapoints and LowDatapoints are how many consecutive datapoints
	// a target tracking policy's high (scale-out) and low (scale-in) alarms
	// need: 3 and 15, as observed on AWS.
	HighDatapoints int      `yaml:"high_datapoints" json:"high_datapoints"`
	LowDatapoints  int      `yaml:"low_datapoints" json:"low_datapoints"`
	Policies       []Policy `yaml:"policies" json:"policies"`
}

// Policy is one scaling policy: exactly one of TargetTracking and
// StepScaling is set. Name defaults to "<metric>-target-tracking" or
// "<metric>-step-scaling".
type Policy struct {
	Name           string          `yaml:"name" json:"name"`
	TargetTracking *TargetTracking `yaml:"target_tracking,omitempty" json:"target_tracking,omitempty"`
	StepScaling    *StepScaling    `yaml:"step_scaling,omitempty" json:"step_scaling,omitempty"`
}

// Scaling metrics, for target tracking and step scaling.
const (
	MetricCPU               = "cpu"                 // ECSServiceAverageCPUUtilization, percent
	MetricMemory            = "memory"              // ECSServiceAverageMemoryUtilization, percent
	MetricRequestsPerTarget = "requests_per_target" // ALBRequestCountPerTarget, requests per target per minute
	MetricResponseTime      = "response_time"       // ALB TargetResponseTime (average), milliseconds
)

// ScalingMetrics lists the metrics a scaling policy can use.
func ScalingMetrics() []string {
	return []string{MetricCPU, MetricMemory, MetricRequestsPerTarget, MetricResponseTime}
}

// TargetTracking keeps Metric near Target. Target is in the metric's unit:
// percent for cpu and memory, requests per target per minute, or
// milliseconds for response_time (written as a duration, e.g. 2s).
type TargetTracking struct {
	Metric           string        `yaml:"metric" json:"metric"`
	Target           float64       `yaml:"target" json:"target"`
	ScaleOutCooldown time.Duration `yaml:"scale_out_cooldown" json:"scale_out_cooldown"` // default 300s, as ECS
	ScaleInCooldown  time.Duration `yaml:"scale_in_cooldown" json:"scale_in_cooldown"`   // default 300s, as ECS
	DisableScaleIn   bool          `yaml:"disable_scale_in,omitempty" json:"disable_scale_in,omitempty"`
}

// StepScaling adjusts the count by steps when an alarm on Metric fires:
// the alarm is "Metric Comparison Threshold" on Datapoints consecutive
// datapoints. Step bounds are relative to Threshold, in the metric's unit.
type StepScaling struct {
	Metric                 string        `yaml:"metric" json:"metric"`
	Comparison             string        `yaml:"comparison" json:"comparison"` // >, >=, <, <=
	Threshold              float64       `yaml:"threshold" json:"threshold"`
	Datapoints             int           `yaml:"datapoints" json:"datapoints"`           // default 1
	AdjustmentType         string        `yaml:"adjustment_type" json:"adjustment_type"` // default change_in_capacity
	MinAdjustmentMagnitude int           `yaml:"min_adjustment_magnitude,omitempty" json:"min_adjustment_magnitude,omitempty"`
	Cooldown               time.Duration `yaml:"cooldown" json:"cooldown"` // default 300s
	Steps                  []Step        `yaml:"steps" json:"steps"`
}

// Step adjustment types.
const (
	ChangeInCapacity        = "change_in_capacity"
	ExactCapacity           = "exact_capacity"
	PercentChangeInCapacity = "percent_change_in_capacity"
)

// Step is one step adjustment: when the metric minus the threshold is in
// [Lower, Upper), adjust the count by Adjustment. A nil bound is
// unbounded (minus or plus infinity).
type Step struct {
	Lower      *float64 `yaml:"lower,omitempty" json:"lower,omitempty"`
	Upper      *float64 `yaml:"upper,omitempty" json:"upper,omitempty"`
	Adjustment int      `yaml:"adjustment" json:"adjustment"`
}

// ECS is where --target ecs runs the scenario. It may also come from a
// separate file (--ecs FILE, see ParseECS).
type ECS struct {
	Region  string `yaml:"region,omitempty" json:"region,omitempty"`
	Cluster string `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	// Subnets serve both the ALB and the tasks, when ALBSubnets or
	// TaskSubnets leave them out.
	Subnets     []string `yaml:"subnets,omitempty" json:"subnets,omitempty"`
	ALBSubnets  []string `yaml:"alb_subnets,omitempty" json:"alb_subnets,omitempty"`
	TaskSubnets []string `yaml:"task_subnets,omitempty" json:"task_subnets,omitempty"`
	// SecurityGroups, when given, serve both the ALB and the tasks, and
	// lab creates none; left out, lab creates and owns one for each.
	SecurityGroups []string `yaml:"security_groups,omitempty" json:"security_groups,omitempty"`
	// ALBIngressCIDRs may reach the ALB's listener (lab's own security
	// group); left out, the caller's public address (or the VPC, for an
	// internal ALB).
	ALBIngressCIDRs []string `yaml:"alb_ingress_cidrs,omitempty" json:"alb_ingress_cidrs,omitempty"`
	// AssignPublicIP gives the tasks public addresses; nil: derived from
	// the task subnets' routes (public subnets need it to reach ECR).
	AssignPublicIP *bool `yaml:"assign_public_ip,omitempty" json:"assign_public_ip,omitempty"`
	// Internal makes the ALB internal (load from inside the VPC).
	Internal bool `yaml:"internal,omitempty" json:"internal,omitempty"`
	// RuntimePlatform is the tasks' CPU architecture: X86_64 (default) or
	// ARM64 (Graviton).
	RuntimePlatform string `yaml:"runtime_platform,omitempty" json:"runtime_platform,omitempty"`
	Image           string `yaml:"image,omitempty" json:"image,omitempty"`
	// GeneratorImage is lab's own image pushed to a registry, which
	// load.from: ecs runs as generator tasks; default Image when the
	// workload is the built-in app (the same image).
	GeneratorImage   string `yaml:"generator_image,omitempty" json:"generator_image,omitempty"`
	ExecutionRoleARN string `yaml:"execution_role_arn,omitempty" json:"execution_role_arn,omitempty"`
	TargetGroupARN   string `yaml:"target_group_arn,omitempty" json:"target_group_arn,omitempty"`
	// Endpoint is the base URL the load goes to on ECS (a domain in front
	// of the ALB); empty: http:// and the ALB's DNS name.
	Endpoint string `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
	// NameSuffix ends every AWS name lab makes and is the lab.owner tag;
	// empty: derived from the caller's AWS identity.
	NameSuffix string `yaml:"name_suffix,omitempty" json:"name_suffix,omitempty"`
}

// Runtime platforms (ECS's cpuArchitecture).
const (
	X86_64 = "X86_64"
	ARM64  = "ARM64"
)

// Entry is one resolved run of the scenario: the service with one matrix
// override applied.
type Entry struct {
	Index int               // 0-based position in the matrix
	Label string            // the override's label, else the size, e.g. "256/512"
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
		e.Label = cmp.Or(o.Label, e.Size.String())
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
