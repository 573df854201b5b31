package local

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
)

// A start that fails after its container was created (the runtime
// cannot exec the image's entrypoint) removes the container, says so in
// a task_start_failed event, and the scheduler starts another: the
// service gets back to its desired count.
func TestStartFailureIsRemovedAndReplaced(t *testing.T) {
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 1)
	d.mu.Lock()
	d.failStart = func(n int) bool { return n == 2 } // the first start after the deployment
	d.mu.Unlock()

	if err := tg.Scale(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no task_start_failed event", func() bool { return len(rec.of(lab.EventTaskStartFailed)) == 1 })
	if msg := rec.of(lab.EventTaskStartFailed)[0].Data.(lab.TaskStartFailed).Error; !strings.Contains(msg, "OCI runtime create failed") {
		t.Errorf("task_start_failed error %q does not say why", msg)
	}
	eventually(t, "the service did not get back to 2 healthy tasks", func() bool { return tg.Observe().Healthy == 2 })
	if n := len(d.names()); n != 2 {
		t.Errorf("%d containers exist (%v), want the 2 tasks': the one that failed to start is removed", n, d.names())
	}
	if n := len(rec.of(lab.EventTaskStarted)); n != 2 {
		t.Errorf("%d task_started events, want 2: a task that never ran did not start", n)
	}
	if n := len(rec.of(lab.EventTaskStopped)); n != 0 {
		t.Errorf("%d task_stopped events, want none", n)
	}
}

// Once an entry's teardown has begun, no task starts: a start the
// scheduler decided before it, still creating its container, gives up,
// removes the container and is not counted as started.
func TestNoStartAfterTeardownBegan(t *testing.T) {
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 1)
	gate := make(chan struct{})
	d.mu.Lock()
	d.createGate, d.creating = gate, make(chan string, 10)
	d.mu.Unlock()

	if err := tg.Scale(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	<-d.creating // the replacement is being created
	torn := make(chan error)
	go func() { torn <- tg.Teardown(context.Background()) }()
	eventually(t, "the teardown did not begin", func() bool {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		return !tg.deployed
	})
	close(gate)
	if err := <-torn; err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if names := d.names(); len(names) != 0 {
		t.Errorf("containers left after the teardown: %v", names)
	}
	if n := len(rec.of(lab.EventTaskStarted)); n != 1 {
		t.Errorf("%d task_started events, want 1: the start overtaken by the teardown is not a task", n)
	}
	for _, stop := range rec.stops() {
		if stop.Task != "t1" {
			t.Errorf("a task that never started stopped: %+v", stop)
		}
	}
	if n := len(rec.of(lab.EventTaskStartFailed)); n != 0 {
		t.Errorf("task_start_failed events %v: an abandoned start is no failure", rec.of(lab.EventTaskStartFailed))
	}
}

// Docker sends a container's oom event now and then after its die event
// (containerd publishes them from different goroutines), and then its
// State.OOMKilled stays false: the stop is still an OOM kill.
func TestOOMEventAfterDie(t *testing.T) {
	for _, oomAfter := range []time.Duration{-1, 0, 300 * time.Millisecond} {
		t.Run(oomAfter.String(), func(t *testing.T) {
			d := newFakeDocker()
			_, rec := startFakeTarget(t, d, 1)
			d.die(onlyContainer(t, d), 137, true, oomAfter)
			eventually(t, "no task_stopped event", func() bool { return len(rec.of(lab.EventTaskStopped)) == 1 })
			stop := rec.stops()[0]
			if stop.Reason != lab.StopReasonOOM || !stop.OOMKilled() || stop.Exit.Code != 137 {
				t.Errorf("task_stopped %+v, want the OOM reason, oom true and exit code 137", stop)
			}
		})
	}
}

// A SIGKILL that is no OOM kill is recorded as an exit; one lab sent
// (kill_task) is recorded at once, without waiting for an oom event.
func TestSIGKILLIsNoOOM(t *testing.T) {
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 2)
	outside, _ := d.container(d.ids()[0])
	d.die(outside.id, 137, false, 0) // killed from outside lab
	eventually(t, "the stop not recorded", func() bool { return len(rec.of(lab.EventTaskStopped)) == 1 })
	start := time.Now()
	if err := tg.KillTask(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "not both stops recorded", func() bool { return len(rec.of(lab.EventTaskStopped)) == 2 })
	var outsideTask string
	for _, ev := range rec.of(lab.EventTaskStarted) {
		if started := ev.Data.(lab.TaskStarted); started.Container == outside.name {
			outsideTask = started.Task
		}
	}
	for _, ev := range rec.of(lab.EventTaskStopped) {
		stop := ev.Data.(lab.TaskStopped)
		if stop.Reason != lab.StopReasonExited || stop.Exit == nil || stop.Exit.OOM {
			t.Errorf("task_stopped %+v, want %q and oom false", stop, lab.StopReasonExited)
		}
		if stop.Task != outsideTask {
			if d := ev.Time.Sub(start); d >= oomGrace {
				t.Errorf("the task lab killed was recorded after %s, want at once", d)
			}
		}
	}
}

// A container that is OOM-killed as soon as it starts is a task that
// started and stopped with the OOM reason, and is replaced.
func TestOOMAtStart(t *testing.T) {
	d := newFakeDocker()
	tg, rec := startFakeTarget(t, d, 1)
	kills := 0
	d.mu.Lock()
	d.onStart = func(id string) {
		if kills < 3 {
			kills++
			d.die(id, 137, true, 100*time.Millisecond)
		}
	}
	d.mu.Unlock()
	d.die(onlyContainer(t, d), 137, true, -1)
	eventually(t, "not 4 OOM kills recorded", func() bool { return len(rec.of(lab.EventTaskStopped)) == 4 })
	for _, stop := range rec.stops() {
		if stop.Reason != lab.StopReasonOOM {
			t.Errorf("task_stopped %+v, want the OOM reason", stop)
		}
	}
	eventually(t, "no healthy replacement", func() bool { return tg.Observe().Healthy == 1 })
	if started, stopped := len(rec.of(lab.EventTaskStarted)), len(rec.of(lab.EventTaskStopped)); started != stopped+1 {
		t.Errorf("%d tasks started, %d stopped: want every stopped task started and replaced", started, stopped)
	}
}

func (d *fakeDocker) ids() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for id := range d.containers {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func onlyContainer(t *testing.T, d *fakeDocker) string {
	t.Helper()
	ids := d.ids()
	if len(ids) != 1 {
		t.Fatalf("containers %v, want one", ids)
	}
	return ids[0]
}
