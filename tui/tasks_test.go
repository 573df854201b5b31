package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// A task of several containers is one row, its containers underneath
// (state, own health, CPU and memory); a stop names the container that
// caused it.
func TestTasksPaneShowsContainersUnderTheirTask(t *testing.T) {
	code := 0
	p := &tasksPane{}
	p.add(lab.Snapshot{T: 5, Service: lab.Observation{Tasks: []lab.TaskStat{
		{ID: "t2", Size: scenarios.Size{CPU: 256, Memory: 512}, State: "running", Healthy: true, CPUPct: 40, MemMiB: 60,
			Containers: []lab.ContainerStat{
				{Name: "app", Essential: true, State: "running", Health: "healthy", CPUPct: 35, MemMiB: 50},
				{Name: "init", State: "exited", ExitCode: &code},
				{Name: "envoy", State: "running", CPUPct: 5, MemMiB: 10},
			}},
	}}})
	p.event(lab.Event{T: 4, Data: lab.TaskStopped{Task: "t1", Reason: lab.StopReasonOOM, Container: "app", Exit: &lab.Exit{Code: 137, OOM: true}}})
	out := ansi.Strip(p.view(120, 10, DefaultStyles(lipgloss.DefaultRenderer())))
	t.Log("\n" + out)
	lines := strings.Split(out, "\n")
	want := []string{"t2", "├ app*", "├ init", "└ envoy", "t1"}
	for i, w := range want {
		if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), w) {
			t.Fatalf("row %d does not start with %q:\n%s", i+1, w, out)
		}
	}
	if !strings.Contains(lines[2], "healthy") || !strings.Contains(lines[2], "35%") || !strings.Contains(lines[3], "exit 0") {
		t.Errorf("container rows lack their figures:\n%s", out)
	}
	if !strings.Contains(lines[5], "container app") {
		t.Errorf("the stop does not name the container: %q", lines[5])
	}
}

// The event log says which container of a task started, exited, or
// changed health, and which one a task's stop is due to.
func TestContainerEventsInTheLog(t *testing.T) {
	for _, c := range []struct {
		data lab.EventData
		want string
	}{
		{lab.ContainerStarted{Task: "t1", Container: "envoy"}, "t1/envoy started"},
		{lab.ContainerStopped{Task: "t1", Container: "migrate", Exit: &lab.Exit{Code: 0}}, "t1/migrate exited (exit 0), the task runs on"},
		{lab.ContainerHealth{Task: "t1", Container: "app", Healthy: false}, "t1/app unhealthy (its health check)"},
		{lab.TaskStopped{Task: "t1", Reason: lab.StopReasonOOM, Container: "app", Exit: &lab.Exit{Code: 137, OOM: true}},
			"t1 stopped: " + lab.StopReasonOOM + " · container app (exit 137)"},
	} {
		if _, got := describe(lab.Event{Data: c.data}); got != c.want {
			t.Errorf("%T: %q, want %q", c.data, got, c.want)
		}
	}
}
