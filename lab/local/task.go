package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/scenarios"
)

// task is one container of the service. Fields other than stats are
// guarded by Target.mu.
type task struct {
	id          string // short, e.g. "t1"
	containerID string
	name        string
	addr        string
	size        scenarios.Size
	started     time.Time
	stats       watchStats
	cancel      context.CancelFunc

	running  bool // passed a health check once: ECS's RUNNING as far as the balancer cares
	healthy  bool
	stopping bool // lab is stopping it, or it died: it no longer counts
	// stopped is the reason of a stop_task action: the stop is the
	// experiment's, not lab's own (by_lab false), and is replaced.
	stopped string
	// starting is true until startTask is done with the task: the events
	// watcher leaves it to startTask, noting in exited that it died.
	starting bool
	exited   *exit
	killed   bool // lab killed it (kill_task): a SIGKILL that is no OOM kill
	entry    scenarios.Entry

	// A task of several containers (Config.Task): containerID and name
	// are its holder's, members are the definition's containers.
	members []*member
	parent  *envelope.Parent // the task's envelope; nil without one
	volumes []string         // the task's Docker volumes
	session TaskSession      // the task agent's, if any
	// changed is closed, and replaced, whenever a member starts, exits or
	// changes health: what dependsOn waits on.
	changed chan struct{}
	// delay is how long the task is held before its container starts
	// (service.start_delay), startAt when the hold ends; torn is closed
	// when the entry's teardown begins, which ends the hold.
	delay   time.Duration
	startAt time.Time
	torn    <-chan struct{}
	// created, when not nil, is called once the task's (holder's)
	// container is created, or its create failed.
	created func()
}

// exit is how a task's container exited, as Docker's die event says:
// for a task of several containers, the essential member that exited
// (nil: the holder).
type exit struct {
	code   int
	member *member
}

// state is the task's state at now, as the dashboard shows it, and the
// time left before its container starts while it is held: PROVISIONING
// for the first half of the start delay, PENDING for the second (ECS
// attaches the network interface, then pulls the image), pending until
// it is healthy once, then running.
func (tk *task) state(now time.Time) (string, time.Duration) {
	if tk.running {
		return "running", 0
	}
	if left := tk.startAt.Sub(now); tk.starting && left > 0 {
		if left > tk.delay/2 {
			return "provisioning", left
		}
		return "pending", left
	}
	return "pending", 0
}

// stopTimeout is how long a task gets between SIGTERM and SIGKILL when lab
// stops it (ECS's stopTimeout defaults to 30 s; a lab has less patience).
const stopTimeout = 10

// startTask creates and starts one container at the current size (after
// the start delay, once the service is deployed), registers it with the
// balancer and starts its health checks and stats.
// epoch is the task set's epoch the caller decided the start in: once
// Teardown has begun another, the start is abandoned (errTornDown). A
// start that fails before the container runs removes what it made: no
// half-started task keeps a place in the service. created, when not nil,
// is called once the container is created, or the start failed before.
func (t *Target) startTask(ctx context.Context, epoch int, created func()) (*task, error) {
	createdOnce := sync.OnceFunc(func() {
		if created != nil {
			created()
		}
	})
	defer createdOnce()
	tk, ok := t.newTask(epoch)
	if !ok {
		return nil, errTornDown
	}
	defer t.starts.Done()
	tk.created = createdOnce
	if t.cfg.Task != nil {
		if err := t.startMembers(ctx, tk, epoch); err != nil {
			return nil, err
		}
	} else {
		cfg, host := t.appConfig(tk)
		if err := t.createContainer(ctx, tk, epoch, cfg, host); err != nil {
			return nil, err
		}
		if err := t.runContainer(ctx, tk, epoch); err != nil {
			return nil, errors.Join(err, t.discard(tk))
		}
	}
	t.emitEvent(lab.Event{Data: lab.TaskStarted{Task: tk.id, Size: tk.size.String(), Container: tk.name}})
	if err := t.connect(ctx, tk); err != nil {
		return nil, err
	}
	return tk, nil
}

// hold keeps a task PROVISIONING, then PENDING, for its start delay
// before its container starts, as Fargate takes its time to place a task,
// attach its network interface and pull its image. The container exists
// already, created and not started; the balancer does not know the task
// yet. The entry's teardown ends the hold.
func (t *Target) hold(ctx context.Context, tk *task) error {
	if tk.delay <= 0 {
		return nil
	}
	t.mu.Lock()
	tk.startAt = time.Now().Add(tk.delay)
	t.mu.Unlock()
	t.emitEvent(lab.Event{Data: lab.TaskProvisioning{Task: tk.id, Size: tk.size.String(), StartDelay: tk.delay.Seconds()}})
	timer := time.NewTimer(tk.delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-tk.torn:
		return errTornDown
	case <-ctx.Done():
		return ctx.Err()
	case <-t.ctx.Done():
		return t.ctx.Err()
	}
}

