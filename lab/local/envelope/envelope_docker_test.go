package envelope_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/workload"
	"github.com/ecslab/lab/workload/knobs"
)

// TestTwoBusyContainersShareTheEnvelope runs two containers that each
// would burn a whole core, without limits of their own, under one parent
// with a 0.25 CPU quota, and reads the parent's CPU usage from its
// cgroup: together they stay at 0.25 CPU.
func TestTwoBusyContainersShareTheEnvelope(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := probe(t, ctx, cli)
	run := "e" + strings.ToLower(rand.Text()[:6])
	p, err := h.Create(run, "t1", envelope.Limits{CPUUnits: 256, MemoryMiB: 512})
	if err != nil {
		t.Fatal(err)
	}
	image, _, err := workload.EnsureImage(ctx, cli, workload.WithKeepStale())
	if err != nil {
		t.Fatal(err)
	}

	var ids []string
	for range 2 {
		id := startBusy(t, ctx, cli, image, p.CgroupParent)
		ids = append(ids, id)
	}
	time.Sleep(time.Second) // both burning
	before, err := p.CPUUsage()
	if err != nil {
		t.Fatal(err)
	}
	const window = 4 * time.Second
	time.Sleep(window)
	after, err := p.CPUUsage()
	if err != nil {
		t.Fatal(err)
	}
	cpus := (after - before).Seconds() / window.Seconds()
	// Within 5% of the quota from above (CFS enforces it per 100 ms
	// period, and the window's edges are not a period's); from below a
	// loaded host may give the pair less than its quota.
	if cpus > 0.25*1.05 || cpus < 0.1 {
		t.Errorf("the two containers used %.3f CPU together, want 0.25 (the envelope's quota)", cpus)
	}
	for _, id := range ids {
		if used := containerCPU(t, h, p, id); used <= 0 {
			t.Errorf("container %s used no CPU: both must share the envelope", id[:12])
		}
	}
	t.Logf("two busy containers under a 0.25 CPU envelope: %.3f CPU", cpus)

	for _, id := range ids {
		if err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Remove(); err != nil {
		t.Fatalf("remove the envelope after its containers: %v", err)
	}
	for _, hierarchy := range []string{"cpu", "cpuacct", "memory", "pids"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", hierarchy, "lab", run)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/lab/%s is still there after Remove: %v", hierarchy, run, err)
		}
	}
}

// probe returns the envelope host of the test daemon, or skips when lab
// cannot make parent cgroups for it (a VM, no root); this machine (cgroup
// v1, cgroupfs, root) can.
func probe(t *testing.T, ctx context.Context, cli *client.Client) envelope.Host {
	t.Helper()
	info, err := cli.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := dockerhost.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	h, err := envelope.Probe(envelope.Daemon{Local: ep.Local(), OS: info.OSType, OperatingSystem: info.OperatingSystem,
		CgroupVersion: info.CgroupVersion, CgroupDriver: info.CgroupDriver}, "/sys/fs/cgroup")
	if err != nil {
		dockertest.Unavailable(t, "%v", err)
	}
	if h.Version != 1 || h.Driver != envelope.DriverCgroupfs {
		dockertest.Unavailable(t, "the real test is written for cgroup v1 with cgroupfs; this daemon has v%d with %s", h.Version, h.Driver)
	}
	return h
}

// startBusy starts the built-in app under parent with no CPU limit of its
// own, and sends it a request that burns a minute of CPU. The app is
// reached as lab reaches tasks: at its container address, else on a port
// published on 127.0.0.1 (hosts differ in which of the two answers).
func startBusy(t *testing.T, ctx context.Context, cli *client.Client, image, parent string) string {
	t.Helper()
	port := nat.Port(strconv.Itoa(knobs.DefaultPort) + "/tcp")
	created, err := cli.ContainerCreate(ctx,
		&container.Config{Image: image, Env: []string{"CPU_WORK=60s"}, ExposedPorts: nat.PortSet{port: {}},
			Labels: map[string]string{"lab.test": "envelope"}},
		&container.HostConfig{Resources: container.Resources{CgroupParent: parent},
			PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true}) })
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	base := answeringAddress(t, ctx, cli, created.ID, port)
	rctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go func() {
		req, _ := http.NewRequestWithContext(rctx, http.MethodGet, base+"/cpu_intensive", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	return created.ID
}

// answeringAddress waits up to 10 s for the app in container id to answer
// at its container address or its published port, and returns the base URL
// that answered. On failure it says what Docker knows of the container.
func answeringAddress(t *testing.T, ctx context.Context, cli *client.Client, id string, port nat.Port) string {
	t.Helper()
	info, err := cli.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	if ip := info.NetworkSettings.IPAddress; ip != "" {
		bases = append(bases, "http://"+ip+":"+port.Port())
	}
	for _, b := range info.NetworkSettings.Ports[port] {
		bases = append(bases, "http://127.0.0.1:"+b.HostPort)
	}
	hc := &http.Client{Timeout: time.Second}
	var lastErr error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, base := range bases {
			resp, err := hc.Get(base + "/")
			if err == nil {
				resp.Body.Close()
				return base
			}
			lastErr = err
		}
	}
	state := "unknown"
	if now, err := cli.ContainerInspect(ctx, id); err == nil && now.State != nil {
		state = fmt.Sprintf("%s (exit %d, OOM killed %t, error %q)", now.State.Status, now.State.ExitCode, now.State.OOMKilled, now.State.Error)
	}
	t.Fatalf("the app did not answer in 10 s at %v: %v; the container is %s", bases, lastErr, state)
	return ""
}

// containerCPU is a container's own CPU usage, below the envelope in the
// cpuacct hierarchy.
func containerCPU(t *testing.T, h envelope.Host, p *envelope.Parent, id string) time.Duration {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.Root, "cpuacct", p.CgroupParent, id, "cpuacct.usage"))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ns)
}
