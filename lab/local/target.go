package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// deployTimeout bounds how long Deploy waits for tasks to turn healthy.
const deployTimeout = 2 * time.Minute

// Config is what the local target needs to know about a run.
type Config struct {
	RunID    string
	Scenario *scenarios.Scenario
	// Image is the workload image to run: the built-in app's, or the
	// scenario's own.
	Image string
	// Port is the port the workload listens on inside the container.
	Port int
}

// Target runs a scenario's service on the local Docker daemon.
type Target struct {
	cli    *client.Client
	cfg    Config
	bal    *Balancer
	health *http.Client

	netName string
	netID   string
	// direct is true when the host reaches container addresses (Linux):
	// the balancer then dials them and skips Docker's userland port proxy,
	// which costs real CPU. Elsewhere (Docker Desktop) it dials the port
	// published on 127.0.0.1.
	direct     bool
	directOnce sync.Once

	ctx    context.Context // lives until Close
	cancel context.CancelFunc

	mu      sync.Mutex
	entry   scenarios.Entry
	emit    func(lab.Event)
	tasks   map[string]*task // by container id
	nextSeq int
	desired int
}

// task is one running container of the service.
type task struct {
	id          string // short, e.g. "t1"
	containerID string
	name        string
	addr        string
	size        scenarios.Size
	stats       watchStats
	healthy     bool
	stopping    bool // lab is stopping it: its exit is not a failure
	cancel      context.CancelFunc
}

var _ lab.Target = (*Target)(nil)

// New prepares the local target for a run: a network of its own and the
// balancer. Deploy starts tasks.
func New(ctx context.Context, cli *client.Client, cfg Config) (*Target, error) {
	sc := cfg.Scenario
	t := &Target{
		cli:     cli,
		cfg:     cfg,
		bal:     NewBalancer(sc.Balancer.Algorithm, sc.Balancer.TargetTimeout),
		health:  &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		netName: "lab-" + cfg.RunID,
		tasks:   map[string]*task{},
		direct:  runtime.GOOS == "linux",
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())

	resp, err := cli.NetworkCreate(ctx, t.netName, network.CreateOptions{
		Driver: "bridge",
		Labels: t.labels("network"),
	})
	if err != nil {
		t.cancel()
		return nil, fmt.Errorf("create network %s: %w", t.netName, err)
	}
	t.netID = resp.ID
	if err := t.bal.Start("127.0.0.1:0"); err != nil {
		t.Close(ctx)
		return nil, fmt.Errorf("start balancer: %w", err)
	}
	go t.watchEvents()
	return t, nil
}

func (t *Target) labels(role string) map[string]string {
	return map[string]string{
		LabelRun:      t.cfg.RunID,
		LabelScenario: t.cfg.Scenario.Name,
		LabelRole:     role,
	}
}

// Name is "local".
func (t *Target) Name() string { return "local" }

// Endpoint is the balancer's URL.
func (t *Target) Endpoint() string { return t.bal.URL() }

// Deploy starts the entry's tasks and waits until all are healthy.
func (t *Target) Deploy(ctx context.Context, e scenarios.Entry, emit func(lab.Event)) error {
	t.mu.Lock()
	t.entry, t.emit, t.desired = e, emit, e.Count
	t.mu.Unlock()
	for range e.Count {
		if _, err := t.startTask(ctx); err != nil {
			return err
		}
	}
	return t.waitHealthy(ctx, e.Count)
}

// waitHealthy waits until n tasks are healthy, or fails early when a task
// died.
func (t *Target) waitHealthy(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, deployTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		t.mu.Lock()
		healthy := 0
		for _, tk := range t.tasks {
			if tk.healthy && !tk.stopping {
				healthy++
			}
		}
		t.mu.Unlock()
		if healthy >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%d of %d tasks healthy after %s: check the health check path %q and the workload's logs",
					healthy, n, deployTimeout, t.cfg.Scenario.Service.HealthCheck.Path)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// startTask creates and starts one container at the entry's size,