// errTornDown is a start abandoned because the entry's teardown began.
var errTornDown = errors.New("the entry is being torn down")

// newTask names the next task at the current size, unless epoch has
// passed. The start is counted in t.starts until startTask returns.
func (t *Target) newTask(epoch int) (*task, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.epoch != epoch {
		return nil, false
	}
	t.starts.Add(1)
	t.nextSeq++
	e := t.entry
	tk := &task{id: "t" + strconv.Itoa(t.nextSeq), size: e.Size, entry: e, starting: true, torn: t.torn}
	if t.deployed {
		// Replacements, scale-outs and deployments wait as on Fargate;
		// an entry's first tasks do not: no load runs before they are
		// healthy, so the wait would only lengthen the run.
		tk.delay = t.cfg.Scenario.Service.StartDelay
	}
	tk.name = fmt.Sprintf("lab-%s-e%d-%s", t.cfg.RunID, e.Index+1, tk.id)
	return tk, true
}

// appConfig is the container of a task of one container.
func (t *Target) appConfig(tk *task) (*container.Config, *container.HostConfig) {
	return containerConfig(taskSpec{
		Image:   t.cfg.Image,
		Builtin: t.cfg.Scenario.Workload.Builtin,
		Port:    t.cfg.Port,
		Env:     tk.entry.Env,
		Secrets: t.cfg.Secrets,
		Cmd:     t.cfg.Scenario.Workload.Command,
		Size:    tk.size,
		CPU:     t.cfg.cpuUnits(tk.size),
		Network: t.netName,
		Labels:  t.taskLabels(tk, "task"),
	})
}

// taskLabels are the labels of what lab creates for a task.
func (t *Target) taskLabels(tk *task, role string) map[string]string {
	labels := t.labels(role)
	labels[LabelEntry] = strconv.Itoa(tk.entry.Index + 1)
	labels[LabelTask] = tk.id
	return labels
}

// createContainer creates the task's container (the holder of a task of
// several) and adds the task to the task set, where the events watcher
// finds it.
func (t *Target) createContainer(ctx context.Context, tk *task, epoch int, cfg *container.Config, host *container.HostConfig) error {
	if tk.created != nil {
		defer tk.created()
	}
	// The create is not abandoned half-way when ctx ends (Ctrl-C): the
	// daemon would finish it anyway, after Close has looked for the run's
	// containers. Once it returns, the container is known and Close
	// removes it.
	cctx, cancelCreate := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	created, err := t.cli.ContainerCreate(cctx, cfg, host, nil, nil, tk.name)
	cancelCreate()
	if err != nil {
		return fmt.Errorf("create task container %s: %w", tk.name, err)
	}
	tk.containerID = created.ID
	t.mu.Lock()
	current := t.epoch == epoch
	if current {
		t.tasks[created.ID] = tk
	}
	t.mu.Unlock()
	if !current {
		return errors.Join(errTornDown, t.discard(tk))
	}
	return nil
}

// runContainer starts the task's container (the holder of a task of
// several), once its start delay is over, and records the task as
// started, unless the teardown began meanwhile.
func (t *Target) runContainer(ctx context.Context, tk *task, epoch int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.hold(ctx, tk); err != nil {
		return err
	}
	if err := t.startContainer(ctx, tk.containerID); err != nil {
		return fmt.Errorf("start task container %s: %w", tk.name, err)
	}
	t.mu.Lock()
	current := t.epoch == epoch
	tk.started = time.Now()
	t.mu.Unlock()
	if !current {
		return errTornDown
	}
	return nil
}

// connect puts a started task in the balancer, with its health checks
// and stats. A task whose container exited meanwhile (an OOM kill at
// start is one) is left to its die event, which records it; one whose
// address Docker does not give is stopped, and the error says why.
func (t *Target) connect(ctx context.Context, tk *task) error {
	info, err := t.cli.ContainerInspect(ctx, tk.containerID)
	running := err == nil && info.State != nil && info.State.Running
	var addr string
	if running {
		addr, err = t.taskAddr(info, nat.Port(strconv.Itoa(t.taskPort())+"/tcp"))
	}
	if running && err == nil {
		tctx, cancel := context.WithCancel(t.ctx)
		t.mu.Lock()
		tk.addr, tk.cancel = addr, cancel
		t.mu.Unlock()
		t.bal.Register(tk.id, addr)
		t.watchTaskStats(tctx, tk)
		go balancer.CheckHealth(tctx, t.health, addr, healthCheck(t.cfg.Scenario.Service.HealthCheck), t.healthReporter(tk))
	}
	t.mu.Lock()
	tk.starting = false
	exited := tk.exited
	if exited != nil || err != nil {
		tk.stopping = true
	}
	if exited != nil {
		t.exits.Add(1)
	}
	unhealthy := exited == nil && err == nil && essentialUnhealthy(tk) != nil
	t.mu.Unlock()
	switch {
	case exited != nil:
		go func() {
			defer t.exits.Done()
			t.recordExit(tk, exited.member, exited.code)
		}()
	case unhealthy:
		t.failContainerHealth(tk, essentialUnhealthy(tk))
	case err != nil:
		err = fmt.Errorf("task %s: %w", tk.name, err)
		return errors.Join(err, t.removeTask(ctx, tk, "its address is unknown"))
	}
	return nil
}

