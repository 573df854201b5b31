package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// Twenty OOM kills in a row, on Docker: a container that allocates past
// its 16 MiB at once, started again and again by the scheduler. Every
// stop carries the OOM reason, however Docker orders its oom and die
// events.
func TestTwentyOOMKillsInARow(t *testing.T) {
	cli := dockertest.Client(t)
	const image = "lab-test-alloc:oom"
	dockertest.ProgramImage(t, cli, image, "./testdata/alloc")

	sc := fakeScenario()
	sc.Workload = scenarios.Workload{Image: image, Port: 8080}
	runID := fmt.Sprintf("oom%d", time.Now().UnixNano()%1e6)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tg, err := New(ctx, cli, Config{RunID: runID, Scenario: sc, Image: image, Port: 8080})
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

	// The service as a Deploy leaves it, without waiting for health
	// checks these tasks never pass: four tasks, each killed at start.
	rec := &recorder{}
	tg.mu.Lock()
	tg.entry = scenarios.Entry{Label: "16m", Size: scenarios.Size{CPU: 256, Memory: 16}, Count: 4}
	tg.emit, tg.desired, tg.deployed = rec.emit, 4, true
	tg.mu.Unlock()
	tg.wake()

	const kills = 20
	deadline := time.Now().Add(90 * time.Second)
	for len(rec.of(lab.EventTaskStopped)) < kills {
		if time.Now().After(deadline) {
			for _, ev := range rec.events {
				t.Logf("%s %s %+v", ev.Time.Format("15:04:05.000"), ev.Type(), ev.Data)
			}
			t.Fatalf("%d OOM kills recorded in 90s, want %d", len(rec.of(lab.EventTaskStopped)), kills)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := tg.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	for i, stop := range rec.stops() {
		if stop.ByLab {
			continue // the teardown's, if a task was alive then
		}
		if stop.Reason != lab.StopReasonOOM || !stop.OOMKilled() || stop.Exit.Code != sigkilled {
			t.Errorf("stop %d: %+v (exit %+v), want %q, oom true, exit code %d", i+1, stop, stop.Exit, lab.StopReasonOOM, sigkilled)
		}
	}
	if failed := rec.of(lab.EventTaskStartFailed); len(failed) > 0 {
		t.Errorf("task_start_failed: %v", failed)
	}
}
