package taskmeta

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestBuildTaskNamesAndLimits(t *testing.T) {
	r := BuildTask(sampleTask())
	if r.TaskARN != "arn:aws:ecs:us-east-1:000000000000:task/lab/0123456789abcdef0123456789abcdef" {
		t.Errorf("TaskARN = %s", r.TaskARN)
	}
	if r.Cluster != "arn:aws:ecs:us-east-1:000000000000:cluster/lab" || r.Revision != "7" || r.LaunchType != "FARGATE" {
		t.Errorf("Cluster, Revision, LaunchType = %s, %s, %s", r.Cluster, r.Revision, r.LaunchType)
	}
	if *r.Limits.CPU != 0.25 || *r.Limits.Memory != 512 {
		t.Errorf("task limits = %v vCPU, %v MiB", *r.Limits.CPU, *r.Limits.Memory)
	}
	if r.EphemeralStorageMetrics.Reserved != 20*1024 || r.ExecutionStoppedAt != nil {
		t.Errorf("ephemeral reserved %d MiB, stopped at %v", r.EphemeralStorageMetrics.Reserved, r.ExecutionStoppedAt)
	}
	app := r.Containers[0]
	if app.Labels["com.amazonaws.ecs.container-name"] != "app" || app.Labels["com.amazonaws.ecs.task-arn"] != r.TaskARN {
		t.Errorf("labels = %v", app.Labels)
	}
	if app.Ports[0].HostPort != 8080 {
		t.Errorf("awsvpc host port = %d, want the container port", app.Ports[0].HostPort)
	}
	n := app.Networks[0]
	if n.NetworkMode != "awsvpc" || n.IPv4Addresses[0] != "172.18.0.5" || n.SubnetGatewayIPv4Address != "172.18.0.1/16" || *n.AttachmentIndex != 0 {
		t.Errorf("network = %+v", n)
	}
	if !strings.HasPrefix(app.ContainerARN, "arn:aws:ecs:us-east-1:000000000000:container/lab/0123456789abcdef0123456789abcdef/") {
		t.Errorf("ContainerARN = %s", app.ContainerARN)
	}
	if app.ContainerARN == r.Containers[1].ContainerARN || app.ContainerARN != BuildTask(sampleTask()).Containers[0].ContainerARN {
		t.Error("container ARNs must differ between containers and stay the same between documents")
	}
}

// What has not happened is left out, as the agent leaves it out: a
// pending container has no StartedAt, and no Health without a check.
func TestBuildContainerLeavesOutWhatHasNotHappened(t *testing.T) {
	task := sampleTask()
	c := task.Containers[1]
	c.KnownStatus, c.StartedAt, c.CreatedAt, c.DockerID = StatusPending, time.Time{}, time.Time{}, ""
	b, err := json.Marshal(BuildContainer(task, c))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"StartedAt"`, `"CreatedAt"`, `"Health"`, `"ExitCode"`, `"FinishedAt"`} {
		if strings.Contains(string(b), key) {
			t.Errorf("%s present in a pending container's document: %s", key, b)
		}
	}
	if !strings.Contains(string(b), `"DockerId":""`) {
		t.Errorf("DockerId must be present (empty) before the container exists: %s", b)
	}
}

func TestHealthKeysAreLowerCase(t *testing.T) {
	task := sampleTask()
	b, _ := json.Marshal(BuildContainer(task, task.Containers[0]).Health)
	if string(b) != `{"status":"HEALTHY","statusSince":"2026-12-06T21:00:05Z"}` {
		t.Errorf("health = %s", b)
	}
}

func TestStoppedTaskHasExecutionStoppedAt(t *testing.T) {
	task := sampleTask()
	task.KnownStatus, task.StoppedAt = StatusStopped, time.Date(2026, 12, 6, 21, 5, 0, 0, time.UTC)
	if r := BuildTask(task); r.ExecutionStoppedAt == nil || !r.ExecutionStoppedAt.Equal(task.StoppedAt) {
		t.Errorf("ExecutionStoppedAt = %v", r.ExecutionStoppedAt)
	}
}

func TestBuildStatsNetworkRate(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	sample := func(at time.Duration, rx, tx uint64) container.StatsResponse {
		return container.StatsResponse{Read: t0.Add(at), Networks: map[string]container.NetworkStats{"eth0": {RxBytes: rx, TxBytes: tx}}}
	}
	prev := sample(0, 1000, 500)
	cases := []struct {
		name string
		cur  container.StatsResponse
		prev *container.StatsResponse
		want *NetworkRate
	}{
		{"first sample", sample(2*time.Second, 3000, 900), nil, nil},
		{"two seconds", sample(2*time.Second, 3000, 900), &prev, &NetworkRate{RxBytesPerSec: 1000, TxBytesPerSec: 200}},
		{"counters reset", sample(2*time.Second, 10, 10), &prev, nil},
		{"same read time", sample(0, 3000, 900), &prev, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := BuildStats(c.cur, c.prev).NetworkRateStats
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("rate = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestReadClockReportsAStatus(t *testing.T) {
	c := ReadClock(time.Now())
	if c == nil {
		t.Skip("no clock state on this platform")
	}
	if c.ClockSynchronizationStatus != ClockSynchronized && c.ClockSynchronizationStatus != ClockNotSynchronized {
		t.Errorf("status = %q", c.ClockSynchronizationStatus)
	}
	if c.ClockErrorBound < 0 || c.ReferenceTimestamp == nil {
		t.Errorf("clock = %+v", c)
	}
}
