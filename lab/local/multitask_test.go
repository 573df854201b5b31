package local

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
)

// fakeTaskDef is an app behind a proxy that must be healthy first, and a
// non-essential init container that must complete before the proxy
// starts.
func fakeTaskDef() *TaskDef {
	return &TaskDef{
		Family: "web",
		Containers: []ContainerDef{
			{Name: "app", Image: "app", Essential: true, Ports: []int{8080},
				DependsOn: []Dependency{{Container: "proxy", Condition: CondHealthy}}},
			{Name: "proxy", Image: "proxy", Essential: true,
				HealthCheck: &HealthCheck{Command: []string{"CMD-SHELL", "true"}},
				DependsOn:   []Dependency{{Container: "init", Condition: CondComplete}}},
			{Name: "init", Image: "init"},
		},
		LoadBalancer: LoadBalancerTarget{Container: "app", Port: 8080},
	}
}

// newFakeTaskTarget is a local target on d running tasks of def, not yet
// deployed; it is closed when the test ends.
func newFakeTaskTarget(t *testing.T, d *fakeDocker, def *TaskDef) (*Target, *recorder) {
	t.Helper()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(d, Config{RunID: "fake", Scenario: fakeScenario(), Task: def, HolderImage: "holder"})
	tg.direct = false
	if err := tg.startLoops(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tg.Close(ctx)
	})
	return tg, &recorder{}
}

// deployAsync deploys the target's first entry and returns the result on
// the channel.
func deployAsync(tg *Target, rec *recorder) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- tg.Deploy(ctx, tg.cfg.Scenario.Entries()[0], rec.emit)
	}()
	return done
}

// started reports whether the container of task t1 named name started.
func started(d *fakeDocker, name string) bool {
	return slices.Contains(d.startOrder(), "lab-fake-e1-t1-"+name)
}

// A task's containers start in dependsOn order: the holder first, then a
// container only once its dependencies' conditions hold (COMPLETE: the
// init container exited; HEALTHY: the proxy's health check passed). All
// join the holder's network namespace; only the holder publishes the
// load balancer's port.
func TestContainersStartInDependsOnOrder(t *testing.T) {
	d := newFakeDocker()
	tg, rec := newFakeTaskTarget(t, d, fakeTaskDef())
	done := deployAsync(tg, rec)

	eventually(t, "init did not start", func() bool { return started(d, "init") })
	time.Sleep(100 * time.Millisecond) // time enough to start what should not
	if started(d, "proxy") || started(d, "app") {
		t.Fatalf("started %v before init completed", d.startOrder())
	}
	d.die(d.byName("lab-fake-e1-t1-init"), 0, false, 0)
	eventually(t, "proxy did not start once init completed", func() bool { return started(d, "proxy") })
	time.Sleep(100 * time.Millisecond)
	if started(d, "app") {
		t.Fatalf("app started before proxy was healthy: %v", d.startOrder())
	}
	d.health(d.byName("lab-fake-e1-t1-proxy"), true)
	if err := <-done; err != nil {
		t.Fatalf("deploy: %v", err)
	}
	want := []string{"lab-fake-e1-t1", "lab-fake-e1-t1-init", "lab-fake-e1-t1-proxy", "lab-fake-e1-t1-app"}
	if got := d.startOrder(); !slices.Equal(got, want) {
		t.Errorf("start order %v, want %v", got, want)
	}
	holder, _ := d.container(d.byName("lab-fake-e1-t1"))
	if holder.port != "8080/tcp" || len(holder.host.PortBindings) != 1 {
		t.Errorf("holder publishes %v, want the load balancer's port 8080", holder.host.PortBindings)
	}
	for _, name := range []string{"app", "proxy"} {
		c, ok := d.container(d.byName("lab-fake-e1-t1-" + name))
		if !ok || string(c.host.NetworkMode) != "container:"+holder.id || len(c.host.PortBindings) != 0 || c.host.Privileged {
			t.Errorf("%s: network %q, ports %v: want the holder's namespace and no port of its own", name, c.host.NetworkMode, c.host.PortBindings)
		}
	}
	obs := tg.Observe()
	if len(obs.Tasks) != 1 || len(obs.Tasks[0].Containers) != 3 {
		t.Fatalf("observed tasks %+v, want one with 3 containers", obs.Tasks)
	}
	for i, want := range []string{"app running healthy=false", "proxy running healthy=true", "init exited healthy=false"} {
		c := obs.Tasks[0].Containers[i]
		if got := fmt.Sprintf("%s %s healthy=%v", c.Name, c.State, c.Health == healthHealthy); got != want {
			t.Errorf("container %d: %s, want %s", i, got, want)
		}
	}
	if n := len(rec.of(lab.EventContainerStarted)); n != 3 {
		t.Errorf("%d container_started events, want 3", n)
	}
	if stops := rec.of(lab.EventContainerStopped); len(stops) != 1 || stops[0].Data.(lab.ContainerStopped).Container != "init" {
		t.Errorf("container_stopped events %v, want init's", stops)
	}
}

