package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// A task held for the start delay shows its ECS state and the time left
// where a started task shows its state and health, and the columns after
// them stay where they are.
func TestHeldTaskRow(t *testing.T) {
	size := scenarios.Size{CPU: 256, Memory: 512}
	var p tasksPane
	c := taskColumns(100)
	held := p.taskRow(lab.TaskStat{ID: "t3", Size: size, State: "provisioning", StartsIn: 22*time.Second + 300*time.Millisecond}, c, 100, asciiStyles())
	pending := p.taskRow(lab.TaskStat{ID: "t4", Size: size, State: "pending", StartsIn: 4 * time.Second}, c, 100, asciiStyles())
	started := p.taskRow(lab.TaskStat{ID: "t2", Size: size, State: "pending"}, c, 100, asciiStyles())
	if !strings.Contains(held, "PROVISIONING 23s") || strings.Contains(held, "unhealthy") {
		t.Errorf("held task row %q, want PROVISIONING 23s and no health", held)
	}
	if !strings.Contains(pending, "PENDING 4s") {
		t.Errorf("pending task row %q, want PENDING 4s", pending)
	}
	if !strings.Contains(started, "pending  unhealthy") {
		t.Errorf("started task row %q, want its state and health", started)
	}
	for _, row := range []string{held, pending} {
		if i, j := strings.Index(row, "0%"), strings.Index(started, "0%"); i != j {
			t.Errorf("the CPU column is at %d in %q, at %d in %q", i, row, j, started)
		}
	}
}

func TestProvisioningEventLine(t *testing.T) {
	_, text := describe(lab.Event{Data: lab.TaskProvisioning{Task: "t3", Size: "256/512", StartDelay: 40}})
	if text != "t3 provisioning (256/512), starts in 40s (start_delay)" {
		t.Errorf("event line %q", text)
	}
}
