package local

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/scenarios"
)

// Every container lab builds, for every built-in scenario and for an
// image of the user's, gets nothing of the host: no privilege, no host
// path, device, capability or namespace; it gets no-new-privileges and
// a pids limit; the built-in app also runs as nobody with no capability
// on a read-only root filesystem.
func TestContainerConfigIsConfined(t *testing.T) {
	var specs []taskSpec
	for _, b := range scenarios.Builtins() {
		sc, err := scenarios.Builtin(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sc.Entries() {
			specs = append(specs, taskSpec{
				Image: "lab-workload:x", Builtin: sc.Workload.Builtin, Port: sc.Workload.Port,
				Env: e.Env, Cmd: sc.Workload.Command, Size: e.Size, Network: "lab-run1",
				Labels: map[string]string{"io.ecslab.run": "run1"},
			})
		}
	}
	specs = append(specs, taskSpec{Image: "myorg/api:1.4", Port: 8080, Cmd: []string{"/api", "--serve"},
		Env: map[string]string{"A": "1"}, Size: scenarios.Size{CPU: 1024, Memory: 2048}, Network: "lab-run1"})

	for _, s := range specs {
		cfg, host := containerConfig(s)
		name := s.Image + " " + s.Size.String()
		for field, value := range map[string]any{
			"Privileged": host.Privileged, "Binds": host.Binds, "Mounts": host.Mounts,
			"CapAdd": host.CapAdd, "Devices": host.Devices, "VolumesFrom": host.VolumesFrom,
			"Volumes": cfg.Volumes, "PublishAllPorts": host.PublishAllPorts,
			"PidMode": host.PidMode, "IpcMode": host.IpcMode, "UTSMode": host.UTSMode,
			"UsernsMode": host.UsernsMode, "CgroupnsMode": host.CgroupnsMode, "Cgroup": host.Cgroup,
			"DeviceCgroupRules": host.DeviceCgroupRules, "Sysctls": host.Sysctls,
		} {
			if !reflect.ValueOf(value).IsZero() {
				t.Errorf("%s: %s is set (%v)", name, field, value)
			}
		}
		if host.NetworkMode != "lab-run1" || host.NetworkMode.IsHost() {
			t.Errorf("%s: network %q, want the run's own", name, host.NetworkMode)
		}
		for port, bindings := range host.PortBindings {
			for _, b := range bindings {
				if b.HostIP != "127.0.0.1" {
					t.Errorf("%s: port %s published on %q, want 127.0.0.1 only", name, port, b.HostIP)
				}
			}
		}
		if !slices.Contains(host.SecurityOpt, "no-new-privileges") || len(host.SecurityOpt) != 1 {
			t.Errorf("%s: security options %v, want no-new-privileges alone", name, host.SecurityOpt)
		}
		if host.PidsLimit == nil || *host.PidsLimit != PidsLimit {
			t.Errorf("%s: pids limit %v, want %d", name, host.PidsLimit, PidsLimit)
		}
		if host.Memory != host.MemorySwap || host.Memory != int64(s.Size.Memory)<<20 {
			t.Errorf("%s: memory %d, swap %d, want %d MiB without swap", name, host.Memory, host.MemorySwap, s.Size.Memory)
		}
		builtinConfined := cfg.User == BuiltinUser && slices.Equal(host.CapDrop, []string{"ALL"}) && host.ReadonlyRootfs
		if s.Builtin && !builtinConfined {
			t.Errorf("%s: the built-in app runs as %q, drops %v, read-only root %v; want %s, ALL, true", name, cfg.User, host.CapDrop, host.ReadonlyRootfs, BuiltinUser)
		}
		if !s.Builtin && (cfg.User != "" || host.ReadonlyRootfs || len(host.CapDrop) > 0) {
			t.Errorf("%s: an image runs as its own user with Fargate's capabilities; got user %q, drop %v, read-only %v", name, cfg.User, host.CapDrop, host.ReadonlyRootfs)
		}
	}
}

// The container's environment is PORT, then the entry's variables and
// the secrets in order; the port is exposed and published.
func TestContainerConfigEnvAndPort(t *testing.T) {
	cfg, host := containerConfig(taskSpec{Image: "i", Port: 8080, Env: map[string]string{"B": "2", "A": "1"},
		Secrets: map[string]string{"TOKEN": "t0k"}, Network: "n"})
	if want := []string{"PORT=8080", "A=1", "B=2", "TOKEN=t0k"}; !slices.Equal(cfg.Env, want) {
		t.Errorf("env %v, want %v", cfg.Env, want)
	}
	port := nat.Port("8080/tcp")
	if _, ok := cfg.ExposedPorts[port]; !ok {
		t.Errorf("exposed ports %v, want %s", cfg.ExposedPorts, port)
	}
	if _, ok := host.PortBindings[port]; !ok {
		t.Errorf("port bindings %v, want %s", host.PortBindings, port)
	}
	if !strings.HasPrefix(string(host.NetworkMode), "n") || host.NetworkMode == container.NetworkMode("host") {
		t.Errorf("network mode %q", host.NetworkMode)
	}
}