// deployedTask deploys a task of an essential app and a non-essential
// sidecar, both started at once.
func deployedTask(t *testing.T) (*fakeDocker, *Target, *recorder) {
	def := &TaskDef{
		Containers: []ContainerDef{
			{Name: "app", Image: "app", Essential: true, HealthCheck: &HealthCheck{Command: []string{"CMD", "true"}}},
			{Name: "sidecar", Image: "sidecar"},
		},
		LoadBalancer: LoadBalancerTarget{Container: "app", Port: 8080},
	}
	d := newFakeDocker()
	tg, rec := newFakeTaskTarget(t, d, def)
	if err := <-deployAsync(tg, rec); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return d, tg, rec
}

// A non-essential container may exit; an essential one's exit stops the
// task with ECS's reason, naming the container, removes all its
// containers, and the scheduler replaces it.
func TestEssentialExitStopsTheTask(t *testing.T) {
	d, tg, rec := deployedTask(t)
	d.die(d.byName("lab-fake-e1-t1-sidecar"), 1, false, 0)
	eventually(t, "no container_stopped for the sidecar", func() bool { return len(rec.of(lab.EventContainerStopped)) == 1 })
	if stops := rec.stops(); len(stops) != 0 {
		t.Fatalf("a non-essential exit stopped the task: %+v", stops)
	}

	d.die(d.byName("lab-fake-e1-t1-app"), 2, false, 0)
	eventually(t, "the task did not stop", func() bool { return len(rec.stops()) == 1 })
	stop := rec.stops()[0]
	if stop.Task != "t1" || stop.Reason != lab.StopReasonExited || stop.Container != "app" || stop.Exit.Code != 2 {
		t.Errorf("stop %+v, want t1, %q, container app, exit code 2", stop, lab.StopReasonExited)
	}
	eventually(t, "the task was not replaced", func() bool { return d.byName("lab-fake-e1-t2-app") != "" && tg.Observe().Healthy == 1 })
	eventually(t, "t1's containers remain", func() bool {
		for _, n := range d.names() {
			if strings.HasPrefix(n, "lab-fake-e1-t1") {
				return false
			}
		}
		return true
	})
}

// An essential container whose own health check fails makes the task
// unhealthy: it is stopped with ECS's reason and replaced.
func TestUnhealthyEssentialContainerReplacesTheTask(t *testing.T) {
	d, tg, rec := deployedTask(t)
	app := d.byName("lab-fake-e1-t1-app")
	d.health(app, true)
	eventually(t, "the task is not HEALTHY", func() bool {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		m := tg.members[app]
		return m != nil && taskHealth(m.tk) == "HEALTHY"
	})
	d.health(app, false)
	eventually(t, "the task did not stop", func() bool { return len(rec.stops()) == 1 })
	if stop := rec.stops()[0]; stop.Reason != lab.StopReasonContainerHealth || stop.Container != "app" {
		t.Errorf("stop %+v, want %q for app", stop, lab.StopReasonContainerHealth)
	}
	eventually(t, "the task was not replaced", func() bool { return d.byName("lab-fake-e1-t2-app") != "" })
	if h := rec.of(lab.EventContainerHealth); len(h) != 2 {
		t.Errorf("%d container_health events, want 2", len(h))
	}
}

// A dependency that exits with an error where SUCCESS is wanted fails the
// task's start; nothing of it remains.
func TestFailedSuccessDependencyFailsTheStart(t *testing.T) {
	def := &TaskDef{
		Containers: []ContainerDef{
			{Name: "app", Image: "app", Essential: true, DependsOn: []Dependency{{Container: "migrate", Condition: CondSuccess}}},
			{Name: "migrate", Image: "migrate"},
		},
		LoadBalancer: LoadBalancerTarget{Container: "app", Port: 8080},
	}
	d := newFakeDocker()
	tg, _ := newFakeTaskTarget(t, d, def)
	errc := make(chan error, 1)
	go func() {
		_, err := tg.startTask(context.Background(), 0, nil)
		errc <- err
	}()
	eventually(t, "migrate did not start", func() bool { return started(d, "migrate") })
	d.die(d.byName("lab-fake-e1-t1-migrate"), 3, false, 0)
	err := <-errc
	if err == nil || !strings.Contains(err.Error(), "exited with code 3, SUCCESS wanted") {
		t.Fatalf("start: %v, want the dependency's failure", err)
	}
	if names := d.names(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}

// A teardown does not wait for a start whose containers wait on their
// dependencies: the start is abandoned and nothing of it remains.
func TestTeardownAbandonsAStartWaitingOnDependencies(t *testing.T) {
	d := newFakeDocker()
	tg, rec := newFakeTaskTarget(t, d, fakeTaskDef())
	deployAsync(tg, rec)
	eventually(t, "init did not start", func() bool { return started(d, "init") })
	done := make(chan error, 1)
	go func() { done <- tg.Teardown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("teardown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the teardown waited for the containers' dependencies")
	}
	if names := d.names(); len(names) != 0 {
		t.Errorf("containers left: %v", names)
	}
}
