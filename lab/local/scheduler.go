package local

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/scenarios"
)

// The service scheduler: like ECS's, it keeps the number of tasks at the
// desired count, replaces tasks that stop, stops tasks that fail their
// health checks, and rolls deployments.

// initialGrace is how long a task that never passed a health check may
// keep failing before it is stopped, when the scenario sets no grace
// period: long enough for an app to boot.
const initialGrace = 10 * time.Second

// schedule reconciles the task set with the desired count whenever
// something changes, and once a second in case a start failed.
func (t *Target) schedule() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-t.kick:
		case <-tick.C:
		}
		t.reconcile()
	}
}

func (t *Target) wake() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// reconcile starts missing tasks and drains surplus ones. It leaves the
// task set alone while a deployment rolls.
func (t *Target) reconcile() {
	t.mu.Lock()
	if !t.deployed || t.deploying {
		t.mu.Unlock()
		return
	}
	epoch := t.epoch
	var live, started []*task
	for _, tk := range t.tasks {
		if !tk.stopping {
			live = append(live, tk)
			if !tk.starting {
				started = append(started, tk)
			}
		}
	}
	// A start counts as live once its container is created; until then
	// it is launching.
	missing := t.desired - len(live) - t.launching
	var surplus []*task
	if missing < 0 {
		// Scale in: unhealthy tasks first, then the newest. A task still
		// starting is left to finish; the next round counts it.
		sort.Slice(started, func(i, j int) bool {
			if started[i].healthy != started[j].healthy {
				return !started[i].healthy
			}
			return taskSeq(started[i].id) > taskSeq(started[j].id)
		})
		surplus = started[:min(-missing, len(started))]
		for _, tk := range surplus {
			tk.stopping = true
		}
	}
	t.launching += max(missing, 0)
	t.mu.Unlock()

	// The missing tasks start at once, as ECS starts them, and the
	// scheduler does not wait for them (a start may be held for the start
	// delay); a start that fails is tried again at a later round.
	launched := func() {
		t.mu.Lock()
		t.launching--
		t.mu.Unlock()
	}
	for range missing {
		go func() {
			if _, err := t.startTask(t.ctx, epoch, launched); err != nil && t.ctx.Err() == nil && !errors.Is(err, errTornDown) {
				t.emitEvent(lab.Event{Data: lab.TaskStartFailed{Error: err.Error()}})
			}
		}()
	}
	for _, tk := range surplus {
		go t.stopGracefully(t.ctx, tk, "scale-in")
	}
}

// healthReporter turns a task's health checks into balancer state,
// events, and, when the task keeps failing outside its grace period, a
// stop with ECS's reason.
func (t *Target) healthReporter(tk *task) func(balancer.HealthResult) {
	hc := t.cfg.Scenario.Service.HealthCheck
	return func(h balancer.HealthResult) {
		t.mu.Lock()
		if tk.stopping {
			t.mu.Unlock()
			return
		}
		if h.Changed {
			tk.healthy = h.Healthy
			if h.Healthy {
				tk.running = true
			}
		}
		grace := hc.GracePeriod
		if !tk.running {
			grace = max(grace, initialGrace)
		}
		fail := h.Failing && time.Since(tk.started) > grace
		if fail {
			tk.stopping = true
		}
		t.mu.Unlock()

		if h.Changed {
			t.bal.SetHealthy(tk.id, h.Healthy)
			t.emitEvent(lab.Event{Data: lab.HealthChanged{Task: tk.id, Healthy: h.Healthy}})
		}
		if fail {
			go func() {
				t.bal.Deregister(tk.id)
				t.killTask(tk)
				t.finishFailed(tk, lab.TaskStopped{Reason: lab.StopReasonUnhealthy, Exit: &lab.Exit{Code: sigkilled}})
			}()
		}
	}
}

