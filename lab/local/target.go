package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/lab/local/taskagent"
	"github.com/ecslab/lab/scenarios"
)

// deployTimeout bounds how long a deployment waits for tasks to turn
// healthy.
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
	// CPUScale multiplies each task's CPU quota (default 1): with a
	// calibration, a local core's quota is scaled to compute what the
	// size's share of a Fargate vCPU does. The envelope CPU is reported
	// against the scaled quota.
	CPUScale float64
	// Network is how the balancer and health checks reach tasks; empty
	// is PathAuto.
	Network NetworkPath
	// Daemon is what the daemon said about itself (InspectDaemon), for
	// the summary's platform.
	Daemon Daemon
	// Secrets are the values of the scenario's secrets, by name: they
	// reach the tasks' environment and nothing else.
	Secrets map[string]string

	// Task, when set, is a task of several containers (a task
	// definition's): each task is a holder container that owns its
	// network namespace, and the definition's containers, which join it.
	// Image and Port are then unused: the balancer sends to the
	// definition's load balancer container and port.
	Task *TaskDef
	// HolderImage is lab's workload image, whose `pause` the holders
	// run; needed with Task.
	HolderImage string
	// Envelope, when set, gives each task of several containers a parent
	// cgroup with the task's cpu and memory; without it, lab splits the
	// task's cpu and memory across its containers by their reservations.
	Envelope *envelope.Host
	// Agent, when set, serves each task of several containers from its
	// network namespace (task metadata, credentials). New gives such a
	// run the task agent of package agentsession when it is nil.
	Agent TaskAgent
	// GeneratorImage is lab's workload image, which load generators run
	// as containers when the scenario splits its load (load.generators).
	GeneratorImage string
	// TaskRole, when set, gives the tasks of several containers their
	// role's credentials through the agent.
	TaskRole taskagent.Source
}

// cpuUnits is the quota a task of size gets, in cpu units (1024 = one
// core), after the calibration's scaling.
func (c Config) cpuUnits(size scenarios.Size) float64 {
	if c.CPUScale <= 0 {
		return float64(size.CPU)
	}
	return float64(size.CPU) * c.CPUScale
}

// Target runs a scenario's service on the local Docker daemon. Its
// scheduler keeps the running tasks at the desired count, as the ECS
// service scheduler does (scheduler.go).
type Target struct {
	cli    client.APIClient
	cfg    Config
	bal    *balancer.Balancer
	health *http.Client

	netName string
	// direct is true when the host reaches container addresses (Linux):
	// the balancer then dials them and skips Docker's userland port proxy,
	// which costs real CPU. Elsewhere (Docker Desktop), or when
	// LAB_CONTAINER_NETWORK=published, it dials the port published on
	// 127.0.0.1.
	direct     bool
	directOnce sync.Once

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	kick   chan struct{} // wakes the scheduler
	// failed yields, once, why the target cannot go on (Docker stopped
	// answering): the run stops there (lab.Failer).
	failed   chan error
	failOnce sync.Once

	ooms oomWatch // the containers Docker reported OOM-killed

	genMu       sync.Mutex
	genEndpoint string // the balancer's URL for generators; set once

	// starts counts the task starts in flight; Teardown waits for them
	// once it has begun a new epoch, which they see and give up in.
	starts sync.WaitGroup
	// exits counts the stops of dead tasks being recorded. Close waits
	// for them: a container removed while Docker still owes its oom
	// event comes back, when the event arrives, as a container the
	// daemon lists forever as "Removal In Progress" and cannot remove.
	exits sync.WaitGroup

	mu        sync.Mutex
	epoch     int             // changes when a teardown begins: starts decided before it are abandoned
	torn      chan struct{}   // closed when a teardown begins, then replaced: it ends the tasks' holds
	entry     scenarios.Entry // what new tasks are started as
	emit      func(lab.Event)
	tasks     map[string]*task   // by container id (a holder's, for a task of several)
	members   map[string]*member // the containers of tasks of several, by container id
	nextSeq   int
	desired   int
	launching int  // starts the scheduler began whose container is not created yet
	deploying bool // a rolling deployment owns the task set
	deployed  bool // Deploy ran: the scheduler may act
	// kept are the errors of kills and removals that nobody waits for
	// (a goroutine's): Close returns them.
	kept []error
}

var (
	_ lab.Target           = (*Target)(nil)
	_ lab.Failer           = (*Target)(nil)
	_ lab.PlatformReporter = (*Target)(nil)
)

