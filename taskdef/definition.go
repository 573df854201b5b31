package taskdef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ecslab/lab/fargate"
)

// Definition is a task definition as ECS JSON writes it. Task-level CPU and
// Memory are strings there ("256", "512", or "1 vCPU", "2 GB"); use Size to
// read them.
type Definition struct {
	Family           string            `json:"family"`
	CPU              string            `json:"cpu,omitempty"`
	Memory           string            `json:"memory,omitempty"`
	NetworkMode      string            `json:"networkMode,omitempty"`
	TaskRoleARN      string            `json:"taskRoleArn,omitempty"`
	ExecutionRoleARN string            `json:"executionRoleArn,omitempty"`
	RuntimePlatform  *RuntimePlatform  `json:"runtimePlatform,omitempty"`
	Volumes          []Volume          `json:"volumes,omitempty"`
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
	// PIDMode "task" shares one process namespace between the containers.
	PIDMode              string      `json:"pidMode,omitempty"`
	ContainerDefinitions []Container `json:"containerDefinitions"`

	// TaskDefinitionARN and Revision are describe-task-definition's
	// read-only fields, kept when the file has them (the metadata
	// endpoint reports them); 0 and "" otherwise.
	TaskDefinitionARN string `json:"taskDefinitionArn,omitempty"`
	Revision          int    `json:"revision,omitempty"`

	// Source is the name the definition was read from (a path, or an ARN).
	Source string `json:"-"`
	// Warnings are the fields lab accepts without honouring them locally,
	// each at its position: they are kept when lab registers the
	// definition on ECS.
	Warnings []*Error `json:"-"`
	// Raw is the definition's JSON object as the file has it (without
	// the describe wrapper), for registering it on ECS as it is.
	Raw json.RawMessage `json:"-"`

	pos positions // the position of every field, for errors found later
}

// RuntimePlatform is the OS and CPU architecture the task asks for.
type RuntimePlatform struct {
	CPUArchitecture       string `json:"cpuArchitecture,omitempty"`       // X86_64 or ARM64
	OperatingSystemFamily string `json:"operatingSystemFamily,omitempty"` // LINUX; Windows is refused
}

// Volume is a task volume. On Fargate only a bind volume (a name, shared by
// the containers that mount it) is supported; EFS, Docker volumes and host
// paths are refused by the loader.
type Volume struct {
	Name string      `json:"name"`
	Host *HostVolume `json:"host,omitempty"`
}

// HostVolume is a volume's host block; Fargate allows it only empty.
type HostVolume struct {
	SourcePath string `json:"sourcePath,omitempty"`
}

// EphemeralStorage is the task's writable storage beyond the default 20 GiB.
type EphemeralStorage struct {
	SizeInGiB int `json:"sizeInGiB"`
}

// Container is one container definition.
type Container struct {
	Name              string `json:"name"`
	Image             string `json:"image"`
	CPU               int    `json:"cpu,omitempty"`               // cpu units; 0: a share of what the others leave
	Memory            *int   `json:"memory,omitempty"`            // hard limit, MiB
	MemoryReservation *int   `json:"memoryReservation,omitempty"` // soft limit, MiB
	// Essential is nil when the file leaves it out: ECS then treats the
	// container as essential. Use IsEssential.
	Essential              *bool             `json:"essential,omitempty"`
	DependsOn              []Dependency      `json:"dependsOn,omitempty"`
	HealthCheck            *HealthCheck      `json:"healthCheck,omitempty"`
	PortMappings           []PortMapping     `json:"portMappings,omitempty"`
	Environment            []KeyValue        `json:"environment,omitempty"`
	Secrets                []Secret          `json:"secrets,omitempty"`
	Command                []string          `json:"command,omitempty"`
	EntryPoint             []string          `json:"entryPoint,omitempty"`
	WorkingDirectory       string            `json:"workingDirectory,omitempty"`
	User                   string            `json:"user,omitempty"`
	ReadonlyRootFilesystem *bool             `json:"readonlyRootFilesystem,omitempty"`
	Ulimits                []Ulimit          `json:"ulimits,omitempty"`
	StartTimeout           *int              `json:"startTimeout,omitempty"` // seconds to wait for dependencies
	StopTimeout            *int              `json:"stopTimeout,omitempty"`  // seconds from SIGTERM to SIGKILL
	LinuxParameters        *LinuxParameters  `json:"linuxParameters,omitempty"`
	DockerLabels           map[string]string `json:"dockerLabels,omitempty"`
	LogConfiguration       *LogConfiguration `json:"logConfiguration,omitempty"`
	MountPoints            []MountPoint      `json:"mountPoints,omitempty"`
	VolumesFrom            []VolumeFrom      `json:"volumesFrom,omitempty"`
	// EnvironmentFiles are files in S3: lab refuses them (it cannot read
	// the bucket as the task would); the field exists to say so.
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`
}

// Dependency conditions, as ECS names them.
const (
	Start    = "START"    // the dependency has started
	Complete = "COMPLETE" // it has exited, with any code
	Success  = "SUCCESS"  // it has exited with code 0
	Healthy  = "HEALTHY"  // its health check passed
)

// Dependency is one entry of dependsOn: wait for ContainerName to reach
// Condition before starting.
type Dependency struct {
	ContainerName string `json:"containerName"`
	Condition     string `json:"condition"`
}

// HealthCheck is a container health check. Command is ["CMD", args...] or
// ["CMD-SHELL", "shell command"]; the durations are seconds, 0 when unset
// (the methods give ECS's defaults).
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval,omitempty"`
	Timeout     int      `json:"timeout,omitempty"`
	Retries     int      `json:"retries,omitempty"`
	StartPeriod int      `json:"startPeriod,omitempty"`
}

