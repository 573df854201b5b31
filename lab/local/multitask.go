package local

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/volume"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local/envelope"
)

// The runtime of a task of several containers (Config.Task), as Fargate
// runs an awsvpc task: a holder owns the task's network namespace, every
// container of the definition joins it, all under the task's envelope.

// LabelContainer names, on a task's container, its name in the task
// definition.
const LabelContainer = "io.ecslab.container"

// member is one container of a task of several. Fields other than stats
// are guarded by Target.mu.
type member struct {
	tk      *task
	def     *ContainerDef
	id      string
	name    string
	started bool
	failed  error // it could not start
	exit    *int  // it exited, with this code
	health  string
	stats   watchStats
}

// Container health as Docker reports it.
const (
	healthHealthy   = "healthy"
	healthUnhealthy = "unhealthy"
)

// taskPort is the port the balancer sends to in a task.
func (t *Target) taskPort() int {
	if t.cfg.Task != nil {
		return t.cfg.Task.LoadBalancer.Port
	}
	return t.cfg.Port
}

// startMembers makes a task of several containers run: its envelope, its
// holder, the agent's session, its volumes, and its containers, each
// started once its dependsOn conditions hold. Whatever fails removes
// what was made. An essential container that exits meanwhile leaves the
// task to connect, which records the stop.
func (t *Target) startMembers(ctx context.Context, tk *task, epoch int) error {
	if err := t.makeEnvelope(tk); err != nil {
		return err
	}
	spec := holderSpec{
		Image: t.cfg.HolderImage, Port: t.taskPort(), Network: t.netName,
		CgroupParent: cgroupParent(tk), Labels: t.taskLabels(tk, "task"),
	}
	if _, ok := t.cfg.Agent.(*sessionAgent); ok {
		spec.AgentPort = agentPort
	}
	cfg, host := holderConfig(spec)
	if err := t.createContainer(ctx, tk, epoch, cfg, host); err != nil {
		if !errors.Is(err, errTornDown) {
			err = errors.Join(err, t.releaseTask(ctx, tk))
		}
		return err
	}
	err := t.runContainer(ctx, tk, epoch)
	if err == nil {
		err = t.prepareMembers(ctx, tk)
	}
	if err == nil {
		err = t.runMembers(ctx, tk, epoch)
	}
	if err != nil && !errors.Is(err, errEssentialExited) {
		return errors.Join(err, t.discard(tk))
	}
	return nil
}

// makeEnvelope gives the task its parent cgroup, when lab can.
func (t *Target) makeEnvelope(tk *task) error {
	if t.cfg.Envelope == nil {
		return nil
	}
	// Docker's names are the run's and the task's; a cgroup name takes
	// neither dash nor slash.
	name := strings.ReplaceAll(strings.TrimPrefix(tk.name, "lab-"+t.cfg.RunID+"-"), "-", "_")
	p, err := t.cfg.Envelope.Create(t.cfg.RunID, name, envelope.Limits{
		CPUUnits: int(t.cfg.cpuUnits(tk.size)), MemoryMiB: tk.size.Memory,
	})
	if err != nil {
		return fmt.Errorf("task %s: %w", tk.name, err)
	}
	tk.parent = p
	return nil
}

func cgroupParent(tk *task) string {
	if tk.parent == nil {
		return ""
	}
	return tk.parent.CgroupParent
}

