package local

import (
	"context"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
)

// taskStat is the observed state of task id, if the target has it.
func taskStat(tg *Target, id string) (lab.TaskStat, bool) {
	for _, ts := range tg.Observe().Tasks {
		if ts.ID == id {
			return ts, true
		}
	}
	return lab.TaskStat{}, false
}

// registered reports whether the balancer knows task id.
func registered(tg *Target, id string) bool {
	for _, ts := range tg.bal.Targets() {
		if ts.ID == id {
			return true
		}
	}
	return false
}

// With service.start_delay, a task the scheduler adds is held
// PROVISIONING, then PENDING, its container created but not started and
// the balancer not told, before it starts as any task does. The entry's
// first task starts without the delay.
func TestStartDelayHoldsNewTasks(t *testing.T) {
	const delay = time.Second
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 1)
	if n := len(rec.of(lab.EventTaskProvisioning)); n != 0 {
		t.Fatalf("%d task_provisioning events at the deployment, want none: an entry's first tasks are not held", n)
	}
	tg.cfg.Scenario.Service.StartDelay = delay

	scaled := time.Now()
	if err := tg.Scale(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no task_provisioning event", func() bool { return len(rec.of(lab.EventTaskProvisioning)) == 1 })
	prov := rec.of(lab.EventTaskProvisioning)[0].Data.(lab.TaskProvisioning)
	if prov.Task != "t2" || prov.StartDelay != delay.Seconds() || prov.Size != "256/512" {
		t.Errorf("task_provisioning %+v, want t2, 256/512, %v s", prov, delay.Seconds())
	}
	ts, ok := taskStat(tg, "t2")
	if !ok || ts.State != "provisioning" && ts.State != "pending" || ts.StartsIn <= 0 || ts.StartsIn > delay {
		t.Errorf("held task observed as %+v, want provisioning or pending with up to %s left", ts, delay)
	}
	d.mu.Lock()
	starts := d.starts
	d.mu.Unlock()
	if starts != 1 || registered(tg, "t2") {
		t.Errorf("while held: %d container starts (want the first task's only), registered with the balancer: %v", starts, registered(tg, "t2"))
	}

	eventually(t, "the held task never became healthy", func() bool { return tg.Observe().Healthy == 2 })
	started := rec.of(lab.EventTaskStarted)
	if len(started) != 2 || started[1].Time.Sub(scaled) < delay {
		t.Errorf("task_started events %v: want t2's at least %s after the scale-out", started, delay)
	}
}

// The entry's teardown ends a hold at once: the held task is removed,
// never started, and the teardown does not wait out the delay.
func TestTeardownEndsAHold(t *testing.T) {
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 1)
	tg.cfg.Scenario.Service.StartDelay = time.Minute
	if err := tg.Scale(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no task_provisioning event", func() bool { return len(rec.of(lab.EventTaskProvisioning)) == 1 })
	done := make(chan error)
	go func() { done <- tg.Teardown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("teardown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the teardown waited for the held task's delay")
	}
	if names := d.names(); len(names) != 0 {
		t.Errorf("containers left after the teardown: %v", names)
	}
	if n := len(rec.of(lab.EventTaskStarted)); n != 1 {
		t.Errorf("%d task_started events, want 1: the held task never started", n)
	}
}

// A held task is PROVISIONING for the first half of its delay, PENDING
// for the second, then pending until it is healthy once.
func TestHeldTaskState(t *testing.T) {
	start := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tk := &task{starting: true, delay: 40 * time.Second, startAt: start.Add(40 * time.Second)}
	for _, c := range []struct {
		at    time.Duration
		state string
		left  time.Duration
	}{
		{0, "provisioning", 40 * time.Second},
		{19 * time.Second, "provisioning", 21 * time.Second},
		{20 * time.Second, "pending", 20 * time.Second},
		{39 * time.Second, "pending", time.Second},
		{40 * time.Second, "pending", 0},
	} {
		if state, left := tk.state(start.Add(c.at)); state != c.state || left != c.left {
			t.Errorf("at %s: %s with %s left, want %s with %s", c.at, state, left, c.state, c.left)
		}
	}
	tk.starting, tk.running = false, true
	if state, left := tk.state(start); state != "running" || left != 0 {
		t.Errorf("a running task is %s with %s left", state, left)
	}
	if state, left := (&task{starting: true}).state(start); state != "pending" || left != 0 {
		t.Errorf("a task without a delay is %s with %s left, want pending", state, left)
	}
}