// ECS's health check defaults.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthRetries  = 3
)

// IntervalOrDefault is the time between checks (ECS default 30 s).
func (h HealthCheck) IntervalOrDefault() time.Duration {
	return secondsOr(h.Interval, DefaultHealthInterval)
}

// TimeoutOrDefault is how long one check may take (ECS default 5 s).
func (h HealthCheck) TimeoutOrDefault() time.Duration {
	return secondsOr(h.Timeout, DefaultHealthTimeout)
}

// RetriesOrDefault is how many failed checks in a row make the container
// UNHEALTHY (ECS default 3).
func (h HealthCheck) RetriesOrDefault() int {
	if h.Retries > 0 {
		return h.Retries
	}
	return DefaultHealthRetries
}

// StartPeriodDuration is the grace period during which failures do not
// count (default none).
func (h HealthCheck) StartPeriodDuration() time.Duration {
	return time.Duration(h.StartPeriod) * time.Second
}

func secondsOr(s int, def time.Duration) time.Duration {
	if s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// PortMapping is a port the container listens on. In awsvpc mode HostPort
// is 0 or equal to ContainerPort.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"` // tcp (default) or udp
	Name          string `json:"name,omitempty"`
	AppProtocol   string `json:"appProtocol,omitempty"`
}

// ProtocolOrDefault is the mapping's protocol, "tcp" when unset.
func (p PortMapping) ProtocolOrDefault() string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

// KeyValue is one environment variable.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Secret is an environment variable whose value comes from Secrets Manager
// or Parameter Store (ValueFrom is the ARN or parameter name).
type Secret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// Ulimit is one resource limit (nofile, nproc, ...).
type Ulimit struct {
	Name      string `json:"name"`
	SoftLimit int    `json:"softLimit"`
	HardLimit int    `json:"hardLimit"`
}

// LinuxParameters are the Linux options Fargate supports that lab honours.
type LinuxParameters struct {
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`
}

// LogConfiguration is where ECS sends the container's output: lab shows it
// and keeps it for ECS, and does not emulate the driver.
type LogConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options,omitempty"`
	SecretOptions []Secret          `json:"secretOptions,omitempty"`
}

// MountPoint mounts a task volume into the container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      *bool  `json:"readOnly,omitempty"`
}

// VolumeFrom mounts every volume of another container of the task.
type VolumeFrom struct {
	SourceContainer string `json:"sourceContainer"`
	ReadOnly        *bool  `json:"readOnly,omitempty"`
}

// EnvironmentFile is an environment file in S3.
type EnvironmentFile struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// IsEssential reports whether the container is essential: true unless the
// file says "essential": false.
func (c *Container) IsEssential() bool { return c.Essential == nil || *c.Essential }

// Port is the container's mapping of containerPort, if it has one.
func (c *Container) Port(containerPort int) (PortMapping, bool) {
	for _, p := range c.PortMappings {
		if p.ContainerPort == containerPort {
			return p, true
		}
	}
	return PortMapping{}, false
}

// Container is the container named name, or nil.
func (d *Definition) Container(name string) *Container {
	for i := range d.ContainerDefinitions {
		if d.ContainerDefinitions[i].Name == name {
			return &d.ContainerDefinitions[i]
		}
	}
	return nil
}

// Target is the container and port a load balancer sends to.
type Target struct {
	Container string
	Port      int
}

// DefaultTarget is the first essential container's first port mapping,
// where a service's load balancer sends when the scenario names none.
// ok is false when no essential container maps a port.
func (d *Definition) DefaultTarget() (t Target, ok bool) {
	for _, c := range d.ContainerDefinitions {
		if c.IsEssential() && len(c.PortMappings) > 0 {
			return Target{Container: c.Name, Port: c.PortMappings[0].ContainerPort}, true
		}
	}
	return Target{}, false
}

// CheckTarget returns nil when t names a container of the definition that
// maps port t.Port, and otherwise an error that says what would do.
func (d *Definition) CheckTarget(t Target) error {
	c := d.Container(t.Container)
	if c == nil {
		return fmt.Errorf("task definition %s has no container %q (containers: %s)", d.Family, t.Container, strings.Join(d.containerNames(), ", "))
	}
	if _, ok := c.Port(t.Port); !ok {
		var ports []string
		for _, p := range c.PortMappings {
			ports = append(ports, strconv.Itoa(p.ContainerPort))
		}
		if len(ports) == 0 {
			return fmt.Errorf("container %q maps no port: add a portMappings entry for %d", c.Name, t.Port)
		}
		return fmt.Errorf("container %q maps no port %d (it maps %s)", c.Name, t.Port, strings.Join(ports, ", "))
	}
	return nil
}

func (d *Definition) containerNames() []string {
	names := make([]string, len(d.ContainerDefinitions))
	for i, c := range d.ContainerDefinitions {
		names[i] = c.Name
	}
	return names
}

// Size is the task-level cpu and memory; ok is false when the file leaves
// either out (a scenario's size then decides). The loader has checked that
// a size the file gives is a Fargate size.
func (d *Definition) Size() (size fargate.Size, ok bool) {
	if d.CPU == "" || d.Memory == "" {
		return fargate.Size{}, false
	}
	cpu, err1 := parseCPU(d.CPU)
	mem, err2 := parseMemory(d.Memory)
	if err1 != nil || err2 != nil {
		return fargate.Size{}, false
	}
	return fargate.Size{CPU: cpu, Memory: mem}, true
}

// Equal reports whether d and o are the same definition: the same JSON
// object. (go-cmp uses it; the positions a Definition keeps for its
// errors are no part of it.)
func (d *Definition) Equal(o *Definition) bool {
	if d == nil || o == nil {
		return d == o
	}
	return bytes.Equal(d.Raw, o.Raw)
}