// discard removes a task that never ran, or that the teardown overtook:
// no event, it never counted.
func (t *Target) discard(tk *task) error {
	t.mu.Lock()
	tk.stopping = true
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), createTimeout)
	defer cancel()
	rmErr := t.removeMembers(ctx, tk)
	err := t.cli.ContainerRemove(ctx, tk.containerID, container.RemoveOptions{Force: true})
	t.mu.Lock()
	delete(t.tasks, tk.containerID)
	t.mu.Unlock()
	t.ooms.forget(tk.containerID)
	rmErr = errors.Join(rmErr, t.releaseTask(ctx, tk))
	if err != nil && !errdefs.IsNotFound(err) {
		// Close removes whatever still carries the run's label.
		return errors.Join(fmt.Errorf("remove %s: %w", tk.name, err), rmErr)
	}
	return rmErr
}

func ptr[T any](v T) *T { return &v }

// ignoreNotFound is err, unless it says the container is already gone.
func ignoreNotFound(err error) error {
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// createTimeout bounds a container create that ctx no longer bounds.
const createTimeout = 30 * time.Second

// portAttempts is how many host ports a task start tries: Docker picks
// the next port of the ephemeral range without asking whether a host
// process listens there, and then fails the start ("address already in
// use"); the next attempt gets the next port.
const portAttempts = 20

// startContainer starts a created container, trying another host port
// when the one Docker chose is taken.
func (t *Target) startContainer(ctx context.Context, id string) error {
	var err error
	for range portAttempts {
		if err = t.cli.ContainerStart(ctx, id, container.StartOptions{}); err == nil || !portTaken(err) || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("%d host ports taken in a row: %w", portAttempts, err)
}

// portTaken reports whether a start failed because the host port Docker
// chose for the container is in use.
func portTaken(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "address already in use") || strings.Contains(msg, "port is already allocated")
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
	if t.cfg.Network == PathDirect {
		return "", fmt.Errorf("%s=direct, but the container address %q does not answer from this machine: unset it to use the published ports", EnvContainerNetwork, direct)
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

// removeTask takes a task out of the balancer at once and force-removes
// its container. lab caused the stop, so it is not counted as a failure.
func (t *Target) removeTask(ctx context.Context, tk *task, why string) error {
	t.bal.Deregister(tk.id)
	return t.finishStop(ctx, tk, why, true)
}

// stopGracefully drains a task (no new requests; in-flight ones finish,
// up to the deregistration delay), then stops it with SIGTERM, as ECS
// does on scale-in and deployments.
func (t *Target) stopGracefully(ctx context.Context, tk *task, why string) error {
	t.bal.Drain(ctx, tk.id, t.cfg.Scenario.Balancer.DeregistrationDelay)
	return t.finishStop(ctx, tk, why, false)
}

func (t *Target) finishStop(ctx context.Context, tk *task, why string, force bool) error {
	var err error
	if !force {
		err = t.stopMembers(ctx, tk)
		err = errors.Join(err, ignoreNotFound(t.cli.ContainerStop(ctx, tk.containerID, container.StopOptions{Timeout: ptr(stopTimeout)})))
	}
	t.mu.Lock()
	cancel := tk.cancel
	t.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	err = errors.Join(err, t.removeMembers(ctx, tk))
	err = errors.Join(err, ignoreNotFound(t.cli.ContainerRemove(ctx, tk.containerID, container.RemoveOptions{Force: true})))
	t.mu.Lock()
	delete(t.tasks, tk.containerID)
	t.mu.Unlock()
	err = errors.Join(err, t.releaseTask(ctx, tk))
	if tk.stopped != "" {
		t.emitEvent(lab.Event{Data: lab.TaskStopped{Task: tk.id, Reason: tk.stopped}})
	} else {
		t.emitEvent(lab.Event{Data: lab.TaskStoppedByLab(tk.id, why)})
	}
	if err != nil {
		return fmt.Errorf("stop %s: %w", tk.name, err)
	}
	return nil
}
