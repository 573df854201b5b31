package local

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A task definition's container keeps its settings and the confinement
// every task's container has; within an envelope its own limits are
// ECS's container-level ones, without one its share of the task's.
func TestMemberConfig(t *testing.T) {
	d := &ContainerDef{
		Name: "app", Image: "img", EntryPoint: []string{"/bin/app"}, Command: []string{"serve"},
		Env: map[string]string{"MODE": "x"}, Secrets: map[string]string{"TOKEN": "s3cret"},
		WorkingDir: "/srv", User: "1000", ReadOnly: true, Init: true,
		Ulimits: []Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}},
		CPU:     128, Memory: 300, MemoryRes: 100, StopTimeout: 2500 * time.Millisecond,
		HealthCheck: &HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: 5 * time.Second},
		Mounts:      []Mount{{Volume: "data", Path: "/data", ReadOnly: true}},
	}
	cfg, host := memberConfig(memberSpec{Def: d, Holder: "h1", CgroupParent: "/lab/r/t1", Volumes: map[string]string{"data": "lab-r-e1-t1-data"}})
	if host.NetworkMode != "container:h1" || host.Privileged || len(host.PortBindings) != 0 || len(host.Binds) != 0 {
		t.Errorf("network %q, privileged %v, ports %v, binds %v", host.NetworkMode, host.Privileged, host.PortBindings, host.Binds)
	}
	if !slices.Contains(host.SecurityOpt, noNewPrivileges) || host.PidsLimit == nil || *host.PidsLimit != PidsLimit {
		t.Errorf("confinement lost: %v, pids %v", host.SecurityOpt, host.PidsLimit)
	}
	if host.CgroupParent != "/lab/r/t1" || host.Memory != 300<<20 || host.MemoryReservation != 100<<20 || host.CPUShares != 128 || host.NanoCPUs != 0 {
		t.Errorf("limits in the envelope: %+v", host.Resources)
	}
	if got := strings.Join(cfg.Env, " "); got != "MODE=x TOKEN=s3cret" {
		t.Errorf("env %q", got)
	}
	if cfg.WorkingDir != "/srv" || cfg.User != "1000" || !host.ReadonlyRootfs || host.Init == nil || !*host.Init ||
		len(host.Ulimits) != 1 || host.Ulimits[0].Hard != 2048 || *cfg.StopTimeout != 3 ||
		cfg.Entrypoint[0] != "/bin/app" || cfg.Cmd[0] != "serve" {
		t.Errorf("settings lost: %+v %+v", cfg, host)
	}
	if hc := cfg.Healthcheck; hc == nil || hc.Test[0] != "CMD-SHELL" || hc.Interval != 5*time.Second || hc.Timeout != defaultHealthTimeout || hc.Retries != defaultHealthRetries {
		t.Errorf("health check %+v, want CMD-SHELL every 5s with ECS's defaults", hc)
	}
	if len(host.Mounts) != 1 || host.Mounts[0].Source != "lab-r-e1-t1-data" || host.Mounts[0].Target != "/data" || !host.Mounts[0].ReadOnly {
		t.Errorf("mounts %+v", host.Mounts)
	}

	_, host = memberConfig(memberSpec{Def: d, Holder: "h1", MemoryMiB: 200, CPUUnits: 512})
	if host.CgroupParent != "" || host.Memory != 200<<20 || host.MemorySwap != 200<<20 || host.NanoCPUs != 5e8 {
		t.Errorf("limits without an envelope: %+v", host.Resources)
	}
}

// Without an envelope the task's figures are split by reservations;
// containers without one share what is left.
func TestSplitEnvelope(t *testing.T) {
	for _, c := range []struct {
		total    float64
		reserved []float64
		want     []float64
	}{
		{1024, []float64{0, 0}, []float64{512, 512}},
		{1024, []float64{768, 0}, []float64{768, 256}},
		{1024, []float64{300, 100}, []float64{768, 256}},
		{768, []float64{768, 0}, []float64{512, 256}}, // nothing left: an equal part weighs it
	} {
		got := splitEnvelope(c.total, c.reserved)
		if !slices.Equal(got, c.want) {
			t.Errorf("splitEnvelope(%v, %v) = %v, want %v", c.total, c.reserved, got, c.want)
		}
	}
}

// Validate refuses what ECS refuses and what lab could not run.
func TestTaskDefValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*TaskDef)
		want string
	}{
		{"cycle", func(d *TaskDef) {
			d.Containers[2].DependsOn = []Dependency{{Container: "app", Condition: CondStart}}
		}, "cycle"},
		{"healthy without a check", func(d *TaskDef) { d.Containers[1].HealthCheck = nil }, "has no health check"},
		{"complete on essential", func(d *TaskDef) { d.Containers[2].Essential = true }, "is essential"},
		{"unknown dependency", func(d *TaskDef) { d.Containers[0].DependsOn[0].Container = "db" }, `"db": no such container`},
		{"unknown condition", func(d *TaskDef) { d.Containers[0].DependsOn[0].Condition = "READY" }, `condition "READY"`},
		{"no essential", func(d *TaskDef) {
			for i := range d.Containers {
				d.Containers[i].Essential = false
			}
		}, "must be essential"},
		{"load balancer", func(d *TaskDef) { d.LoadBalancer.Container = "db" }, `no container "db"`},
		{"volume", func(d *TaskDef) { d.Containers[0].Mounts = []Mount{{Volume: "x", Path: "/x"}} }, `volume "x"`},
	} {
		d := fakeTaskDef()
		c.edit(d)
		if err := d.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
	if err := fakeTaskDef().Validate(); err != nil {
		t.Errorf("valid definition: %v", err)
	}
}