// watchEvents follows Docker's events for the run's containers: a task
// that dies without lab stopping it is recorded with ECS's reason and
// replaced. ready is closed once the subscription is in place.
func (t *Target) watchEvents(ready chan<- struct{}) {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", LabelRun+"="+t.cfg.RunID),
		filters.Arg("event", string(events.ActionOOM)),
		filters.Arg("event", string(events.ActionDie)),
		filters.Arg("event", string(events.ActionHealthStatus)),
	)
	msgs, errs := t.cli.Events(t.ctx, events.ListOptions{Filters: f})
	close(ready)
	resubscribed := 0
	for {
		select {
		case <-t.ctx.Done():
			return
		case err := <-errs:
			if t.ctx.Err() != nil {
				return
			}
			// Without the events stream lab no longer sees its tasks die:
			// subscribe again if the daemon answers, else the run cannot
			// go on.
			pctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
			_, perr := t.cli.Ping(pctx)
			cancel()
			if perr != nil || resubscribed >= maxResubscribe {
				if t.ctx.Err() == nil {
					t.fail(&LostError{Host: t.cli.DaemonHost(), Err: err})
				}
				return
			}
			resubscribed++
			msgs, errs = t.cli.Events(t.ctx, events.ListOptions{Filters: f})
		case m := <-msgs:
			switch m.Action {
			case events.ActionOOM:
				t.ooms.mark(m.Actor.ID)
			case events.ActionDie:
				code, _ := strconv.Atoi(m.Actor.Attributes["exitCode"])
				go t.taskDied(m.Actor.ID, code)
			case events.ActionHealthStatusHealthy, events.ActionHealthStatusUnhealthy:
				go t.memberHealth(m.Actor.ID, m.Action == events.ActionHealthStatusHealthy)
			}
		}
	}
}

// maxResubscribe bounds how often a run subscribes to Docker's events
// again after the stream broke while the daemon still answered.
const maxResubscribe = 5

// taskDied records a task whose container exited without lab stopping
// it; a task still starting is left to startTask, which records it.
func (t *Target) taskDied(containerID string, exitCode int) {
	t.mu.Lock()
	if m, ok := t.members[containerID]; ok {
		t.mu.Unlock()
		t.memberDied(m, exitCode)
		return
	}
	tk, ok := t.tasks[containerID]
	if !ok || tk.stopping || tk.exited != nil {
		t.mu.Unlock()
		return
	}
	if tk.starting {
		tk.exited = &exit{code: exitCode}
		t.mu.Unlock()
		return
	}
	tk.stopping = true
	t.exits.Add(1)
	t.mu.Unlock()
	defer t.exits.Done()
	t.recordExit(tk, nil, exitCode)
}

// oomGrace is how long a SIGKILLed container's stop waits for Docker's
// oom event. containerd publishes a task's OOM and its exit from
// different goroutines, so the oom event now and then comes after the
// die; then State.OOMKilled stays false too, and only the late event
// tells an OOM kill from another SIGKILL.
const oomGrace = 5 * time.Second

// sigkilled is the exit code of a process killed by SIGKILL, as an OOM
// kill is (128 + 9).
const sigkilled = 137

// recordExit records the stop of a task whose container exited (m, an
// essential container of a task of several; nil: the task's own or its
// holder), with ECS's reason, and has it replaced. OOM is recognised from
// Docker's oom event or State.OOMKilled (on cgroup v2 containerd learns
// it from memory.events), or on cgroup v2 from the stats' oom count
// before a SIGKILL; never from exit code 137 alone (any SIGKILL gives
// that).
func (t *Target) recordExit(tk *task, m *member, exitCode int) {
	t.bal.Deregister(tk.id)
	t.mu.Lock()
	killed := tk.killed
	t.mu.Unlock()
	id, stats, stop := tk.containerID, &tk.stats, lab.TaskStopped{Reason: lab.StopReasonExited}
	if m != nil {
		id, stats, stop.Container = m.id, &m.stats, m.def.Name
	}
	stop.Exit = &lab.Exit{Code: exitCode, OOM: t.oomKilled(id, stats, exitCode, killed)}
	if stop.Exit.OOM {
		stop.Reason = lab.StopReasonOOM
	}
	t.finishFailed(tk, stop)
}

// oomKilled reports whether a container that exited with exitCode was
// killed for memory. On cgroup v2 the stats may have shown the limit hit
// with nothing left to reclaim (memory.events' oom) before a SIGKILL lab
// did not send: that is an OOM kill even when Docker's event is missed.
func (t *Target) oomKilled(id string, stats *watchStats, exitCode int, killed bool) bool {
	oom := t.ooms.seen(id) || exitCode == sigkilled && !killed && stats.get().OOMEvents > 0
	if !oom && exitCode == sigkilled && !killed {
		oom = t.ooms.wait(t.ctx, id, oomGrace)
	}
	if !oom {
		ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
		if info, err := t.cli.ContainerInspect(ctx, id); err == nil && info.State != nil {
			oom = info.State.OOMKilled
		}
		cancel()
	}
	return oom
}