// registers it with the balancer and starts its health checks and stats.
func (t *Target) startTask(ctx context.Context) (*task, error) {
	t.mu.Lock()
	t.nextSeq++
	e := t.entry
	tk := &task{id: "t" + strconv.Itoa(t.nextSeq), size: e.Size}
	tk.name = fmt.Sprintf("lab-%s-e%d-%s", t.cfg.RunID, e.Index+1, tk.id)
	t.mu.Unlock()

	port := nat.Port(strconv.Itoa(t.cfg.Port) + "/tcp")
	labels := t.labels("task")
	labels[LabelEntry] = strconv.Itoa(e.Index + 1)
	labels[LabelTask] = tk.id
	cfg := &container.Config{
		Image:        t.cfg.Image,
		Env:          envList(e.Env, t.cfg.Port),
		Labels:       labels,
		ExposedPorts: nat.PortSet{port: {}},
		Cmd:          t.cfg.Scenario.Workload.Command,
	}
	memBytes := int64(e.Size.Memory) << 20
	host := &container.HostConfig{
		NetworkMode: container.NetworkMode(t.netName),
		// Fargate's envelope: a CFS quota for cpu (throttling) and a hard
		// memory limit without swap.
		Resources: container.Resources{
			NanoCPUs:   int64(e.Size.CPU) * 1e9 / 1024,
			Memory:     memBytes,
			MemorySwap: memBytes,
		},
		PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}},
	}
	created, err := t.cli.ContainerCreate(ctx, cfg, host, nil, nil, tk.name)
	if err != nil {
		return nil, fmt.Errorf("create task container %s: %w", tk.name, err)
	}
	tk.containerID = created.ID
	t.mu.Lock()
	t.tasks[created.ID] = tk
	t.mu.Unlock()
	if err := t.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return nil, fmt.Errorf("start task container %s: %w", tk.name, err)
	}
	info, err := t.cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		return nil, fmt.Errorf("inspect task container %s: %w", tk.name, err)
	}
	addr, err := t.taskAddr(info, port)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", tk.name, err)
	}
	tk.addr = addr

	tctx, cancel := context.WithCancel(t.ctx)
	tk.cancel = cancel
	t.bal.Register(tk.id, addr)
	go tk.stats.run(tctx, t.cli, created.ID, e.Size.CPU)
	go checkHealth(tctx, t.health, addr, t.cfg.Scenario.Service.HealthCheck, func(healthy bool) {
		t.mu.Lock()
		tk.healthy = healthy
		emit := t.emit
		t.mu.Unlock()
		t.bal.SetHealthy(tk.id, healthy)
		emit(lab.NewEvent(lab.EventHealthChanged, "task", tk.id, "healthy", healthy))
	})
	t.emitEvent(lab.NewEvent(lab.EventTaskStarted, "task", tk.id, "size", e.Label, "container", tk.name))
	return tk, nil
}

func (t *Target) emitEvent(ev lab.Event) {
	t.mu.Lock()
	emit := t.emit
	t.mu.Unlock()
	if emit != nil {
		emit(ev)
	}
}

// taskAddr is where the balancer reaches a task: the container's address
// on the run's network when the host can route to it, else the port
// Docker published on 127.0.0.1.
func (t *Target) taskAddr(info container.InspectResponse, port nat.Port) (string, error) {
	var direct string
	if ns := info.NetworkSettings; ns != nil {
		if ep := ns.Networks[t.netName]; ep != nil && ep.IPAddress != "" {
			direct = net.JoinHostPort(ep.IPAddress, port.Port())
		}
	}
	t.directOnce.Do(func() {
		t.direct = t.direct && direct != "" && routable(direct)
	})
	if t.direct {
		return direct, nil
	}
	if ns := info.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[port] {
			if b.HostPort != "" {
				return net.JoinHostPort("127.0.0.1", b.HostPort), nil
			}
		}
	}
	return "", fmt.Errorf("no published port for %s", port)
}

// routable reports whether the host has a route to addr: a connection, or
// a refusal (nothing listens yet, but the address answered), within a
// short wait.
func routable(addr string) bool {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			c.Close()
			return true
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return true
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			return false
		}
	}
	return false
}

func envList(env map[string]string, port int) []string {
	out := make([]string, 0, len(env)+1)
	out = append(out, "PORT="+strconv.Itoa(port))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out[1:])
	return out
}

// Observe reports the tasks' state, health and resource use.
func (t *Target) Observe() lab.Observation {
	requests := map[string]int64{}
	for _, ts := range t.bal.Targets() {
		requests[ts.ID] = ts.Requests
	}
	t.mu.Lock()
	obs := lab.Observation{Desired: t.desired}
	for _, tk := range t.tasks {
		if tk.stopping {
			continue
		}
		u := tk.stats.get()
		st := lab.TaskStat{
			ID:       tk.id,
			Size:     tk.size,
			State:    "running",
			Healthy:  tk.healthy,
			CPUPct:   u.CPUPct,
			MemMiB:   u.MemMiB,
			MemPct:   100 * u.MemMiB / float64(tk.size.Memory),
			Requests: requests[tk.id],
		}
		obs.Tasks = append(obs.Tasks, st)
		obs.Running++
		if tk.healthy {
			obs.Healthy++
		}
	}
	t.mu.Unlock()
	sort.Slice(obs.Tasks, func(i, j int) bool { return taskSeq(obs.Tasks[i].ID) < taskSeq(obs.Tasks[j].ID) })
	obs.CPUPct, obs.MemPct = lab.ServiceUtilization(obs.Tasks)
	return obs
}