// prepareMembers starts the agent's session, creates the task's volumes
// and creates its containers in the holder's namespace.
func (t *Target) prepareMembers(ctx context.Context, tk *task) error {
	def := t.cfg.Task
	if t.cfg.Agent != nil {
		s, err := t.cfg.Agent.StartTask(ctx, TaskInfo{
			RunID: t.cfg.RunID, Task: tk.id, Holder: tk.containerID,
			Labels: t.taskLabels(tk, "agent"), Def: def, Size: tk.size,
		})
		if err != nil {
			return fmt.Errorf("task %s: task agent: %w", tk.name, err)
		}
		tk.session = s
	}
	volumes := map[string]string{}
	for _, v := range def.Volumes {
		name := tk.name + "-" + v
		if _, err := t.cli.VolumeCreate(ctx, volume.CreateOptions{Name: name, Labels: t.taskLabels(tk, "volume")}); err != nil {
			return fmt.Errorf("task %s: volume %s: %w", tk.name, v, err)
		}
		tk.volumes = append(tk.volumes, name)
		volumes[v] = name
	}
	memory, cpu := t.shares(tk)
	for i := range def.Containers {
		d := &def.Containers[i]
		labels := t.taskLabels(tk, "container")
		labels[LabelContainer] = d.Name
		for k, v := range d.Labels {
			if !strings.HasPrefix(k, "lab.") {
				labels[k] = v
			}
		}
		spec := memberSpec{Def: d, Holder: tk.containerID, CgroupParent: cgroupParent(tk),
			MemoryMiB: memory[i], CPUUnits: cpu[i], Volumes: volumes, Labels: labels}
		if tk.session != nil {
			spec.Env = tk.session.Env(d.Name)
		}
		m := &member{tk: tk, def: d, name: tk.name + "-" + d.Name}
		cfg, host := memberConfig(spec)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
		created, err := t.cli.ContainerCreate(cctx, cfg, host, nil, nil, m.name)
		cancel()
		if err != nil {
			return fmt.Errorf("create container %s of task %s: %w", d.Name, tk.name, err)
		}
		m.id = created.ID
		t.mu.Lock()
		tk.members = append(tk.members, m)
		t.members[m.id] = m
		t.mu.Unlock()
		if tk.session != nil {
			tk.session.Created(d.Name, m.id)
		}
	}
	return nil
}

// shares are each container's memory (MiB) and cpu (units) without an
// envelope: the task's, split by the containers' reservations, a hard
// memory limit below its share kept. With an envelope they are unused.
func (t *Target) shares(tk *task) (memory []int, cpu []float64) {
	defs := t.cfg.Task.Containers
	memRes, cpuRes := make([]float64, len(defs)), make([]float64, len(defs))
	for i, d := range defs {
		memRes[i] = float64(max(d.MemoryRes, d.Memory))
		if d.MemoryRes > 0 {
			memRes[i] = float64(d.MemoryRes)
		}
		cpuRes[i] = float64(d.CPU)
	}
	mem := splitEnvelope(float64(tk.size.Memory), memRes)
	cpu = splitEnvelope(t.cfg.cpuUnits(tk.size), cpuRes)
	memory = make([]int, len(defs))
	for i, d := range defs {
		memory[i] = max(int(mem[i]), 6) // Docker's least
		if d.Memory > 0 {
			memory[i] = min(memory[i], d.Memory)
		}
	}
	return memory, cpu
}

// errEssentialExited ends a task's start when an essential container
// exited meanwhile: connect records the task's stop.
var errEssentialExited = errors.New("an essential container exited")

