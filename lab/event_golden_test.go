package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecslab/lab/lab/autoscale"
	"github.com/ecslab/lab/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// eventsGolden holds one line of events.jsonl for every event type and
// every shape its producers give it, as lab writes them.
var eventsGolden = filepath.Join("testdata", "events.golden.jsonl")

// goldenEvents builds those events as their producers do: the run, the
// commands, the autoscaler's decisions, the local target and the ECS
// target.
func goldenEvents() []Event {
	size := scenarios.Size{CPU: 512, Memory: 1024}
	pause, resume := true, false
	applied := autoscale.Decision{
		Direction: autoscale.Out, From: 2, To: 3, Policy: "cpu-target-tracking", Metric: "cpu",
		Datapoints: []float64{48.29312, 99.16}, Target: 10, Formula: "ceil(2 x 99.16 / 10) = 20, capped at max 3",
	}
	held := autoscale.Decision{
		Direction: autoscale.In, From: 3, To: 2, Policy: "cpu-target-tracking", Metric: "cpu",
		Datapoints: []float64{21.2, 16.61, 0}, Target: 40, Formula: "ceil(3 x 16.61 / 40) = 2",
		Held: true, Reason: autoscale.ReasonCooldown, Note: "scale-in cooldown, 4s left",
	}
	heldNoNote := autoscale.Decision{
		Direction: autoscale.Out, From: 1, To: 2, Policy: "p95", Metric: scenarios.MetricResponseTime,
		Datapoints: []float64{}, Target: 0.5, Formula: "ceil(1 x 880 / 500) = 2", Held: true, Reason: autoscale.ReasonMax,
	}
	appliedNote := autoscale.Decision{
		Direction: autoscale.Out, From: 1, To: 4, Policy: "steps", Metric: scenarios.MetricRequestsPerTarget,
		Datapoints: []float64{1200, 1500}, Target: 1000, Formula: "1 + 3 = 4", Note: "step [500, +inf): +3",
	}
	decision := func(d autoscale.Decision) Event { return Event{Type: d.EventType(), Fields: d.Fields()} }
	action := func(c Command) Event { return NewEvent(EventAction, "name", c.Name(), "args", c.Args()) }
	failed := func(c Command, err error) Event {
		return NewEvent(EventActionFailed, "name", c.Name(), "error", err.Error())
	}
	ecsStop := NewEvent(EventTaskStopped, "task", "5f0e", "reason", "Scaling activity initiated by (deployment ecs-svc/1)", "exit_code", -1, "oom", false)
	ecsStop.Fields["by_lab"] = true
	return []Event{
		// lab.Run
		NewEvent(EventEntryStarted, "label", "256/512", "count", 2),
		{Type: EventPhaseStarted, Fields: map[string]any{"phase": 2}},
		NewEvent(EventThreshold, "expr", "p99 < 1s", "ok", true, "value", 0.82),
		NewEvent(EventThreshold, "expr", "error_rate < 1%", "ok", false, "value", 31.034),
		NewEvent(EventEntryDone, "label", "256/512", "passed", false),
		// commands
		action(Command{Scale: 3}),
		action(Command{Resize: &size}),
		action(Command{KillTask: 1}),
		action(Command{Pause: &pause}),
		action(Command{Pause: &resume}),
		failed(Command{Resize: &size}, errors.New(`resize: start task: create container "lab-k3x9-e1-t4": no space left <on> device & more`)),
		NewEvent(EventActionFailed, "name", "scale", "error", "scale: desired count -1 is negative"),
		// autoscaling on the local target
		decision(applied),
		decision(appliedNote),
		decision(held),
		decision(heldNoNote),
		// the local target
		NewEvent(EventTaskStarted, "task", "t1", "size", "256/512", "container", "lab-k3x9-e1-t1"),
		NewEvent(EventHealthChanged, "task", "t1", "healthy", true),
		NewEvent(EventHealthChanged, "task", "t1", "healthy", false),
		NewEvent(EventTaskStartFailed, "error", "start task container lab-k3x9-e1-t2: port is already allocated"),
		NewEvent(EventTaskStopped, "task", "t1", "reason", "OutOfMemoryError: Container killed due to memory usage", "exit_code", 137, "oom", true),
		NewEvent(EventTaskStopped, "task", "t2", "reason", "Essential container in task exited", "exit_code", 1, "oom", false),
		NewEvent(EventTaskStopped, "task", "t3", "reason", "Task failed ELB health checks", "exit_code", 137, "oom", false),
		NewEvent(EventTaskStopped, "task", "t4", "reason", "Task stopped by lab: scale-in", "by_lab", true),
		// the ECS target
		NewEvent(EventTaskStarted, "task", "5f0e", "size", "256/512"),
		ecsStop,
		NewEvent(EventServiceEvent, "message", "(service lab-x) has started 1 tasks: (task 5f0e)."),
		NewEvent(autoscale.EventDecision, "direction", "out", "from", 1, "to", 2,
			"policy", "lab-x-cpu", "metric", "aws", "formula", "Setting desired count to 2.",
			"note", "monitor alarm TargetTracking-service/lab/lab-x-AlarmHigh in state ALARM triggered policy lab-x-cpu"),
		NewEvent(EventActionFailed, "name", "observe", "error", "ecs DescribeServices: throttled"),
		// a stop_task action, on either target
		action(Command{StopTask: 2}),
		NewEvent(EventTaskStopped, "task", "t5", "reason", StopTaskReason),
	}
}

// stampGolden gives the golden events the run's stamps: times before and
// after the load start, fractions that round, two entries.
func stampGolden(evs []Event) {
	start := time.Date(2026, 12, 6, 18, 28, 17, 917_000_000, time.UTC)
	for i := range evs {
		at := time.Duration(i-3)*1234567891 + time.Duration(i)*7
		evs[i].T = at.Seconds()
		evs[i].Time = start.Add(at)
		evs[i].Entry = 1 + i%2
	}
}

// TestEventsGolden: the events lab writes, marshalled, are the golden
// lines byte for byte.
func TestEventsGolden(t *testing.T) {
	evs := goldenEvents()
	stampGolden(evs)
	var buf bytes.Buffer
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(data)
		buf.WriteByte('\n')
	}
	if *update {
		if err := os.WriteFile(eventsGolden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(eventsGolden)
	if err != nil {
		t.Fatal(err)
	}
	got := bytes.Split(buf.Bytes(), []byte("\n"))
	for i, line := range bytes.Split(want, []byte("\n")) {
		if i >= len(got) || !bytes.Equal(got[i], line) {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[min(i, len(got)-1)], line)
		}
	}
	if len(got) != len(bytes.Split(want, []byte("\n"))) {
		t.Errorf("%d lines, want %d", len(got), len(bytes.Split(want, []byte("\n"))))
	}
}