// New prepares the local target for a run: a network of its own, the
// balancer, the events watcher and the scheduler. Deploy starts tasks.
func New(ctx context.Context, cli client.APIClient, cfg Config) (*Target, error) {
	if cfg.TaskRole != nil && cfg.Task == nil {
		return nil, errors.New("task role: lab serves credentials through each task's agent, which runs beside the containers of a task definition: give the scenario a workload.task_definition (this workload is one container, builtin or image)")
	}
	t := newTarget(cli, cfg)
	if cfg.Task != nil && cfg.Agent == nil {
		if err := checkAgentPorts(cfg.Task); err != nil {
			t.cancel()
			return nil, err
		}
		t.cfg.Agent = t.newSessionAgent()
	}
	// Not abandoned half-way on Ctrl-C (the daemon would create the
	// network anyway, and nobody would remove it): finish, then look.
	cctx, cancelCreate := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	_, err := cli.NetworkCreate(cctx, t.netName, network.CreateOptions{
		Driver: "bridge",
		Labels: t.labels("network"),
	})
	cancelCreate()
	if err != nil {
		t.cancel()
		return nil, fmt.Errorf("create network %s: %w", t.netName, err)
	}
	if err := ctx.Err(); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
		defer cancel()
		return nil, errors.Join(err, t.Close(cctx))
	}
	if err := t.startLoops(); err != nil {
		return nil, errors.Join(err, t.Close(ctx))
	}
	return t, nil
}

// newTarget is the target of a run, before anything of it exists.
func newTarget(cli client.APIClient, cfg Config) *Target {
	sc := cfg.Scenario
	t := &Target{
		cli:     cli,
		cfg:     cfg,
		bal:     balancer.NewWithOptions(balancerOptions(sc.Balancer)),
		health:  &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}},
		netName: "lab-" + cfg.RunID,
		tasks:   map[string]*task{},
		members: map[string]*member{},
		direct:  cfg.Network.TriesDirect(),
		kick:    make(chan struct{}, 1),
		failed:  make(chan error, 1),
		torn:    make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	return t
}

// startLoops starts the balancer, the events watcher and the scheduler.
func (t *Target) startLoops() error {
	if err := t.bal.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start balancer: %w", err)
	}
	// Subscribe to events before any container exists, so none is missed.
	ready := make(chan struct{})
	go t.watchEvents(ready)
	<-ready
	go t.schedule()
	return nil
}

func (t *Target) labels(role string) map[string]string {
	l := RunLabels(t.cfg.RunID)
	l[LabelScenario] = t.cfg.Scenario.Name
	l[LabelRole] = role
	l[LabelRunImage] = t.cfg.Image
	return l
}

// Platform is the daemon's platform and how tasks are reached, with the
// note a reader needs when the daemon is not x86_64.
func (t *Target) Platform() *lab.Platform {
	d := t.cfg.Daemon
	p := &lab.Platform{Docker: d.Version, OS: d.OS, Arch: d.Arch, Network: string(t.cfg.Network)}
	if d.CgroupVersion != "" {
		p.Cgroup = "v" + d.CgroupVersion + " " + d.CgroupDriver
	}
	if p.Network == "" {
		p.Network = string(PathAuto)
	}
	if t.cfg.Task != nil {
		p.Envelope = lab.EnvelopeTask
		if t.cfg.Envelope == nil {
			p.Envelope = lab.EnvelopePerContainer
		}
	}
	if note := d.PlatformNote(); note != "" {
		p.Notes = append(p.Notes, note)
	}
	return p
}

// Name is "local".
func (t *Target) Name() string { return "local" }

// Endpoint is the balancer's URL.
func (t *Target) Endpoint() string { return t.bal.URL() }

// Deploy starts the entry's tasks and waits until all are healthy.
func (t *Target) Deploy(ctx context.Context, e scenarios.Entry, emit func(lab.Event)) error {
	t.mu.Lock()
	t.entry, t.emit, t.desired, t.deployed = e, emit, e.Count, false
	epoch := t.epoch
	t.mu.Unlock()
	// The tasks start at once, as ECS starts a service's tasks: the
	// entry is ready when the slowest is, not after the sum of them.
	errs := make([]error, e.Count)
	var wg sync.WaitGroup
	for i := range e.Count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = t.startTask(ctx, epoch, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return t.lost(err) // the first: the others fail the same way
		}
	}
	if err := t.waitHealthy(ctx, e.Size, e.Count); err != nil {
		return err
	}
	t.mu.Lock()
	t.deployed = true
	t.mu.Unlock()
	return nil
}