// finishFailed records a failed task's stop (stop, its task filled in
// here), wakes the scheduler to replace it, and removes its containers
// meanwhile.
func (t *Target) finishFailed(tk *task, stop lab.TaskStopped) {
	t.mu.Lock()
	cancel := tk.cancel
	t.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	stop.Task = tk.id
	t.emitEvent(lab.Event{Data: stop})
	t.wake()
	ctx, cancelRm := context.WithTimeout(context.WithoutCancel(t.ctx), 10*time.Second)
	if err := t.removeMembers(ctx, tk); err != nil {
		t.keep(fmt.Errorf("remove stopped task %s's containers: %w", tk.id, err))
	}
	if err := t.cli.ContainerRemove(ctx, tk.containerID, container.RemoveOptions{Force: true}); err != nil {
		t.keep(fmt.Errorf("remove stopped task %s: %w", tk.id, err))
	}
	t.mu.Lock()
	delete(t.tasks, tk.containerID)
	t.mu.Unlock()
	t.ooms.forget(tk.containerID)
	if err := t.releaseTask(ctx, tk); err != nil {
		t.keep(fmt.Errorf("release stopped task %s: %w", tk.id, err))
	}
	cancelRm()
}

// Scale sets the desired count; the scheduler starts or drains tasks.
func (t *Target) Scale(ctx context.Context, n int) error {
	if n < 0 {
		return fmt.Errorf("scale: desired count %d is negative", n)
	}
	if n > scenarios.MaxTasks {
		return fmt.Errorf("scale: desired count %d is over the limit of %d: every task is a container on this host", n, scenarios.MaxTasks)
	}
	t.mu.Lock()
	t.desired = n
	t.mu.Unlock()
	t.wake()
	return nil
}

// Resize rolls the service to another task size as an ECS deployment
// with minimum healthy 100% and maximum 200% does: start a full set of
// tasks at the new size, wait until they are healthy, then drain and stop
// the old ones. It returns when the deployment is complete.
func (t *Target) Resize(ctx context.Context, size scenarios.Size) error {
	t.mu.Lock()
	if t.deploying {
		t.mu.Unlock()
		return fmt.Errorf("resize to %s: a deployment is already in progress", size)
	}
	t.deploying = true
	t.entry.Size = size
	n, epoch := t.desired, t.epoch
	var old []*task
	for _, tk := range t.tasks {
		if !tk.stopping && !tk.starting {
			old = append(old, tk)
		}
	}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.deploying = false
		t.mu.Unlock()
		t.wake()
	}()

	// The new tasks start at once, as ECS starts a deployment's tasks:
	// with a start delay, one after the other would add up.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = t.startTask(ctx, epoch, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("resize to %s: %w", size, err)
	}
	if err := t.waitHealthy(ctx, size, n); err != nil {
		return fmt.Errorf("resize to %s: %w", size, err)
	}
	done := make(chan struct{}, len(old))
	for _, tk := range old {
		t.mu.Lock()
		skip := tk.stopping
		tk.stopping = true
		t.mu.Unlock()
		if skip {
			done <- struct{}{}
			continue
		}
		go func() {
			t.stopGracefully(ctx, tk, "deployment to "+size.String())
			done <- struct{}{}
		}()
	}
	for range old {
		<-done
	}
	return nil
}

// KillTask kills n running tasks with SIGKILL, as a crash would: the
// scheduler records and replaces them like any other failure.
func (t *Target) KillTask(ctx context.Context, n int) error {
	for _, tk := range t.oldestLive(n, false) {
		t.mu.Lock()
		tk.killed = true
		t.mu.Unlock()
		if err := t.cli.ContainerKill(ctx, t.crashTarget(tk), "SIGKILL"); err != nil {
			return fmt.Errorf("kill task %s: %w", tk.id, err)
		}
	}
	return nil
}

// StopTask stops n running tasks as ECS's StopTask does: drained from the
// balancer (its deregistration delay), then SIGTERM and SIGKILL after the
// stop timeout. They stop with lab.StopTaskReason and are replaced.
func (t *Target) StopTask(ctx context.Context, n int) error {
	var errs []error
	for _, tk := range t.oldestLive(n, true) {
		errs = append(errs, t.stopGracefully(ctx, tk, lab.StopTaskReason))
	}
	return errors.Join(errs...)
}

// oldestLive returns the n (at most) oldest tasks lab is not stopping
// and that are done starting; with mark, it marks them stopped by a
// stop_task action.
func (t *Target) oldestLive(n int, mark bool) []*task {
	t.mu.Lock()
	defer t.mu.Unlock()
	var live []*task
	for _, tk := range t.tasks {
		if !tk.stopping && !tk.starting {
			live = append(live, tk)
		}
	}
	sort.Slice(live, func(i, j int) bool { return taskSeq(live[i].id) < taskSeq(live[j].id) })
	live = live[:min(n, len(live))]
	if mark {
		for _, tk := range live {
			tk.stopping, tk.stopped = true, lab.StopTaskReason
		}
	}
	return live
}
