package local

import (
	"sort"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload/knobs"
)

// How a task's container is confined. Fargate runs no privileged task and
// gives a task nothing of its host: no host path, device or namespace. lab
// does the same for any image, and adds no-new-privileges and a pids limit
// (a fork bomb stays inside its task). The built-in app, which needs
// nothing, gets less still: no capability, a read-only root filesystem
// and an unprivileged user.
const (
	// PidsLimit bounds the processes and threads of a task's container:
	// far above what a service needs (the built-in app uses a thread per
	// request burning CPU), far below what would starve the host.
	PidsLimit = 1024
	// BuiltinUser is the user the built-in app runs as: nobody.
	BuiltinUser = "65534:65534"
	// noNewPrivileges keeps a process from gaining privileges through
	// setuid binaries or file capabilities.
	noNewPrivileges = "no-new-privileges"
)

// taskSpec is what a task's container is made of.
type taskSpec struct {
	Image   string
	Builtin bool // the built-in app: confined further
	Port    int  // the port the workload listens on
	Env     map[string]string
	Secrets map[string]string // more environment, never shown
	Cmd     []string
	Size    scenarios.Size
	// CPU is the CFS quota in cpu units (1024 = one core): the size's,
	// or scaled by a calibration; 0 is the size's.
	CPU     float64
	Network string // the run's network
	Labels  map[string]string
}

// containerConfig is the container a task runs as: the Fargate size's
// envelope (a CFS quota for cpu, a hard memory limit without swap), the
// run's network, its port published on 127.0.0.1 only, and the
// confinement above. Nothing in a scenario can add a host path, a device,
// a capability or the host's network to it.
func containerConfig(s taskSpec) (*container.Config, *container.HostConfig) {
	port := nat.Port(strconv.Itoa(s.Port) + "/tcp")
	cfg := &container.Config{
		Image:        s.Image,
		Env:          envList(s.Env, s.Secrets, s.Port),
		Labels:       s.Labels,
		ExposedPorts: nat.PortSet{port: {}},
		Cmd:          s.Cmd,
		StopTimeout:  ptr(stopTimeout),
	}
	memBytes := int64(s.Size.Memory) << 20
	cpu := s.CPU
	if cpu <= 0 {
		cpu = float64(s.Size.CPU)
	}
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode(s.Network),
		Resources: container.Resources{
			NanoCPUs:   int64(cpu * 1e9 / 1024),
			Memory:     memBytes,
			MemorySwap: memBytes,
			PidsLimit:  ptr(int64(PidsLimit)),
		},
		PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}},
		SecurityOpt:  []string{noNewPrivileges},
	}
	if s.Builtin {
		cfg.User = BuiltinUser
		host.CapDrop = []string{"ALL"}
		host.ReadonlyRootfs = true
	}
	return cfg, host
}

// envList is the container's environment: PORT, then the entry's
// variables and the secrets, by name (the scenario keeps their names
// apart).
func envList(env, secrets map[string]string, port int) []string {
	out := make([]string, 0, len(env)+len(secrets)+1)
	out = append(out, knobs.Port+"="+strconv.Itoa(port))
	for _, m := range []map[string]string{env, secrets} {
		for k, v := range m {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out[1:])
	return out
}