// waitHealthy waits until n tasks of the given size are healthy.
func (t *Target) waitHealthy(ctx context.Context, size scenarios.Size, n int) error {
	ctx, cancel := context.WithTimeout(ctx, deployTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		healthy := 0
		t.mu.Lock()
		for _, tk := range t.tasks {
			if tk.healthy && !tk.stopping && tk.size == size {
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
				return fmt.Errorf("%d of %d tasks at %s healthy after %s: check the health check path %q and the workload's logs (docker logs)",
					healthy, n, size, deployTimeout, t.cfg.Scenario.Service.HealthCheck.Path)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Observe reports the tasks' state, health and resource use, and the
// balancer's counters.
func (t *Target) Observe() lab.Observation {
	targets := map[string]balancer.TargetState{}
	var obs lab.Observation
	for _, ts := range t.bal.Targets() {
		targets[ts.ID] = ts
	}
	obs.Requests, obs.ResponseTime, obs.Responses = t.bal.Totals()
	now := time.Now()
	t.mu.Lock()
	obs.Desired = t.desired
	for _, tk := range t.tasks {
		if tk.stopping {
			continue
		}
		u := taskUsage(tk)
		state, startsIn := tk.state(now)
		st := lab.TaskStat{
			ID:         tk.id,
			Size:       tk.size,
			State:      state,
			StartsIn:   startsIn,
			Healthy:    tk.healthy,
			CPUPct:     u.CPUPct,
			MemMiB:     u.MemMiB,
			MemPct:     100 * u.MemMiB / float64(tk.size.Memory),
			Requests:   targets[tk.id].Requests,
			Containers: containerStats(tk),
		}
		obs.Tasks = append(obs.Tasks, st)
		if tk.running {
			obs.Running++
		}
		if tk.healthy {
			obs.Healthy++
		}
	}
	t.mu.Unlock()
	sort.Slice(obs.Tasks, func(i, j int) bool { return taskSeq(obs.Tasks[i].ID) < taskSeq(obs.Tasks[j].ID) })
	running := obs.Tasks[:0:0]
	for _, ts := range obs.Tasks {
		if ts.State == "running" {
			running = append(running, ts)
		}
	}
	obs.CPUPct, obs.MemPct = lab.ServiceUtilization(running)
	return obs
}

func taskSeq(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "t"))
	return n
}

// Teardown stops and removes the entry's tasks at once: the load is over,
// there is nothing to drain.
func (t *Target) Teardown(ctx context.Context) error {
	// No task starts from here on: those in flight see the new epoch,
	// remove what they created and return, without a task_started.
	t.mu.Lock()
	t.epoch++
	t.desired, t.deployed = 0, false
	for _, tk := range t.tasks {
		t.changed(tk) // a container waiting on its dependencies sees the new epoch
	}
	close(t.torn)
	t.torn = make(chan struct{})
	t.mu.Unlock()
	t.starts.Wait()

	t.mu.Lock()
	var all []*task
	for _, tk := range t.tasks {
		if !tk.stopping {
			tk.stopping = true
			all = append(all, tk)
		}
	}
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
	return t.lost(errors.Join(errs...))
}

// Close removes every container and the network of the run, and stops
// the balancer. It is safe to call more than once.
func (t *Target) Close(ctx context.Context) error {
	err := t.Teardown(ctx)
	// Every task is stopping now: no stop is recorded after these.
	t.exits.Wait()
	t.cancel()
	if berr := t.bal.Close(); berr != nil && !errors.Is(berr, net.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("close the balancer: %w", berr))
	}
	t.mu.Lock()
	kept := t.kept
	t.kept = nil
	t.mu.Unlock()
	// Whatever Teardown did not know about (a container created just as
	// the run was interrupted) still carries the run's label.
	return t.lost(errors.Join(err, errors.Join(kept...), removeRun(ctx, t.cli, LabelRun, t.cfg.RunID)))
}

// keep records the error of a kill or a removal that nobody waits for:
// Close returns it, and a daemon that stopped answering stops the run
// at once. A container already gone, or already being removed or not
// running, is no error.
func (t *Target) keep(err error) {
	if err == nil || errdefs.IsNotFound(err) || errdefs.IsConflict(err) || errors.Is(err, context.Canceled) {
		return
	}
	err = t.lost(err)
	var le *LostError
	if errors.As(err, &le) {
		t.fail(err)
	}
	t.mu.Lock()
	t.kept = append(t.kept, err)
	t.mu.Unlock()
}

// HostCPUs is how many cores the Docker host has: what runs at once
// (tasks, and lab itself) shares them.
func (t *Target) HostCPUs(ctx context.Context) (float64, error) {
	info, err := t.cli.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("docker info: %w", t.lost(err))
	}
	return float64(info.NCPU), nil
}

// Failed yields an error when the target cannot go on: the Docker daemon
// stopped answering mid-run.
func (t *Target) Failed() <-chan error { return t.failed }

func (t *Target) fail(err error) {
	t.failOnce.Do(func() { t.failed <- err })
}

func (t *Target) emitEvent(ev lab.Event) {
	t.mu.Lock()
	emit := t.emit
	t.mu.Unlock()
	if emit != nil {
		emit(ev)
	}
}
