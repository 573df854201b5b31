package local

import (
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/taskdef"
)

func loadDef(t *testing.T, name string) *taskdef.Definition {
	t.Helper()
	d, err := taskdef.Load("../../taskdef/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A real-shaped definition becomes the local target's: every field the
// runtime honours carries over, the secret's value comes from the values
// resolved locally, and the balancer's target is the definition's.
func TestTaskDefFromSidecarProxy(t *testing.T) {
	d := loadDef(t, "sidecar-proxy.json")
	lb, ok := d.DefaultTarget()
	if !ok {
		t.Fatal("no default target")
	}
	td, err := TaskDefFrom(d, lb, map[string]string{"DB_PASSWORD": "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	if td.LoadBalancer != (LoadBalancerTarget{Container: "envoy", Port: 8000}) || len(td.Containers) != 2 {
		t.Fatalf("target %+v, %d containers", td.LoadBalancer, len(td.Containers))
	}
	envoy, app := td.Containers[0], td.Containers[1]
	if envoy.CPU != 64 || envoy.MemoryRes != 64 || envoy.StopTimeout != 10*time.Second || envoy.DependsOn[0] != (Dependency{Container: "app", Condition: CondStart}) {
		t.Errorf("envoy %+v", envoy)
	}
	if app.Secrets["DB_PASSWORD"] != "hunter2" || app.Env["CPU_WORK"] != "20ms" || !app.ReadOnly || !app.Init ||
		app.Memory != 448 || app.MemoryRes != 384 || len(app.Ulimits) != 1 || app.Ulimits[0].Soft != 65536 {
		t.Errorf("app %+v", app)
	}

	// What the task metadata shows of the definition.
	if td.Revision != 14 || envoy.LogDriver == "" || len(envoy.LogOptions) == 0 {
		t.Errorf("revision %d, envoy's log driver %q options %v", td.Revision, envoy.LogDriver, envoy.LogOptions)
	}
	if _, err := TaskDefFrom(d, lb, nil); err == nil || !strings.Contains(err.Error(), "secret DB_PASSWORD has no value") {
		t.Errorf("without the secret's value: %v", err)
	}
}

// The init container's definition: a non-essential container the app
// waits for (COMPLETE), a volume both mount, the health check's
// definition with ECS's defaults where the file leaves them out.
func TestTaskDefFromInitAndHealthCheck(t *testing.T) {
	d := loadDef(t, "init-container.json")
	lb, _ := d.DefaultTarget()
	td, err := TaskDefFrom(d, lb, nil)
	if err != nil {
		t.Fatal(err)
	}
	migrate, app := td.Containers[0], td.Containers[1]
	if migrate.Essential || !app.Essential || app.DependsOn[0].Condition != CondComplete || len(td.Volumes) != 1 ||
		len(app.Mounts) != 1 || !app.Mounts[0].ReadOnly || migrate.Mounts[0].ReadOnly || app.User != "1000:1000" || app.WorkingDir != "/app" {
		t.Errorf("migrate %+v\napp %+v\nvolumes %v", migrate, app, td.Volumes)
	}

	d = loadDef(t, "health-check.json")
	lb, _ = d.DefaultTarget()
	td, err = TaskDefFrom(d, lb, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := td.Containers[0].HealthCheck
	if hc == nil || hc.Command[0] != "CMD-SHELL" || hc.Interval <= 0 || hc.Timeout <= 0 || hc.Retries <= 0 {
		t.Errorf("health check %+v", hc)
	}
}
