package local

import (
	"context"
	"testing"
	"time"
)

// --calibrated on an image of the user's: each task's CFS quota is its
// size's x the factor (NanoCPUs in the container's HostConfig), its memory
// the size's.
func TestCalibratedQuotaOfUserImage(t *testing.T) {
	d := newFakeDocker()
	sc := fakeScenario() // an image of the user's, not the built-in app
	sc.Service.CPU, sc.Service.Memory = 512, 1024
	tg := newTarget(d, Config{RunID: "fake", Scenario: sc, Image: "myorg/api:1.4", Port: 8080, CPUScale: 1.25})
	tg.direct = false
	if err := tg.startLoops(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tg.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec := &recorder{}
	if err := tg.Deploy(ctx, sc.Entries()[0], rec.emit); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	c, ok := d.container(d.byName("lab-fake-e1-t1"))
	if !ok {
		t.Fatalf("no task container lab-fake-e1-t1 among %v", d.names())
	}
	const want = 512 * 1.25 / 1024 * 1e9 // 0.625 of a core
	if c.cfg.Image != "myorg/api:1.4" || c.host.NanoCPUs != want {
		t.Errorf("image %s, NanoCPUs %d; want myorg/api:1.4 at %d (512 cpu units x 1.25)", c.cfg.Image, c.host.NanoCPUs, int64(want))
	}
	if c.host.Memory != 1024<<20 {
		t.Errorf("memory %d, want the size's 1024 MiB, unscaled", c.host.Memory)
	}
}
