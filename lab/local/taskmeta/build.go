package taskmeta

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"
	"time"
)

// Statuses of tasks and containers, as ECS names them.
const (
	StatusPending = "PENDING"
	StatusRunning = "RUNNING"
	StatusStopped = "STOPPED"
)

// What lab answers where ECS would name AWS's infrastructure.
const (
	LaunchType           = "FARGATE"
	NetworkMode          = "awsvpc"
	ContainerType        = "NORMAL" // a container of the definition, not one of the agent's own
	ClockSynchronized    = "SYNCHRONIZED"
	ClockNotSynchronized = "NOT_SYNCHRONIZED"
	// DefaultEphemeralGiB is what Fargate reserves when the definition
	// asks for no ephemeral storage.
	DefaultEphemeralGiB = 20
)

// Task is what lab knows of one task: the input of Build.
type Task struct {
	Region    string // e.g. us-east-1; the availability zone is Region+"a"
	AccountID string // 12 digits in the ARNs
	Cluster   string // the cluster's short name
	Service   string // the service's name; empty for a task of no service
	ID        string // the task's id, the last part of its ARN
	Family    string
	Revision  int
	CPU       float64 // vCPU
	MemoryMiB int64

	DesiredStatus, KnownStatus   string
	PullStartedAt, PullStoppedAt time.Time
	StoppedAt                    time.Time // zero while it runs

	Clock            *ClockDrift // the host's clock (ReadClock); nil leaves it out
	EphemeralGiB     int64       // reserved; 0 is DefaultEphemeralGiB
	EphemeralUsedMiB int64

	Network    Interface
	Containers []Container
}

// Interface is the task's network interface: its address on the run's
// network, as Docker reports it.
type Interface struct {
	IPv4    string // e.g. 172.18.0.5
	MAC     string
	Subnet  string   // CIDR of the network, e.g. 172.18.0.0/16
	Gateway string   // e.g. 172.18.0.1
	DNS     []string // the resolvers the containers use
}

// Container is what lab knows of one container of a task.
type Container struct {
	Name       string // as the definition names it
	DockerID   string // empty until created
	DockerName string
	Image      string
	ImageID    string
	CPU        int   // cpu units of the definition (0: none)
	MemoryMiB  int64 // hard limit of the definition (0: none)

	DesiredStatus, KnownStatus       string
	CreatedAt, StartedAt, FinishedAt time.Time
	ExitCode                         *int

	DockerLabels map[string]string // the definition's dockerLabels
	Ports        []Port
	Health       *Health // nil: the container has no health check
	LogDriver    string
	LogOptions   map[string]string
	Snapshotter  string // the daemon's storage driver, e.g. overlay2
}

// TaskARN is the task's ARN, in the long format with the cluster's name.
func (t Task) TaskARN() string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", t.Region, t.AccountID, t.Cluster, t.ID)
}

// ClusterARN is the cluster's ARN.
func (t Task) ClusterARN() string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", t.Region, t.AccountID, t.Cluster)
}

// BuildTask is the task document.
func BuildTask(t Task) TaskResponse {
	r := TaskResponse{
		Cluster:          t.ClusterARN(),
		TaskARN:          t.TaskARN(),
		Family:           t.Family,
		Revision:         strconv.Itoa(t.Revision),
		DesiredStatus:    t.DesiredStatus,
		KnownStatus:      t.KnownStatus,
		Limits:           &Limits{CPU: ptr(t.CPU), Memory: ptr(t.MemoryMiB)},
		PullStartedAt:    timePtr(t.PullStartedAt),
		PullStoppedAt:    timePtr(t.PullStoppedAt),
		AvailabilityZone: t.Region + "a",
		LaunchType:       LaunchType,
		ServiceName:      t.Service,
		ClockDrift:       t.Clock,
		EphemeralStorageMetrics: &EphemeralStorageMetrics{
			Utilized: t.EphemeralUsedMiB,
			Reserved: cmpOr(t.EphemeralGiB, DefaultEphemeralGiB) * 1024,
		},
	}
	if t.KnownStatus == StatusStopped {
		r.ExecutionStoppedAt = timePtr(t.StoppedAt)
	}
	for _, c := range t.Containers {
		r.Containers = append(r.Containers, BuildContainer(t, c))
	}
	return r
}

// BuildContainer is the document of one container of task t.
func BuildContainer(t Task, c Container) ContainerResponse {
	labels := map[string]string{
		"com.amazonaws.ecs.cluster":                 t.ClusterARN(),
		"com.amazonaws.ecs.container-name":          c.Name,
		"com.amazonaws.ecs.task-arn":                t.TaskARN(),
		"com.amazonaws.ecs.task-definition-family":  t.Family,
		"com.amazonaws.ecs.task-definition-version": strconv.Itoa(t.Revision),
	}
	maps.Copy(labels, c.DockerLabels)
	r := ContainerResponse{
		DockerID:      c.DockerID,
		Name:          c.Name,
		DockerName:    c.DockerName,
		Image:         c.Image,
		ImageID:       c.ImageID,
		Ports:         c.Ports,
		Labels:        labels,
		DesiredStatus: c.DesiredStatus,
		KnownStatus:   c.KnownStatus,
		ExitCode:      c.ExitCode,
		Limits:        Limits{CPU: ptr(float64(c.CPU)), Memory: ptr(c.MemoryMiB)},
		CreatedAt:     timePtr(c.CreatedAt),
		StartedAt:     timePtr(c.StartedAt),
		FinishedAt:    timePtr(c.FinishedAt),
		Type:          ContainerType,
		Networks:      []Network{t.Network.network(t.Region)},
		Health:        c.Health,
		LogDriver:     c.LogDriver,
		LogOptions:    c.LogOptions,
		Snapshotter:   c.Snapshotter,
		ContainerARN:  fmt.Sprintf("arn:aws:ecs:%s:%s:container/%s/%s/%s", t.Region, t.AccountID, t.Cluster, t.ID, containerUUID(t.ID, c.Name)),
	}
	for i := range r.Ports {
		if r.Ports[i].HostPort == 0 {
			r.Ports[i].HostPort = r.Ports[i].ContainerPort // awsvpc
		}
	}
	return r
}

// network is the interface as the agent shows it in awsvpc mode. The
// gateway is written with the subnet's prefix length, as Fargate does.
func (n Interface) network(region string) Network {
	out := Network{
		NetworkMode:          NetworkMode,
		AttachmentIndex:      ptr(0),
		MACAddress:           n.MAC,
		IPv4SubnetCIDRBlock:  n.Subnet,
		DomainNameServers:    n.DNS,
		DomainNameSearchList: []string{region + ".compute.internal"},
	}
	if n.IPv4 != "" {
		out.IPv4Addresses = []string{n.IPv4}
		out.PrivateDNSName = "ip-" + strings.ReplaceAll(n.IPv4, ".", "-") + "." + region + ".compute.internal"
	}
	if _, cidr, err := net.ParseCIDR(n.Subnet); err == nil && n.Gateway != "" {
		ones, _ := cidr.Mask.Size()
		out.SubnetGatewayIPv4Address = n.Gateway + "/" + strconv.Itoa(ones)
	}
	return out
}

// containerUUID is a stable UUID-shaped id for a container of a task, so
// that its ARN does not change between two documents.
func containerUUID(taskID, name string) string {
	sum := sha256.Sum256([]byte(taskID + "/" + name))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func ptr[T any](v T) *T { return &v }

// timePtr is nil for the zero time: the key is then left out, as the
// agent leaves out what has not happened yet.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func cmpOr(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
