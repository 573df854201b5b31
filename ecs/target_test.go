package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// observedService is the fake AWS of one poll: a service with a running
// task, an OOM-killed one, two service events and a scaling activity.
func observedService(op string, n int) reply {
	switch op {
	case "DescribeServices":
		return reply{body: `{"services":[{"status":"ACTIVE","desiredCount":2,"runningCount":1,"pendingCount":1,
			"events":[{"id":"e2","message":"(service lab-x) has started 1 tasks: (task t2)."},{"id":"e1","message":"(service lab-x) has reached a steady state."}]}]}`}
	case "ListTasks":
		if n%2 == 0 { // RUNNING first, then STOPPED
			return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/t1"]}`}
		}
		return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/t0"]}`}
	case "DescribeTasks":
		if n%2 == 0 {
			return reply{body: `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:1:task/lab/t1","lastStatus":"RUNNING","healthStatus":"HEALTHY","cpu":"256","memory":"512",
				"attachments":[{"type":"ElasticNetworkInterface","details":[{"name":"privateIPv4Address","value":"10.0.1.5"}]}]}]}`}
		}
		return reply{body: `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:1:task/lab/t0","lastStatus":"STOPPED","stopCode":"EssentialContainerExited",
			"stoppedReason":"Essential container in task exited","containers":[{"exitCode":137,"reason":"OutOfMemoryError: Container killed due to memory usage"}]}]}`}
	case "DescribeTargetHealth":
		return reply{body: `<TargetHealthDescriptions><member><Target><Id>10.0.1.5</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
			`<member><Target><Id>10.0.1.6</Id></Target><TargetHealth><State>initial</State></TargetHealth></member></TargetHealthDescriptions>`}
	case "DescribeScalingActivities":
		return reply{body: `{"ScalingActivities":[{"ActivityId":"a1","StatusCode":"Successful","Cause":"monitor alarm TargetTracking-service/lab/lab-x-AlarmHigh in state ALARM triggered policy lab-x-cpu","Description":"Setting desired count to 2."}]}`}
	case "GetMetricData":
		return reply{cbor: cbor.Map{"MetricDataResults": cbor.List{
			cbor.Map{"Id": cbor.String("cpu"), "Values": cbor.List{cbor.Float64(83.5), cbor.Float64(70)}},
			cbor.Map{"Id": cbor.String("mem"), "Values": cbor.List{cbor.Float64(41.25)}},
		}}}
	}
	return reply{}
}

// One poll of the ECS target against the fake: what ECS, ELB, CloudWatch
// and Application Auto Scaling say becomes the observation and the run's
// events, each reported once.
func TestTargetObservesTheService(t *testing.T) {
	f, c := newFakeAWS(t, observedService)
	plan := mustPlan(t, builtin(t, "cpu-target-tracking"), fullSettings)
	tg, err := NewTarget(c, plan, &State{TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/1", ScalableTarget: "service/lab/lab-x"})
	if err != nil {
		t.Fatal(err)
	}
	var events []lab.Event
	tg.emit = func(ev lab.Event) { events = append(events, ev) }
	tg.obs.Desired = 1 // the last poll's
	tg.poll(context.Background())

	obs := tg.Observe()
	if obs.Desired != 2 || obs.Running != 1 || obs.Healthy != 1 || len(obs.Tasks) != 1 {
		t.Errorf("observation: %+v", obs)
	}
	if obs.CPUPct != 83.5 || obs.MemPct != 41.25 {
		t.Errorf("utilization %v/%v, want the newest datapoints 83.5/41.25", obs.CPUPct, obs.MemPct)
	}
	if task := obs.Tasks[0]; task.ID != "t1" || task.Size != (scenarios.Size{CPU: 256, Memory: 512}) || task.State != "running" || !task.Healthy {
		t.Errorf("task: %+v", task)
	}
	var stops []lab.TaskStopped
	var messages []string
	var decisions []lab.ScalingDecision
	for _, ev := range events {
		switch d := ev.Data.(type) {
		case lab.TaskStopped:
			stops = append(stops, d)
		case lab.ServiceEvent:
			messages = append(messages, d.Message)
		case lab.ScalingDecision:
			decisions = append(decisions, d)
		}
	}
	if len(stops) != 1 || stops[0].Reason != lab.StopReasonOOM || !stops[0].OOMKilled() || stops[0].Exit.Code != 137 || stops[0].ByLab {
		t.Errorf("task_stopped: %+v", stops)
	}
	if len(messages) != 2 || !strings.Contains(messages[0], "steady state") {
		t.Errorf("service events (oldest first): %q", messages)
	}
	if len(decisions) != 1 || decisions[0].From != 1 || decisions[0].To != 2 || decisions[0].Direction != lab.ScaleOut || decisions[0].Policy != "lab-x-cpu" {
		t.Errorf("scaling_decision: %+v", decisions)
	}

	// Every call of the poll is in the plan's IAM policy.
	var ops []string
	for _, c := range f.calls {
		ops = append(ops, opService[c.op]+":"+c.op)
	}
	checkPolicyCovers(t, plan, ops)

	// The next poll reports nothing twice.
	n := len(events)
	tg.poll(context.Background())
	if len(events) != n {
		t.Errorf("second poll reported again: %+v", events[n:])
	}
}

// Resize registers a revision of the running task definition at the new
// size and deploys it, waiting until the service is stable on it.
func TestTargetResize(t *testing.T) {
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	f, c := newFakeAWS(t, func(op string, n int) reply {
		switch op {
		case "DescribeServices":
			if n == 0 { // the current revision
				return reply{body: `{"services":[{"status":"ACTIVE","taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/lab-x:3","desiredCount":2,"runningCount":2}]}`}
			}
			if n == 1 { // the deployment in progress
				return reply{body: `{"services":[{"status":"ACTIVE","desiredCount":2,"runningCount":3,"deployments":[{"status":"PRIMARY"},{"status":"ACTIVE"}]}]}`}
			}
			return reply{body: `{"services":[{"status":"ACTIVE","desiredCount":2,"runningCount":2,"deployments":[{"status":"PRIMARY"}]}]}`}
		case "DescribeTaskDefinition":
			return reply{body: `{"taskDefinition":{"family":"lab-x","cpu":"256","memory":"512","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
				"executionRoleArn":"arn:aws:iam::1:role/exec","containerDefinitions":[{"name":"app","image":"img:1","essential":true}]},"tags":[{"key":"lab.scenario","value":"x"}]}`}
		case "RegisterTaskDefinition":
			return reply{body: `{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/lab-x:4","revision":4}}`}
		}
		return reply{}
	})
	plan := mustPlan(t, builtin(t, "cpu-vertical"), fullSettings)
	st, _ := LoadState("us-east-1", NewNames("cpu-vertical", "alice"))
	tg, err := NewTarget(c, plan, st)
	if err != nil {
		t.Fatal(err)
	}
	tg.ObservePoll = time.Millisecond
	if err := tg.Resize(context.Background(), scenarios.Size{CPU: 1024, Memory: 2048}); err != nil {
		t.Fatal(err)
	}
	reg := f.bodies("RegisterTaskDefinition")
	if len(reg) != 1 || !strings.Contains(reg[0], `"cpu":"1024"`) || !strings.Contains(reg[0], `"memory":"2048"`) ||
		!strings.Contains(reg[0], `"image":"img:1"`) || !strings.Contains(reg[0], `"executionRoleArn":"arn:aws:iam::1:role/exec"`) {
		t.Errorf("RegisterTaskDefinition: %v", reg)
	}
	upd := f.bodies("UpdateService")
	if len(upd) != 1 || !strings.Contains(upd[0], `"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/lab-x:4"`) {
		t.Errorf("UpdateService: %v", upd)
	}
	if n := len(f.bodies("DescribeServices")); n != 3 {
		t.Errorf("DescribeServices %d times, want 3 (revision, deploying, stable)", n)
	}
	if len(st.TaskDefinitions) != 1 || st.TaskDefinitions[0] != "arn:aws:ecs:us-east-1:1:task-definition/lab-x:4" {
		t.Errorf("state task definitions: %v (down must deregister the new revision)", st.TaskDefinitions)
	}
}