// runMembers starts the task's containers, each once its dependencies'
// conditions hold, and returns when all have started.
func (t *Target) runMembers(ctx context.Context, tk *task, epoch int) error {
	errs := make(chan error, len(tk.members))
	for _, m := range tk.members {
		go func() { errs <- t.runMember(ctx, m, epoch) }()
	}
	var all []error
	for range tk.members {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	for _, err := range all {
		if errors.Is(err, errEssentialExited) {
			return err
		}
	}
	return errors.Join(all...)
}

// runMember waits for a container's dependencies, then starts it.
func (t *Target) runMember(ctx context.Context, m *member, epoch int) error {
	err := t.waitDependencies(ctx, m, epoch)
	if err == nil {
		err = t.cli.ContainerStart(ctx, m.id, container.StartOptions{})
		if err != nil {
			err = fmt.Errorf("start container %s of task %s: %w", m.def.Name, m.tk.name, explainStart(err, m.def))
		}
	}
	t.mu.Lock()
	if err == nil {
		m.started = true
	} else {
		m.failed = err
	}
	t.changed(m.tk)
	t.mu.Unlock()
	if err == nil {
		t.emitEvent(lab.Event{Data: lab.ContainerStarted{Task: m.tk.id, Container: m.def.Name}})
	}
	return err
}

// dependencyTimeout bounds how long a container waits for its
// dependencies' conditions.
const dependencyTimeout = deployTimeout

// waitDependencies returns once every dependsOn condition of m holds, or
// an error when one never can, or when the teardown of the entry began
// (the start decided in epoch is abandoned).
func (t *Target) waitDependencies(ctx context.Context, m *member, epoch int) error {
	limit := dependencyTimeout
	if m.def.StartTimeout > 0 {
		limit = m.def.StartTimeout
	}
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	for {
		t.mu.Lock()
		met, err := dependenciesMet(m)
		if m.tk.exited != nil {
			err = errEssentialExited
		} else if m.tk.stopping || t.epoch != epoch {
			err = errTornDown
		}
		changed := m.tk.changedCh()
		t.mu.Unlock()
		if met || err != nil {
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return fmt.Errorf("container %s of task %s: its dependsOn conditions did not hold within %s (its startTimeout)", m.def.Name, m.tk.name, limit)
		}
	}
}

// dependenciesMet reports whether m's dependsOn conditions hold, or an
// error when one never will (a dependency that failed to start, exited
// with an error where SUCCESS was wanted, or exited before it was
// healthy). Called under Target.mu.
func dependenciesMet(m *member) (bool, error) {
	met := true
	for _, dep := range m.def.DependsOn {
		i := slices.IndexFunc(m.tk.members, func(o *member) bool { return o.def.Name == dep.Container })
		if i < 0 {
			return false, fmt.Errorf("container %s: dependsOn %q: no such container", m.def.Name, dep.Container)
		}
		d := m.tk.members[i]
		if d.failed != nil {
			return false, fmt.Errorf("container %s: its dependency %s did not start", m.def.Name, d.def.Name)
		}
		ok := false
		switch dep.Condition {
		case CondStart:
			ok = d.started
		case CondComplete:
			ok = d.exit != nil
		case CondSuccess:
			if d.exit != nil && *d.exit != 0 {
				return false, fmt.Errorf("container %s: its dependency %s exited with code %d, SUCCESS wanted", m.def.Name, d.def.Name, *d.exit)
			}
			ok = d.exit != nil
		case CondHealthy:
			if d.exit != nil {
				return false, fmt.Errorf("container %s: its dependency %s exited before it was healthy", m.def.Name, d.def.Name)
			}
			ok = d.health == healthHealthy
		}
		met = met && ok
	}
	return met, nil
}

// changedCh is what a wait on the task's members selects on. Called
// under Target.mu.
func (tk *task) changedCh() chan struct{} {
	if tk.changed == nil {
		tk.changed = make(chan struct{})
	}
	return tk.changed
}

// changed wakes whoever waits on the task's members. Called under
// Target.mu.
func (t *Target) changed(tk *task) {
	if tk.changed != nil {
		close(tk.changed)
		tk.changed = nil
	}
}

// memberDied records a container's exit: an essential one's stops the
// task (ECS's "Essential container in task exited", or an OOM kill, with
// the container named); a non-essential one's is a container_stopped
// event, and the task runs on.
func (t *Target) memberDied(m *member, code int) {
	t.mu.Lock()
	tk := m.tk
	if m.exit != nil {
		t.mu.Unlock()
		return
	}
	m.exit = &code
	t.changed(tk)
	switch {
	case tk.stopping:
		t.mu.Unlock()
		return
	case !m.def.Essential:
		t.mu.Unlock()
		oom := t.ooms.seen(m.id) || code == sigkilled && t.ooms.wait(t.ctx, m.id, oomGrace)
		t.emitEvent(lab.Event{Data: lab.ContainerStopped{Task: tk.id, Container: m.def.Name, Exit: &lab.Exit{Code: code, OOM: oom}}})
		return
	case tk.starting:
		if tk.exited == nil {
			tk.exited = &exit{code: code, member: m}
		}
		t.mu.Unlock()
		return
	}
	tk.stopping = true
	t.exits.Add(1)
	t.mu.Unlock()
	defer t.exits.Done()
	t.killTask(tk)
	t.recordExit(tk, m, code)
}

// memberHealth records a container's health check status. An essential
// container that turns unhealthy makes the task unhealthy, and ECS's
// service scheduler replaces it.
func (t *Target) memberHealth(id string, healthy bool) {
	t.mu.Lock()
	m, ok := t.members[id]
	if !ok {
		t.mu.Unlock()
		return
	}
	status := healthUnhealthy
	if healthy {
		status = healthHealthy
	}
	if m.health == status {
		t.mu.Unlock()
		return
	}
	m.health = status
	t.changed(m.tk)
	tk := m.tk
	fail := !healthy && m.def.Essential && !tk.stopping && !tk.starting
	t.mu.Unlock()
	t.emitEvent(lab.Event{Data: lab.ContainerHealth{Task: tk.id, Container: m.def.Name, Healthy: healthy}})
	if fail {
		t.failContainerHealth(tk, m)
	}
}

// essentialUnhealthy is an essential container of the task whose health
// check failed, or nil. Called under Target.mu.
func essentialUnhealthy(tk *task) *member {
	for _, m := range tk.members {
		if m.def.Essential && m.health == healthUnhealthy {
			return m
		}
	}
	return nil
}

// failContainerHealth stops a task whose essential container m is
// unhealthy, with ECS's reason; the scheduler replaces it.
func (t *Target) failContainerHealth(tk *task, m *member) {
	t.mu.Lock()
	if tk.stopping {
		t.mu.Unlock()
		return
	}
	tk.stopping = true
	t.exits.Add(1)
	t.mu.Unlock()
	go func() {
		defer t.exits.Done()
		t.bal.Deregister(tk.id)
		t.killTask(tk)
		t.finishFailed(tk, lab.TaskStopped{Reason: lab.StopReasonContainerHealth, Container: m.def.Name, Exit: &lab.Exit{Code: sigkilled}})
	}()
}

// TaskHealth is a task's health as ECS derives it from its containers'
// health checks: HEALTHY when every essential container with a health
// check is healthy, UNHEALTHY when one is unhealthy, UNKNOWN otherwise
// (or when no essential container has a health check).
func taskHealth(tk *task) string {
	known, all := false, true
	for _, m := range tk.members {
		if !m.def.Essential || m.def.HealthCheck == nil {
			continue
		}
		known = true
		switch m.health {
		case healthUnhealthy:
			return "UNHEALTHY"
		case healthHealthy:
		default:
			all = false
		}
	}
	if known && all {
		return "HEALTHY"
	}
	return "UNKNOWN"
}

// killTask sends SIGKILL to a task's containers, the holder last.
func (t *Target) killTask(tk *task) {
	t.mu.Lock()
	members := slices.Clone(tk.members)
	t.mu.Unlock()
	for _, m := range members {
		if err := t.cli.ContainerKill(t.ctx, m.id, "SIGKILL"); err != nil {
			t.keep(fmt.Errorf("kill task %s's container %s: %w", tk.id, m.id, err))
		}
	}
	if err := t.cli.ContainerKill(t.ctx, tk.containerID, "SIGKILL"); err != nil {
		t.keep(fmt.Errorf("kill task %s: %w", tk.id, err))
	}
}

// crashTarget is the container kill_task kills: the task's own, or the
// first essential container of a task of several (its exit stops the
// task, as a crash of the app would).
func (t *Target) crashTarget(tk *task) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range tk.members {
		if m.def.Essential {
			return m.id
		}
	}
	return tk.containerID
}

