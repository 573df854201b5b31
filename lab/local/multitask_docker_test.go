package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
)

const busyboxImage = "lab-test-busybox:multi"

// A task of three containers on Docker: an init container writes a file
// to a volume the task's containers share and exits (non-essential); the
// app (lab's workload) starts once it succeeded; a sidecar starts after
// both and its CMD-SHELL health check reaches the app on localhost,
// reads the file and reads the task's metadata from the task agent. The balancer reaches the app through the holder. Then
// the sidecar's check fails: the task is replaced; then kill_task kills
// the app: the task stops as ECS says, naming the container. It runs
// without a task envelope (each container its share of the task's), as
// where lab cannot make a parent cgroup; the OOM test below has one.
func TestTaskOfContainersOnDocker(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wl := workloadImage(t, ctx, cli)
	dockertest.BusyboxImage(t, cli, busyboxImage)
	shared := []Mount{{Volume: "shared", Path: "/shared"}}
	def := &TaskDef{
		Volumes: []string{"shared"},
		Containers: []ContainerDef{
			{Name: "app", Image: wl, Essential: true, Env: map[string]string{"PORT": "8080"},
				DependsOn: []Dependency{{Container: "init", Condition: CondSuccess}}},
			{Name: "sidecar", Image: busyboxImage, Essential: true, Mounts: shared,
				Command: []string{"sh", "-c", "test -f /shared/flag && exec sleep 600"},
				// The task agent answers on the task's localhost too.
				HealthCheck: &HealthCheck{Command: []string{"CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ && test -f /shared/flag && wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/task | grep -q '\"Family\"'"},
					Interval: 300 * time.Millisecond, Timeout: 5 * time.Second, Retries: 1},
				DependsOn: []Dependency{{Container: "init", Condition: CondSuccess}, {Container: "app", Condition: CondStart}}},
			{Name: "init", Image: busyboxImage, Mounts: shared, Command: []string{"sh", "-c", "echo ok > /shared/flag"}},
		},
		LoadBalancer: LoadBalancerTarget{Container: "app", Port: 8080},
	}
	tg, rec := startTaskTarget(t, ctx, cli, def, wl, scenarios.Size{CPU: 256, Memory: 512}, nil)
	if err := tg.Deploy(ctx, scenarios.Entry{Label: "256/512", Size: scenarios.Size{CPU: 256, Memory: 512}, Count: 1}, rec.emit); err != nil {
		dumpEvents(t, rec)
		t.Fatalf("deploy: %v", err)
	}
	var order []string
	for _, ev := range rec.of(lab.EventContainerStarted) {
		order = append(order, ev.Data.(lab.ContainerStarted).Container)
	}
	if fmt.Sprint(order) != "[init app sidecar]" {
		t.Errorf("containers started in the order %v, want [init app sidecar]", order)
	}
	// The sidecar's check passes only on a shared localhost, with the file.
	eventually(t, "the sidecar's health check did not pass", func() bool { return len(rec.of(lab.EventContainerHealth)) == 1 })
	if _, err := cli.ContainerInspect(ctx, "lab-"+tg.cfg.RunID+"-t1-agent"); err != nil {
		t.Errorf("the task's agent: %v", err)
	}

	sidecar := memberID(tg, "t1", "sidecar")
	execIn(t, ctx, cli, sidecar, "sh", "-c", "rm /shared/flag")
	t.Cleanup(func() {
		if t.Failed() {
			dumpEvents(t, rec)
		}
	})
	eventually(t, "the unhealthy task did not stop", func() bool { return len(rec.stops()) == 1 })
	if s := rec.stops()[0]; s.Reason != lab.StopReasonContainerHealth || s.Container != "sidecar" {
		t.Errorf("stop %+v, want %q for sidecar", s, lab.StopReasonContainerHealth)
	}
	eventually(t, "the replacement is not healthy", func() bool { return tg.Observe().Healthy == 1 && memberID(tg, "t2", "app") != "" })

	if err := tg.KillTask(ctx, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the killed task did not stop", func() bool { return len(rec.stops()) == 2 })
	if s := rec.stops()[1]; s.Task != "t2" || s.Reason != lab.StopReasonExited || s.Container != "app" || s.Exit.OOM {
		t.Errorf("stop %+v, want t2's app, %q, no OOM", s, lab.StopReasonExited)
	}
	if got := tg.Platform().Envelope; got != lab.EnvelopePerContainer {
		t.Errorf("summary's envelope %q, want %q", got, lab.EnvelopePerContainer)
	}
	if err := tg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	assertRunGone(t, ctx, cli, tg.cfg.RunID)
}

// A container that allocates past the task's memory, beside the app in
// the same task, is OOM-killed, and the stop names it.
func TestOOMKillNamesTheContainer(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wl := workloadImage(t, ctx, cli)
	const alloc = "lab-test-alloc:multi"
	dockertest.ProgramImage(t, cli, alloc, "./testdata/alloc")
	def := &TaskDef{
		Containers: []ContainerDef{
			{Name: "app", Image: wl, Essential: true, Env: map[string]string{"PORT": "8080"}},
			{Name: "leak", Image: alloc, Essential: true},
		},
		LoadBalancer: LoadBalancerTarget{Container: "app", Port: 8080},
	}
	size := scenarios.Size{CPU: 256, Memory: 64}
	tg, rec := startTaskTarget(t, ctx, cli, def, wl, size, envelopeHost(t, ctx, cli))
	// The service as a Deploy leaves it, without waiting for a health
	// check the task may not live to pass. Filling the envelope takes the
	// leak about a second under a quarter of a vCPU, with the app starved
	// meanwhile: the test's 50 ms health checks would fail the task first,
	// where ALB's (5 s at least, twice) never would.
	tg.mu.Lock()
	tg.cfg.Scenario.Service.HealthCheck.Interval = 5 * time.Second
	tg.cfg.Scenario.Service.HealthCheck.Timeout = 4 * time.Second
	tg.entry = scenarios.Entry{Label: "64m", Size: size, Count: 1}
	tg.emit, tg.desired, tg.deployed = rec.emit, 1, true
	tg.mu.Unlock()
	tg.wake()
	deadline := time.Now().Add(60 * time.Second)
	for len(rec.stops()) == 0 {
		if time.Now().After(deadline) {
			dumpEvents(t, rec)
			t.Fatal("no task stopped in 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := rec.stops()[0]; s.Reason != lab.StopReasonOOM || s.Container != "leak" || !s.OOMKilled() {
		dumpEvents(t, rec)
		t.Errorf("stop %+v, want %q naming leak", s, lab.StopReasonOOM)
	}
	if got := tg.Platform().Envelope; tg.cfg.Envelope != nil && got != lab.EnvelopeTask {
		t.Errorf("summary's envelope %q, want %q", got, lab.EnvelopeTask)
	}
}

// startTaskTarget is a local target on Docker running tasks of def, with
// the task envelope host env (nil: none); closed when the test ends.
func startTaskTarget(t *testing.T, ctx context.Context, cli *client.Client, def *TaskDef, holder string, size scenarios.Size, env *envelope.Host) (*Target, *recorder) {
	t.Helper()
	return startTaskTargetWith(t, ctx, cli, def, holder, size, env, nil)
}

// startTaskTargetWith is startTaskTarget with the scenario changed by
// adjust (nil: as is) before the target is made.
func startTaskTargetWith(t *testing.T, ctx context.Context, cli *client.Client, def *TaskDef, holder string, size scenarios.Size, env *envelope.Host, adjust func(*scenarios.Scenario)) (*Target, *recorder) {
	t.Helper()
	if err := def.Validate(); err != nil {
		t.Fatal(err)
	}
	sc := fakeScenario()
	sc.Service.CPU, sc.Service.Memory = size.CPU, size.Memory
	// Real containers under a quarter of a vCPU (or its share of it) are
	// throttled for most of each 100 ms CFS period while they start: the
	// fake's 40 ms timeout would fail a task that is fine. Still fast,
	// but longer than a period, and three misses.
	hc := &sc.Service.HealthCheck
	hc.Interval, hc.Timeout, hc.UnhealthyThreshold = 250*time.Millisecond, 200*time.Millisecond, 3
	if adjust != nil {
		adjust(sc)
	}
	cfg := Config{RunID: fmt.Sprintf("mt%d", time.Now().UnixNano()%1e6), Scenario: sc, Task: def, HolderImage: holder, Envelope: env}
	tg, err := New(ctx, cli, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tg.Close(cctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return tg, &recorder{}
}

// envelopeHost is this daemon's envelope host, or nil when lab cannot
// make parent cgroups here (the target then splits the envelope).
func envelopeHost(t *testing.T, ctx context.Context, cli *client.Client) *envelope.Host {
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
		t.Logf("no task envelope: %v", err)
		return nil
	}
	return &h
}

func workloadImage(t *testing.T, ctx context.Context, cli *client.Client) string {
	t.Helper()
	image, _, err := workload.EnsureImage(ctx, cli, workload.WithKeepStale())
	if err != nil {
		t.Fatal(err)
	}
	return image
}

// memberID is the id of the container name of task, or "".
func memberID(tg *Target, task, name string) string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, m := range tg.members {
		if m.tk.id == task && m.def.Name == name {
			return m.id
		}
	}
	return ""
}

func execIn(t *testing.T, ctx context.Context, cli *client.Client, id string, cmd ...string) {
	t.Helper()
	ex, err := cli.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerExecStart(ctx, ex.ID, container.ExecStartOptions{Detach: true}); err != nil {
		t.Fatal(err)
	}
}

// assertRunGone fails t when a container or volume of the run remains.
func assertRunGone(t *testing.T, ctx context.Context, cli *client.Client, runID string) {
	t.Helper()
	f := filters.NewArgs(filters.Arg("label", LabelRun+"="+runID))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil || len(cs) > 0 {
		t.Errorf("containers of the run remain: %d (%v)", len(cs), err)
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil || len(vs.Volumes) > 0 {
		t.Errorf("volumes of the run remain: %d (%v)", len(vs.Volumes), err)
	}
}

func dumpEvents(t *testing.T, rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ev := range rec.events {
		t.Logf("%s %s %+v", ev.Time.Format("15:04:05.000"), ev.Type(), ev.Data)
	}
}
