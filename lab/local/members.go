package local

import (
	"sort"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
)

// The containers of a multi-container task: a holder that owns the
// task's network namespace, and the task definition's containers, which
// join it.

// holderMemory bounds the holder, a process that only waits.
const holderMemory = 32 << 20

// holderPids bounds the holder's processes and threads (a Go program's
// few threads).
const holderPids = 32

// holderSpec is what a task's holder container is made of.
type holderSpec struct {
	Image        string // lab's workload image: `pause` waits for SIGTERM
	Port         int    // the load balancer container's port, published on 127.0.0.1
	Network      string // the run's network
	CgroupParent string // the task's envelope; "" without one
	Labels       map[string]string
	// AgentPort, when set, is published too: the task agent's control
	// port, which lab reaches through the holder.
	AgentPort int
}

// holderConfig is the holder: the built-in app's confinement, nothing to
// do but own the network namespace, and the task's published port (a
// container that joins another's namespace cannot publish one).
func holderConfig(s holderSpec) (*container.Config, *container.HostConfig) {
	port := nat.Port(strconv.Itoa(s.Port) + "/tcp")
	cfg := &container.Config{
		Image:        s.Image,
		Cmd:          []string{"pause"},
		User:         BuiltinUser,
		Labels:       s.Labels,
		ExposedPorts: nat.PortSet{port: {}},
		StopTimeout:  ptr(stopTimeout),
	}
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode(s.Network),
		Resources: container.Resources{
			CgroupParent: s.CgroupParent,
			Memory:       holderMemory,
			MemorySwap:   holderMemory,
			PidsLimit:    ptr(int64(holderPids)),
		},
		PortBindings:   nat.PortMap{port: {{HostIP: "127.0.0.1"}}},
		SecurityOpt:    []string{noNewPrivileges},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
	}
	if s.AgentPort > 0 {
		agent := nat.Port(strconv.Itoa(s.AgentPort) + "/tcp")
		cfg.ExposedPorts[agent] = struct{}{}
		host.PortBindings[agent] = []nat.PortBinding{{HostIP: "127.0.0.1"}}
	}
	return cfg, host
}

// memberSpec is what one container of a multi-container task is made of.
type memberSpec struct {
	Def          *ContainerDef
	Holder       string // the holder's container id, whose namespace it joins
	CgroupParent string // the task's envelope; "" without one
	// Without an envelope, the container's share of the task's: its
	// memory limit in MiB and CPU quota in cpu units.
	MemoryMiB int
	CPUUnits  float64
	Volumes   map[string]string // the task's Docker volumes by task volume name
	Env       map[string]string // more environment (the task agent's)
	Labels    map[string]string
}

// memberConfig is a task definition's container as Docker runs it: in the
// holder's network namespace, under the task's envelope (or its share of
// it), with the definition's settings and the confinement every task's
// container has (no privilege, no host path, a pids limit,
// no-new-privileges).
func memberConfig(s memberSpec) (*container.Config, *container.HostConfig) {
	d := s.Def
	cfg := &container.Config{
		Image:       d.Image,
		Env:         memberEnv(d, s.Env),
		Labels:      s.Labels,
		WorkingDir:  d.WorkingDir,
		User:        d.User,
		Healthcheck: healthConfig(d.HealthCheck),
		StopTimeout: ptr(stopSeconds(d.StopTimeout)),
	}
	if d.EntryPoint != nil {
		cfg.Entrypoint = d.EntryPoint
	}
	if d.Command != nil {
		cfg.Cmd = d.Command
	}
	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode("container:" + s.Holder),
		Resources:      memberResources(s),
		SecurityOpt:    []string{noNewPrivileges},
		ReadonlyRootfs: d.ReadOnly,
	}
	if d.Init {
		host.Init = ptr(true)
	}
	for _, m := range d.Mounts {
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeVolume, Source: s.Volumes[m.Volume], Target: m.Path, ReadOnly: m.ReadOnly})
	}
	return cfg, host
}

// memberResources are a container's limits: within an envelope, its own
// hard memory limit, reservation and CPU shares, as ECS applies a
// container's cpu and memory inside the task's; without one, its share.
func memberResources(s memberSpec) container.Resources {
	d := s.Def
	r := container.Resources{CgroupParent: s.CgroupParent, PidsLimit: ptr(int64(PidsLimit))}
	for _, u := range d.Ulimits {
		r.Ulimits = append(r.Ulimits, &units.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if s.CgroupParent != "" {
		if d.Memory > 0 {
			r.Memory = int64(d.Memory) << 20
			r.MemorySwap = r.Memory
		}
		r.MemoryReservation = int64(d.MemoryRes) << 20
		if d.CPU > 0 {
			r.CPUShares = max(int64(d.CPU), 2) // the kernel's least
		}
		return r
	}
	r.Memory = int64(s.MemoryMiB) << 20
	r.MemorySwap = r.Memory
	r.NanoCPUs = int64(s.CPUUnits * 1e9 / 1024)
	return r
}

// memberEnv is a container's environment: its own, its secrets and the
// agent's, sorted.
func memberEnv(d *ContainerDef, extra map[string]string) []string {
	var out []string
	for _, m := range []map[string]string{d.Env, d.Secrets, extra} {
		for k, v := range m {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// stopSeconds is a container's stop timeout in whole seconds: its own,
// else the target's.
func stopSeconds(d time.Duration) int {
	if d <= 0 {
		return stopTimeout
	}
	return int((d + time.Second - 1) / time.Second)
}

// ECS's health check defaults, for the fields a definition leaves out.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// healthConfig is Docker's health check for ECS's: the same test
// (["CMD", ...] or ["CMD-SHELL", "..."]) and timings.
func healthConfig(h *HealthCheck) *container.HealthConfig {
	if h == nil {
		return nil
	}
	hc := &container.HealthConfig{Test: h.Command, Interval: h.Interval, Timeout: h.Timeout, Retries: h.Retries, StartPeriod: h.StartPeriod}
	if hc.Interval <= 0 {
		hc.Interval = defaultHealthInterval
	}
	if hc.Timeout <= 0 {
		hc.Timeout = defaultHealthTimeout
	}
	if hc.Retries <= 0 {
		hc.Retries = defaultHealthRetries
	}
	return hc
}

// splitEnvelope divides total among containers as their reservations
// weigh: a container's weight is its reservation, and containers without
// one share equally what the others leave (an equal part of the total
// when they leave nothing). Used when the task has no parent cgroup.
func splitEnvelope(total float64, reserved []float64) []float64 {
	var sum float64
	unset := 0
	for _, r := range reserved {
		if r > 0 {
			sum += r
		} else {
			unset++
		}
	}
	weights := make([]float64, len(reserved))
	rest := total / float64(len(reserved))
	if unset > 0 && total-sum > 0 {
		rest = max((total-sum)/float64(unset), rest/4)
	}
	var all float64
	for i, r := range reserved {
		weights[i] = r
		if r <= 0 {
			weights[i] = rest
		}
		all += weights[i]
	}
	out := make([]float64, len(reserved))
	for i, w := range weights {
		out[i] = total * w / all
	}
	return out
}