// stopMembers stops a task's containers in the reverse of their start
// order (dependents before what they depend on), each with SIGTERM and
// SIGKILL after its stopTimeout.
func (t *Target) stopMembers(ctx context.Context, tk *task) error {
	if t.cfg.Task == nil {
		return nil
	}
	order, _ := t.cfg.Task.startOrder()
	t.mu.Lock()
	members := slices.Clone(tk.members)
	t.mu.Unlock()
	var errs []error
	for i := len(order) - 1; i >= 0; i-- {
		if order[i] >= len(members) {
			continue // never created
		}
		m := members[order[i]]
		timeout := stopSeconds(m.def.StopTimeout)
		errs = append(errs, ignoreNotFound(t.cli.ContainerStop(ctx, m.id, container.StopOptions{Timeout: &timeout})))
	}
	return errors.Join(errs...)
}

// removeMembers force-removes a task's containers.
func (t *Target) removeMembers(ctx context.Context, tk *task) error {
	t.mu.Lock()
	members := tk.members
	t.mu.Unlock()
	var errs []error
	for _, m := range members {
		errs = append(errs, ignoreNotFound(t.cli.ContainerRemove(ctx, m.id, container.RemoveOptions{Force: true})))
		t.mu.Lock()
		delete(t.members, m.id)
		t.mu.Unlock()
		t.ooms.forget(m.id)
	}
	return errors.Join(errs...)
}

