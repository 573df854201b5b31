package taskmeta

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/ecslab/lab/lab/local/taskmeta/shapetest"
)

// shapeDiff is the documented-shape check, shared with the tests that
// read the documents from a live task (package agentsession).
var shapeDiff = shapetest.Diff

func readJSON(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleTask is a running two-container task as lab knows it.
func sampleTask() Task {
	t0 := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	return Task{
		Region: "us-east-1", AccountID: "000000000000", Cluster: "lab", Service: "web",
		ID: "0123456789abcdef0123456789abcdef", Family: "web", Revision: 7,
		CPU: 0.25, MemoryMiB: 512,
		DesiredStatus: StatusRunning, KnownStatus: StatusRunning,
		PullStartedAt: t0, PullStoppedAt: t0.Add(time.Second),
		EphemeralUsedMiB: 12,
		Clock:            &ClockDrift{ClockErrorBound: 0.4, ReferenceTimestamp: ptr(t0), ClockSynchronizationStatus: ClockSynchronized},
		Network:          Interface{IPv4: "172.18.0.5", MAC: "02:42:ac:12:00:05", Subnet: "172.18.0.0/16", Gateway: "172.18.0.1", DNS: []string{"127.0.0.11"}},
		Containers: []Container{
			{
				Name: "app", DockerID: "4f1c0a", DockerName: "lab-x-e1-t1-app", Image: "lab-workload:1", ImageID: "sha256:aa",
				CPU: 128, MemoryMiB: 256, DesiredStatus: StatusRunning, KnownStatus: StatusRunning,
				CreatedAt: t0.Add(2 * time.Second), StartedAt: t0.Add(3 * time.Second),
				Ports:     []Port{{ContainerPort: 8080, Protocol: "tcp"}},
				LogDriver: "awslogs", Snapshotter: "overlay2", LogOptions: map[string]string{"awslogs-group": "/ecs/web"},
				Health: &Health{Status: "HEALTHY", Since: ptr(t0.Add(5 * time.Second))},
			},
			{
				Name: "proxy", DockerID: "9e2b1d", DockerName: "lab-x-e1-t1-proxy", Image: "lab-workload:1", ImageID: "sha256:aa",
				DesiredStatus: StatusRunning, KnownStatus: StatusRunning,
				CreatedAt: t0.Add(2 * time.Second), StartedAt: t0.Add(3 * time.Second),
			},
		},
	}
}

func TestTaskDocumentHasEveryDocumentedField(t *testing.T) {
	got := asJSON(t, BuildTask(sampleTask()))
	for _, d := range shapeDiff(readJSON(t, "task-fargate.json"), got, "task", false) {
		t.Error(d)
	}
}

func TestContainerDocumentHasEveryDocumentedField(t *testing.T) {
	task := sampleTask()
	got := asJSON(t, BuildContainer(task, task.Containers[0]))
	for _, d := range shapeDiff(readJSON(t, "container-fargate.json"), got, "container", false) {
		t.Error(d)
	}
}

func TestStatsDocumentHasEveryDocumentedField(t *testing.T) {
	var prev, cur container.StatsResponse
	b, _ := json.Marshal(readJSON(t, "stats-fargate.json"))
	if err := json.Unmarshal(b, &cur); err != nil {
		t.Fatal(err)
	}
	prev = cur
	prev.Read = cur.Read.Add(-time.Second)
	got := asJSON(t, BuildStats(cur, &prev))
	for _, d := range shapeDiff(readJSON(t, "stats-fargate.json"), got, "stats", true) {
		t.Error(d)
	}
}

// The checker itself must see a missing key and a wrong type, or the
// tests above prove nothing.
func TestShapeDiffCatchesMissingAndMistyped(t *testing.T) {
	want := map[string]any{"A": "x", "B": map[string]any{"C": 1.0}, "L": []any{map[string]any{"D": true}}}
	got := map[string]any{"B": map[string]any{"C": "1"}, "L": []any{map[string]any{}}}
	diff := shapeDiff(want, got, "r", false)
	wantDiff := []string{"r.A: missing", "r.B.C: documented as number, rendered as string", "r.L[0].D: missing"}
	if fmt.Sprint(diff) != fmt.Sprint(wantDiff) {
		t.Errorf("shapeDiff = %q, want %q", diff, wantDiff)
	}
}
