package ecs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/scenarios"
)

const probeLine = `{"probe":"xorshift64-v1","rounds":268435456,"cpu_seconds":0.6,"wall_seconds":0.61,"score":447.4,"arch":"arm64","cpu_model":"CPU part 0xd0c","quota_cpus":1}`

const probeTask = "arn:aws:ecs:us-east-1:123456789012:task/lab-test/0f1e2d3c"

// The whole probe against the fake: it registers the task definition,
// runs the task, waits until it stops, reads its line from the log
// stream awslogs names after the task, deregisters the task definition,
// and removes the cluster it had to create.
func TestRunProbeFlow(t *testing.T) {
	f, c := newFakeAWS(t, func(op string, n int) reply {
		switch op {
		case "DescribeClusters":
			return reply{body: `{"clusters":[]}`}
		case "RegisterTaskDefinition":
			return reply{body: `{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/lab-calibrate-t1:1"}}`}
		case "RunTask":
			return reply{body: `{"tasks":[{"taskArn":"` + probeTask + `"}]}`}
		case "DescribeTasks":
			if n == 0 {
				return reply{body: `{"tasks":[{"lastStatus":"RUNNING"}]}`}
			}
			return reply{body: `{"tasks":[{"lastStatus":"STOPPED","containers":[{"exitCode":0}]}]}`}
		case "GetLogEvents":
			line, _ := json.Marshal(probeLine)
			return reply{body: `{"events":[{"message":"lab workload: starting"},{"message":` + string(line) + `}]}`}
		}
		return reply{body: "{}"}
	})
	set := &scenarios.ECS{Cluster: "lab-test", TaskSubnets: []string{"subnet-1"}, Image: "repo/lab-workload:x",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/exec", NameSuffix: "t1"}
	line, err := RunProbe(context.Background(), c, ProbeOptions{Settings: set, Platform: scenarios.ARM64, Poll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if line != probeLine {
		t.Errorf("line %q", line)
	}
	var ops []string
	for _, call := range f.calls {
		ops = append(ops, call.op)
	}
	want := "CreateLogGroup DescribeClusters CreateCluster RegisterTaskDefinition RunTask DescribeTasks DescribeTasks GetLogEvents DeregisterTaskDefinition DeleteCluster"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	for _, call := range f.calls {
		switch call.op {
		case "RegisterTaskDefinition":
			for _, part := range []string{`"family":"lab-calibrate-t1"`, `"cpu":"1024"`, `"cpuArchitecture":"ARM64"`, `"command":["probe"]`, `"awslogs-group":"/lab/calibrate/t1"`} {
				if !strings.Contains(call.body, part) {
					t.Errorf("RegisterTaskDefinition lacks %s: %s", part, call.body)
				}
			}
		case "RunTask":
			if !strings.Contains(call.body, `"subnets":["subnet-1"]`) || !strings.Contains(call.body, `"assignPublicIp":"ENABLED"`) {
				t.Errorf("RunTask %s", call.body)
			}
		case "GetLogEvents":
			if !strings.Contains(call.body, `"logStreamName":"lab/probe/0f1e2d3c"`) {
				t.Errorf("GetLogEvents %s", call.body)
			}
		}
	}
}

// A probe task whose container failed says so, with ECS's reasons.
func TestProbeTaskFailed(t *testing.T) {
	_, c := newFakeAWS(t, func(op string, n int) reply {
		return reply{body: `{"tasks":[{"lastStatus":"STOPPED","stoppedReason":"Essential container in task exited","containers":[{"exitCode":1,"reason":"CannotPullContainerError"}]}]}`}
	})
	err := waitStopped(context.Background(), c, "lab", probeTask, time.Millisecond, time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited 1") || !strings.Contains(err.Error(), "CannotPullContainerError") {
		t.Errorf("error %v, want the exit code and the reason", err)
	}
}

func TestRunProbeNeedsSettings(t *testing.T) {
	_, err := RunProbe(context.Background(), &Clients{}, ProbeOptions{Settings: &scenarios.ECS{Cluster: "c"}, Platform: scenarios.X86_64})
	if err == nil || !strings.Contains(err.Error(), "lab ecs push") {
		t.Errorf("error %v, want one naming what is missing", err)
	}
}

// What of the probe moto runs (not RunTask with awsvpc, which it fails
// on): the task definition as registered, the cluster made and removed,
// and the line read back from a log stream named as awslogs names it.
func TestMotoProbeParts(t *testing.T) {
	c, _, _ := startMoto(t)
	ctx := context.Background()
	names := NewNames("calibrate", "t1")
	set := &scenarios.ECS{Image: "repo/lab-workload:x", ExecutionRoleARN: "arn:aws:iam::123456789012:role/exec"}

	remove, err := ensureCluster(ctx, c, "lab-probe-test", names, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	td, err := c.ECS.RegisterTaskDefinition(ctx, probeTaskDefinition(set, names, scenarios.X86_64, c.Region))
	if err != nil {
		t.Fatalf("moto refuses the probe's task definition: %v", err)
	}
	if got := td.TaskDefinition; aws.ToString(got.Family) != "lab-calibrate-t1" || got.RuntimePlatform.CpuArchitecture != ecstypes.CPUArchitectureX8664 {
		t.Errorf("registered %+v", got)
	}
	remove()
	clusters, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"lab-probe-test"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range clusters.Clusters {
		if aws.ToString(cl.Status) == "ACTIVE" {
			t.Error("the cluster the probe made is left")
		}
	}

	group, stream := aws.String(names.LogGroup()), aws.String(ProbeStream(probeTask))
	if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: group}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []cwltypes.InputLogEvent{{Message: aws.String(probeLine), Timestamp: aws.Int64(time.Now().UnixMilli())}}}); err != nil {
		t.Fatal(err)
	}
	line, err := probeOutput(ctx, c, names.LogGroup(), probeTask)
	if err != nil || line != probeLine {
		t.Errorf("read %q, %v", line, err)
	}
	if _, err := probeOutput(ctx, c, names.LogGroup(), probeTask+"0"); err == nil {
		t.Error("a stream that does not exist gave a line")
	}
}