// opService names the service of each operation a poll makes, as the
// fake records operations alone.
var opService = map[string]string{
	"DescribeServices": ServiceECS, "ListTasks": ServiceECS, "DescribeTasks": ServiceECS,
	"DescribeTargetHealth": ServiceELB, "DescribeScalingActivities": ServiceAutoscaling, "GetMetricData": ServiceCloudWatch,
}

// TestTargetEventsGolden: the events the ECS target reports, as
// events.jsonl has them: one poll's, and the stops of a scale-in, of
// the kill_task and stop_task actions and of a task without an exit code.
func TestTargetEventsGolden(t *testing.T) {
	_, c := newFakeAWS(t, observedService)
	plan := mustPlan(t, builtin(t, "cpu-target-tracking"), fullSettings)
	tg, err := NewTarget(c, plan, &State{TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/1", ScalableTarget: "service/lab/lab-x"})
	if err != nil {
		t.Fatal(err)
	}
	var events []lab.Event
	tg.emit = func(ev lab.Event) { events = append(events, ev) }
	tg.obs.Desired = 1
	tg.poll(context.Background())
	events = append(events,
		stoppedEvent("t5", ecstypes.Task{StopCode: ecstypes.TaskStopCodeServiceSchedulerInitiated,
			StoppedReason: aws.String("Scaling activity initiated by (deployment ecs-svc/123)"),
			Containers:    []ecstypes.Container{{ExitCode: aws.Int32(0)}}}),
		stoppedEvent("t6", ecstypes.Task{StopCode: ecstypes.TaskStopCodeUserInitiated,
			StoppedReason: aws.String(killReason),
			Containers:    []ecstypes.Container{{ExitCode: aws.Int32(137)}}}),
		stoppedEvent("t8", ecstypes.Task{StopCode: ecstypes.TaskStopCodeUserInitiated,
			StoppedReason: aws.String(lab.StopTaskReason),
			Containers:    []ecstypes.Container{{ExitCode: aws.Int32(0)}}}),
		stoppedEvent("t7", ecstypes.Task{StopCode: ecstypes.TaskStopCodeTaskFailedToStart,
			StoppedReason: aws.String("CannotPullContainerError: pull image manifest has been retried 5 time(s)")}),
		// A task of three containers: the init container finished, the
		// proxy was stopped with the task, the app was OOM-killed.
		stoppedEvent("t9", ecstypes.Task{StopCode: ecstypes.TaskStopCodeEssentialContainerExited,
			StoppedReason: aws.String("Essential container in task exited"),
			Containers: []ecstypes.Container{
				{Name: aws.String("migrate"), ExitCode: aws.Int32(0)},
				{Name: aws.String("app"), ExitCode: aws.Int32(137), Reason: aws.String("OutOfMemoryError: Container killed due to memory usage")},
				{Name: aws.String("envoy"), ExitCode: aws.Int32(143)},
			}}),
		// An essential container that exited on its own.
		stoppedEvent("t10", ecstypes.Task{StopCode: ecstypes.TaskStopCodeEssentialContainerExited,
			StoppedReason: aws.String("Essential container in task exited"),
			Containers: []ecstypes.Container{
				{Name: aws.String("migrate"), ExitCode: aws.Int32(0)},
				{Name: aws.String("app"), ExitCode: aws.Int32(2)},
			}}),
	)
	var buf bytes.Buffer
	start := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	for i, ev := range events {
		ev.T, ev.Time, ev.Entry = float64(i)+0.25, start.Add(time.Duration(i)*time.Second), 1
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(data)
		buf.WriteByte('\n')
	}
	golden := filepath.Join("testdata", "events.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("events (-want +got):\n%s", cmp.Diff(string(want), got))
	}
}
