// Package taskmeta renders what the ECS task metadata endpoint version 4
// answers, for a task lab runs locally: the container document
// (${ECS_CONTAINER_METADATA_URI_V4}), the task document (/task) and the
// Docker stats documents (/stats, /task/stats).
//
// The types follow the ECS agent's v4 response types field for field
// (names, JSON keys, which keys are omitted when empty), because the
// programs that read the endpoint (Datadog, the OpenTelemetry collector,
// FireLens) decode those keys. Build turns what lab knows of a task into
// them; nothing here talks to Docker or serves HTTP.
package taskmeta

import (
	"time"

	"github.com/docker/docker/api/types/container"
)

// TaskResponse is the task document (${ECS_CONTAINER_METADATA_URI_V4}/task).
type TaskResponse struct {
	Cluster                 string                   `json:"Cluster"`
	TaskARN                 string                   `json:"TaskARN"`
	Family                  string                   `json:"Family"`
	Revision                string                   `json:"Revision"`
	DesiredStatus           string                   `json:"DesiredStatus,omitempty"`
	KnownStatus             string                   `json:"KnownStatus"`
	Containers              []ContainerResponse      `json:"Containers,omitempty"`
	Limits                  *Limits                  `json:"Limits,omitempty"`
	PullStartedAt           *time.Time               `json:"PullStartedAt,omitempty"`
	PullStoppedAt           *time.Time               `json:"PullStoppedAt,omitempty"`
	ExecutionStoppedAt      *time.Time               `json:"ExecutionStoppedAt,omitempty"`
	AvailabilityZone        string                   `json:"AvailabilityZone,omitempty"`
	LaunchType              string                   `json:"LaunchType,omitempty"`
	ServiceName             string                   `json:"ServiceName,omitempty"`
	ClockDrift              *ClockDrift              `json:"ClockDrift,omitempty"`
	EphemeralStorageMetrics *EphemeralStorageMetrics `json:"EphemeralStorageMetrics,omitempty"`
	FaultInjectionEnabled   bool                     `json:"FaultInjectionEnabled"`
}

// ContainerResponse is the container document (${ECS_CONTAINER_METADATA_URI_V4}),
// and one element of the task document's Containers.
type ContainerResponse struct {
	DockerID      string            `json:"DockerId"`
	Name          string            `json:"Name"`
	DockerName    string            `json:"DockerName"`
	Image         string            `json:"Image"`
	ImageID       string            `json:"ImageID"`
	Ports         []Port            `json:"Ports,omitempty"`
	Labels        map[string]string `json:"Labels,omitempty"`
	DesiredStatus string            `json:"DesiredStatus"`
	KnownStatus   string            `json:"KnownStatus"`
	ExitCode      *int              `json:"ExitCode,omitempty"`
	Limits        Limits            `json:"Limits"`
	CreatedAt     *time.Time        `json:"CreatedAt,omitempty"`
	StartedAt     *time.Time        `json:"StartedAt,omitempty"`
	FinishedAt    *time.Time        `json:"FinishedAt,omitempty"`
	Type          string            `json:"Type"`
	Networks      []Network         `json:"Networks,omitempty"`
	Health        *Health           `json:"Health,omitempty"`
	LogDriver     string            `json:"LogDriver,omitempty"`
	LogOptions    map[string]string `json:"LogOptions,omitempty"`
	ContainerARN  string            `json:"ContainerARN,omitempty"`
	Snapshotter   string            `json:"Snapshotter,omitempty"`
}

// Limits are a task's (CPU in vCPU, memory in MiB) or a container's (CPU
// in cpu units, memory in MiB) resource limits.
type Limits struct {
	CPU    *float64 `json:"CPU,omitempty"`
	Memory *int64   `json:"Memory,omitempty"`
}

// Port is one port mapping of a container. In awsvpc mode the host port
// is the container port.
type Port struct {
	ContainerPort uint16 `json:"ContainerPort,omitempty"`
	Protocol      string `json:"Protocol,omitempty"`
	HostPort      uint16 `json:"HostPort,omitempty"`
	HostIP        string `json:"HostIp,omitempty"`
}

// Network is the task's network interface as a container sees it: in
// awsvpc mode every container of a task shows the same one.
type Network struct {
	NetworkMode              string   `json:"NetworkMode,omitempty"`
	IPv4Addresses            []string `json:"IPv4Addresses,omitempty"`
	IPv6Addresses            []string `json:"IPv6Addresses,omitempty"`
	AttachmentIndex          *int     `json:"AttachmentIndex,omitempty"`
	MACAddress               string   `json:"MACAddress,omitempty"`
	IPv4SubnetCIDRBlock      string   `json:"IPv4SubnetCIDRBlock,omitempty"`
	IPv6SubnetCIDRBlock      string   `json:"IPv6SubnetCIDRBlock,omitempty"`
	DomainNameServers        []string `json:"DomainNameServers,omitempty"`
	DomainNameSearchList     []string `json:"DomainNameSearchList,omitempty"`
	PrivateDNSName           string   `json:"PrivateDNSName,omitempty"`
	SubnetGatewayIPv4Address string   `json:"SubnetGatewayIpv4Address,omitempty"`
	SubnetGatewayIPv6Address string   `json:"SubnetGatewayIpv6Address,omitempty"`
}

// Health is a container's health check status. Its keys are lower case,
// unlike the rest of the document, as the agent writes them.
type Health struct {
	Status   string     `json:"status,omitempty"`
	Since    *time.Time `json:"statusSince,omitempty"`
	ExitCode int        `json:"exitCode,omitempty"`
	Output   string     `json:"output,omitempty"`
}

// ClockDrift is the host clock's state as the agent reports it.
type ClockDrift struct {
	ClockErrorBound            float64    `json:"ClockErrorBound,omitempty"`
	ReferenceTimestamp         *time.Time `json:"ReferenceTimestamp,omitempty"`
	ClockSynchronizationStatus string     `json:"ClockSynchronizationStatus,omitempty"`
}

// EphemeralStorageMetrics is the task's ephemeral storage in MiB.
type EphemeralStorageMetrics struct {
	Utilized int64 `json:"Utilized"`
	Reserved int64 `json:"Reserved"`
}

// Stats is one container's stats document (/stats, and one value of
// /task/stats, which maps Docker IDs to them): Docker's stats JSON with
// the agent's network rates beside it.
type Stats struct {
	container.StatsResponse
	NetworkRateStats *NetworkRate `json:"network_rate_stats,omitempty"`
}

// NetworkRate is the bytes per second received and sent over the last
// two samples, summed over the interfaces.
type NetworkRate struct {
	RxBytesPerSec float64 `json:"rx_bytes_per_sec"`
	TxBytesPerSec float64 `json:"tx_bytes_per_sec"`
}
