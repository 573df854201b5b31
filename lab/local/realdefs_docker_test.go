package local

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/taskdef"
)

// The three real-shaped definitions of taskdef/testdata, run in real
// containers as they are, but for their images (none is on this daemon):
// lab's workload image for the apps, with busybox added where a
// CMD-SHELL health check needs a shell, and busybox for the others, with
// a command that does the job of the image it replaces. Each shows what
// its definition is for: a proxy sidecar reaches the app on localhost,
// an init container runs to completion before the app starts
// (dependsOn COMPLETE), and a CMD-SHELL health check turns unhealthy
// under load and the task is replaced. The proxy waits for the app to be
// HEALTHY, as README's version of the definition does.
func TestRealShapedDefinitionsOnDocker(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wl := workloadImage(t, ctx, cli)
	dockertest.BusyboxImage(t, cli, busyboxImage)
	const wlShell = "lab-test-workload-sh:realdefs"
	dockertest.BusyboxOver(t, cli, wlShell, wl)
	env := envelopeHost(t, ctx, cli)
	load := func(t *testing.T, name string) *taskdef.Definition {
		t.Helper()
		d, err := taskdef.Load(filepath.Join("..", "..", "taskdef", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("sidecar-proxy", func(t *testing.T) {
		d := load(t, "sidecar-proxy.json")
		envoy, app := d.Container("envoy"), d.Container("app")
		// A TCP proxy on 8000 to the UPSTREAM the definition gives it.
		envoy.Image = busyboxImage
		envoy.Command = []string{"sh", "-c", `u=${UPSTREAM#http://}; exec nc -ll -p 8000 -e nc ${u%:*} ${u##*:}`}
		app.Image = wlShell
		// README's version: the proxy starts once the app is healthy.
		app.HealthCheck = &taskdef.HealthCheck{Command: []string{"CMD-SHELL", "wget -q -O /dev/null http://localhost:8080/ || exit 1"}, Interval: 5, Retries: 2}
		envoy.DependsOn = []taskdef.Dependency{{ContainerName: "app", Condition: taskdef.Healthy}}
		// Its nofile of 65536 as far as this machine allows: runc cannot
		// raise a limit above the daemon's own where it lacks
		// CAP_SYS_RESOURCE (a daemon in a container, as in some CI).
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Max < uint64(app.Ulimits[0].HardLimit) {
			t.Logf("nofile %d as the definition says is above this machine's %d: capped", app.Ulimits[0].HardLimit, lim.Max)
			app.Ulimits[0].SoftLimit, app.Ulimits[0].HardLimit = int(lim.Max), int(lim.Max)
		}
		target, _ := d.DefaultTarget()
		def := taskDefFrom(t, d, target, map[string]string{"DB_PASSWORD": "not-a-secret"})
		size := scenarios.Size{CPU: 256, Memory: 512}
		tg, rec := startTaskTarget(t, ctx, cli, def, wl, size, env)
		if err := tg.Deploy(ctx, scenarios.Entry{Label: "256/512", Size: size, Count: 1}, rec.emit); err != nil {
			dumpEvents(t, rec)
			t.Fatalf("deploy: the balancer never reached the app through the proxy: %v", err)
		}
		// The balancer sends to envoy:8000, which has only localhost:8080.
		for i := range 3 {
			code, body := get(t, ctx, tg.Endpoint()+"/")
			if code != http.StatusOK {
				t.Errorf("request %d through the proxy: %d %q", i, code, body)
			}
		}
		healthy := indexOf(rec, lab.EventContainerHealth, "app")
		started := indexOf(rec, lab.EventContainerStarted, "envoy")
		if healthy < 0 || started < healthy {
			dumpEvents(t, rec)
			t.Errorf("envoy started at event %d, the app turned healthy at %d: want envoy after (dependsOn HEALTHY)", started, healthy)
		}
		if err := tg.Close(ctx); err != nil {
			t.Fatal(err)
		}
		assertRunGone(t, ctx, cli, tg.cfg.RunID)
	})

	t.Run("init-container", func(t *testing.T) {
		d := load(t, "init-container.json")
		migrate, app := d.Container("migrate"), d.Container("app")
		// A migration that takes a second, writes to the shared volume and
		// fails: COMPLETE waits for any exit, where SUCCESS would not.
		migrate.Image = busyboxImage
		migrate.Command = []string{"sh", "-c", "sleep 1; echo done > /shared/migrated; exit 3"}
		app.Image, app.EntryPoint, app.Command = wl, []string{"/lab", "workload"}, nil
		target, _ := d.DefaultTarget()
		def := taskDefFrom(t, d, target, nil)
		size := scenarios.Size{CPU: 512, Memory: 1024}
		tg, rec := startTaskTarget(t, ctx, cli, def, wl, size, env)
		if err := tg.Deploy(ctx, scenarios.Entry{Label: "512/1024", Size: size, Count: 1}, rec.emit); err != nil {
			dumpEvents(t, rec)
			t.Fatalf("deploy: %v", err)
		}
		started, stopped := indexOf(rec, lab.EventContainerStarted, "migrate"), indexOf(rec, lab.EventContainerStopped, "migrate")
		appStarted := indexOf(rec, lab.EventContainerStarted, "app")
		if started < 0 || stopped < started || appStarted < stopped {
			dumpEvents(t, rec)
			t.Errorf("migrate started at event %d, stopped at %d, the app started at %d: want them in that order (dependsOn COMPLETE)", started, stopped, appStarted)
		}
		if stopped >= 0 {
			rec.mu.Lock()
			ev := rec.events[stopped].Data.(lab.ContainerStopped)
			rec.mu.Unlock()
			if ev.Exit == nil || ev.Exit.Code != 3 {
				t.Errorf("migrate stopped %+v, want exit code 3", ev)
			}
		}
		if s := rec.stops(); len(s) > 0 {
			t.Errorf("tasks stopped: %+v; a non-essential container's exit stops no task", s)
		}
		if code, body := get(t, ctx, tg.Endpoint()+"/"); code != http.StatusOK {
			t.Errorf("the app after the migration: %d %q", code, body)
		}
		if err := tg.Close(ctx); err != nil {
			t.Fatal(err)
		}
		assertRunGone(t, ctx, cli, tg.cfg.RunID)
	})

	t.Run("health-check", func(t *testing.T) {
		d := load(t, "health-check.json")
		catalog := d.Container("catalog")
		catalog.Image = wlShell
		// Debian's static busybox 1.35 crashes on wget -T (SIGSEGV on
		// every call): without it, the check's own 3 s timeout bounds it.
		catalog.HealthCheck.Command[1] = strings.Replace(catalog.HealthCheck.Command[1], " -T 2", "", 1)
		target, _ := d.DefaultTarget()
		def := taskDefFrom(t, d, target, nil)
		size := scenarios.Size{CPU: 256, Memory: 512}
		tg, rec := startTaskTargetWith(t, ctx, cli, def, wl, size, env, func(sc *scenarios.Scenario) {
			// The balancer's own check and timeout out of the way: the
			// container's check is what must stop the task.
			sc.Service.HealthCheck.Timeout, sc.Service.HealthCheck.UnhealthyThreshold = 900*time.Millisecond, 1000
			sc.Service.HealthCheck.Interval = time.Second
			sc.Balancer.TargetTimeout = time.Minute
		})
		if err := tg.Deploy(ctx, scenarios.Entry{Label: "256/512", Size: size, Count: 1}, rec.emit); err != nil {
			dumpEvents(t, rec)
			t.Fatalf("deploy: %v", err)
		}
		// 20 req/s of 50 ms of CPU each on a quarter of a vCPU: four
		// times what the task serves, so requests queue and the check's
		// request waits behind them.
		lctx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-lctx.Done():
					return
				case <-tick.C:
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequestWithContext(lctx, http.MethodGet, tg.Endpoint()+"/cpu_intensive", nil)
					if resp, err := http.DefaultClient.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}()
			}
		}()
		defer func() { stopLoad(); wg.Wait() }()
		deadline := time.Now().Add(60 * time.Second)
		for len(rec.stops()) == 0 {
			if time.Now().After(deadline) {
				dumpEvents(t, rec)
				t.Fatal("no task stopped in 60s of load")
			}
			time.Sleep(100 * time.Millisecond)
		}
		stopLoad()
		if s := rec.stops()[0]; s.Reason != lab.StopReasonContainerHealth || s.Container != "catalog" {
			dumpEvents(t, rec)
			t.Errorf("stop %+v, want %q naming catalog", s, lab.StopReasonContainerHealth)
		}
		if !slices.ContainsFunc(rec.of(lab.EventContainerHealth), func(ev lab.Event) bool {
			h := ev.Data.(lab.ContainerHealth)
			return h.Container == "catalog" && !h.Healthy
		}) {
			t.Error("no container_health event of catalog with healthy false")
		}
		deadline = time.Now().Add(30 * time.Second)
		for tg.Observe().Healthy < 1 || memberID(tg, "t2", "catalog") == "" {
			if time.Now().After(deadline) {
				dumpEvents(t, rec)
				t.Fatal("the unhealthy task was not replaced by a healthy one within 30s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := tg.Close(ctx); err != nil {
			t.Fatal(err)
		}
		assertRunGone(t, ctx, cli, tg.cfg.RunID)
	})
}

func taskDefFrom(t *testing.T, d *taskdef.Definition, target taskdef.Target, secrets map[string]string) *TaskDef {
	t.Helper()
	def, err := TaskDefFrom(d, target, secrets)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// indexOf is the index in rec's events of the first of type typ about
// container, or -1.
func indexOf(rec *recorder, typ, container string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, ev := range rec.events {
		if ev.Type() != typ {
			continue
		}
		var name string
		switch d := ev.Data.(type) {
		case lab.ContainerStarted:
			name = d.Container
		case lab.ContainerStopped:
			name = d.Container
		case lab.ContainerHealth:
			name = d.Container
		}
		if name == container {
			return i
		}
	}
	return -1
}

// get is one GET of url: its status and body.
func get(t *testing.T, ctx context.Context, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
