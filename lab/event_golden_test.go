package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
	decision := func(d autoscale.Decision) Event { return Event{Data: scalingEvent(d)} }
	action := func(c Command) Event { return Event{Data: actionOf(c)} }
	failed := func(c Command, err error) Event { return Event{Data: ActionFailed{Name: c.Name(), Error: err.Error()}} }
	ev := func(d EventData) Event { return Event{Data: d} }
	return []Event{
		// lab.Run
		ev(EntryStarted{Label: "256/512", Count: 2}),
		ev(PhaseStarted{Phase: 2}),
		ev(ThresholdOutcome{Expr: "p99 < 1s", OK: true, Value: 0.82}),
		ev(ThresholdOutcome{Expr: "error_rate < 1%", OK: false, Value: 31.034}),
		ev(EntryDone{Label: "256/512", Passed: false}),
		// commands
		action(Command{Scale: 3}),
		action(Command{Resize: &size}),
		action(Command{KillTask: 1}),
		action(Command{Pause: &pause}),
		action(Command{Pause: &resume}),
		failed(Command{Resize: &size}, errors.New(`resize: start task: create container "lab-k3x9-e1-t4": no space left <on> device & more`)),
		ev(ActionFailed{Name: "scale", Error: "scale: desired count -1 is negative"}),
		// autoscaling on the local target
		decision(applied),
		decision(appliedNote),
		decision(held),
		decision(heldNoNote),
		// the local target
		ev(TaskStarted{Task: "t1", Size: "256/512", Container: "lab-k3x9-e1-t1"}),
		ev(HealthChanged{Task: "t1", Healthy: true}),
		ev(HealthChanged{Task: "t1", Healthy: false}),
		ev(TaskStartFailed{Error: "start task container lab-k3x9-e1-t2: port is already allocated"}),
		ev(TaskStopped{Task: "t1", Reason: StopReasonOOM, Exit: &Exit{Code: 137, OOM: true}}),
		ev(TaskStopped{Task: "t2", Reason: StopReasonExited, Exit: &Exit{Code: 1}}),
		ev(TaskStopped{Task: "t3", Reason: StopReasonUnhealthy, Exit: &Exit{Code: 137}}),
		ev(TaskStoppedByLab("t4", "scale-in")),
		// the ECS target
		ev(TaskStarted{Task: "5f0e", Size: "256/512"}),
		ev(TaskStopped{Task: "5f0e", Reason: "Scaling activity initiated by (deployment ecs-svc/1)", Exit: &Exit{Code: -1}, ByLab: true}),
		ev(ServiceEvent{Message: "(service lab-x) has started 1 tasks: (task 5f0e)."}),
		ev(ScalingDecision{Direction: ScaleOut, From: 1, To: 2, Policy: "lab-x-cpu", Metric: "aws", Formula: "Setting desired count to 2.",
			Note: "monitor alarm TargetTracking-service/lab/lab-x-AlarmHigh in state ALARM triggered policy lab-x-cpu"}),
		ev(ActionFailed{Name: "observe", Error: "ecs DescribeServices: throttled"}),
		// a stop_task action, on either target
		action(Command{StopTask: 2}),
		ev(TaskStopped{Task: "t5", Reason: StopTaskReason}),
		// load.generators
		ev(GeneratorLost{Generator: 2, Second: 7, Reason: "exited with code 137"}),
		// the local target, with service.start_delay
		ev(TaskProvisioning{Task: "t6", Size: "256/512", StartDelay: 40}),
		// load.generators: a generator task that came up late
		ev(GeneratorLate{Generator: 1, Second: 3, LateMS: 2417.5}),
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
// lines byte for byte; each line read back is the event, and marshals
// to the line again.
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
	for i, line := range bytes.Split(bytes.TrimSuffix(want, []byte("\n")), []byte("\n")) {
		var back Event
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if i < len(evs) && !sameData(back.Data, evs[i].Data) {
			t.Errorf("line %d read back as %#v, want %#v", i+1, back.Data, evs[i].Data)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(again, line) {
			t.Errorf("line %d read back and marshalled: %s (%v)", i+1, again, err)
		}
	}
}

// sameData compares event data; an action's count reads back as a JSON
// number (float64).
func sameData(a, b EventData) bool {
	if x, ok := a.(Action); ok {
		y, ok := b.(Action)
		return ok && x.Name == y.Name && fmt.Sprint(x.Args) == fmt.Sprint(y.Args)
	}
	return reflect.DeepEqual(a, b)
}