func taskSeq(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "t"))
	return n
}

// Teardown stops and removes the entry's tasks.
func (t *Target) Teardown(ctx context.Context) error {
	t.mu.Lock()
	var all []*task
	for _, tk := range t.tasks {
		tk.stopping = true
		all = append(all, tk)
	}
	t.desired = 0
	t.mu.Unlock()

	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, tk := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = t.removeTask(ctx, tk, "entry finished")
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// removeTask takes a task out of the balancer and removes its container.
// lab caused the stop, so it is not counted as a failure.
func (t *Target) removeTask(ctx context.Context, tk *task, why string) error {
	t.bal.Deregister(tk.id)
	if tk.cancel != nil {
		tk.cancel()
	}
	err := t.cli.ContainerRemove(ctx, tk.containerID, container.RemoveOptions{Force: true})
	if errdefs.IsNotFound(err) {
		err = nil
	}
	t.mu.Lock()
	delete(t.tasks, tk.containerID)
	t.mu.Unlock()
	t.emitEvent(lab.NewEvent(lab.EventTaskStopped, "task", tk.id, "reason", "Task stopped by lab: "+why, "by_lab", true))
	if err != nil {
		return fmt.Errorf("remove %s: %w", tk.name, err)
	}
	return nil
}

// Close removes every container and the network of the run, and stops
// the balancer. It is safe to call more than once.
func (t *Target) Close(ctx context.Context) error {
	err := t.Teardown(ctx)
	t.cancel()
	t.bal.Close()
	// Whatever Teardown did not know about (a container created just as
	// the run was interrupted) still carries the run's label.
	err = errors.Join(err, removeRun(ctx, t.cli, t.cfg.RunID))
	return err
}

// watchEvents follows Docker's events for the run's containers: a task
// that dies without lab stopping it is recorded with ECS's reason.
func (t *Target) watchEvents() {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", LabelRun+"="+t.cfg.RunID),
		filters.Arg("event", "oom"),
		filters.Arg("event", "die"),
	)
	msgs, errs := t.cli.Events(t.ctx, events.ListOptions{Filters: f})
	oom := map[string]bool{}
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-errs:
			return
		case m := <-msgs:
			switch m.Action {
			case events.ActionOOM:
				oom[m.Actor.ID] = true
			case events.ActionDie:
				t.taskDied(m.Actor.ID, m.Actor.Attributes["exitCode"], oom[m.Actor.ID])
				delete(oom, m.Actor.ID)
			}
		}
	}
}

// Stop reasons, as ECS words them.
const (
	ReasonOOM       = "OutOfMemoryError: Container killed due to memory usage"
	ReasonExited    = "Essential container in task exited"
	ReasonUnhealthy = "Task failed ELB health checks"
)

// taskDied records a task that stopped by itself and removes its
// container.
func (t *Target) taskDied(containerID, exitCode string, oomEvent bool) {
	t.mu.Lock()
	tk, ok := t.tasks[containerID]
	if !ok || tk.stopping {
		t.mu.Unlock()
		return
	}
	tk.stopping = true
	t.mu.Unlock()

	ctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
	defer cancel()
	oom := oomEvent
	if info, err := t.cli.ContainerInspect(ctx, containerID); err == nil && info.State != nil {
		oom = oom || info.State.OOMKilled
	}
	code, _ := strconv.Atoi(exitCode)
	reason := ReasonExited
	if oom {
		reason = ReasonOOM
	}
	t.bal.Deregister(tk.id)
	tk.cancel()
	t.cli.ContainerRemove(ctx, containerID, container.RemoveOptions{Force: true})
	t.mu.Lock()
	delete(t.tasks, containerID)
	t.mu.Unlock()
	t.emitEvent(lab.NewEvent(lab.EventTaskStopped, "task", tk.id, "reason", reason, "exit_code", code, "oom", oom))
	t.replace()
}

// replace starts tasks until the running count is back at the desired
// count, as the ECS service scheduler does.
func (t *Target) replace() {
	for {
		t.mu.Lock()
		running := 0
		for _, tk := range t.tasks {
			if !tk.stopping {
				running++
			}
		}
		short := running < t.desired
		t.mu.Unlock()
		if !short || t.ctx.Err() != nil {
			return
		}
		if _, err := t.startTask(t.ctx); err != nil {
			t.emitEvent(lab.NewEvent("task_start_failed", "error", err.Error()))
			return
		}
	}
}