// releaseTask removes what a task of several containers had besides
// them, once they are gone: its volumes, the agent's session, its
// envelope.
func (t *Target) releaseTask(ctx context.Context, tk *task) error {
	var errs []error
	for _, v := range tk.volumes {
		errs = append(errs, ignoreNotFound(t.cli.VolumeRemove(ctx, v, true)))
	}
	tk.volumes = nil
	if tk.session != nil {
		errs = append(errs, tk.session.Stop(ctx))
		tk.session = nil
	}
	if tk.parent != nil {
		errs = append(errs, tk.parent.Remove())
		tk.parent = nil
	}
	return errors.Join(errs...)
}

// watchTaskStats follows the stats of a task's container, or of each
// container of a task of several, against the task's cpu.
func (t *Target) watchTaskStats(ctx context.Context, tk *task) {
	units := t.cfg.cpuUnits(tk.size)
	if len(tk.members) == 0 {
		go tk.stats.run(ctx, t.cli, tk.containerID, units)
		return
	}
	for _, m := range tk.members {
		go m.stats.run(ctx, t.cli, m.id, units)
	}
}

// taskUsage is a task's resource use: its container's, or the sum of its
// containers' (each one's CPU is already in percent of the task's cpu).
// Called under Target.mu.
func taskUsage(tk *task) usage {
	if len(tk.members) == 0 {
		return tk.stats.get()
	}
	var u usage
	for _, m := range tk.members {
		mu := m.stats.get()
		u.CPUPct += mu.CPUPct
		u.MemMiB += mu.MemMiB
		u.OOMEvents += mu.OOMEvents
	}
	u.CPUPct = min(u.CPUPct, 100)
	return u
}

// containerStats are a task's containers as Observe reports them. Called
// under Target.mu.
func containerStats(tk *task) []lab.ContainerStat {
	if len(tk.members) == 0 {
		return nil
	}
	out := make([]lab.ContainerStat, len(tk.members))
	for i, m := range tk.members {
		u := m.stats.get()
		st := lab.ContainerStat{Name: m.def.Name, Essential: m.def.Essential, State: "pending", Health: m.health, ExitCode: m.exit}
		switch {
		case m.exit != nil:
			st.State = "exited"
		case m.started:
			st.State = "running"
			st.CPUPct, st.MemMiB = u.CPUPct, u.MemMiB
		}
		out[i] = st
	}
	return out
}
