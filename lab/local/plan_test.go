package local

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

func TestPrintPlan(t *testing.T) {
	sc, err := scenarios.Builtin("cpu-vertical")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := PrintPlan(&b, sc); err != nil {
		t.Fatal(err)
	}
	want := `scenario cpu-vertical: 1m0s of load per entry, path /cpu_intensive
entry 1: 1 task(s) at 256/512 (0.25 vCPU, 512 MiB): docker run --cpus 0.25 --memory 512m --memory-swap 512m --pids-limit 1024 --security-opt no-new-privileges --cap-drop ALL --read-only --user 65534:65534
entry 2: 1 task(s) at 512/1024 (0.50 vCPU, 1024 MiB): docker run --cpus 0.5 --memory 1024m --memory-swap 1024m --pids-limit 1024 --security-opt no-new-privileges --cap-drop ALL --read-only --user 65534:65534
entry 3: 1 task(s) at 1024/2048 (1.00 vCPU, 2048 MiB): docker run --cpus 1 --memory 2048m --memory-swap 2048m --pids-limit 1024 --security-opt no-new-privileges --cap-drop ALL --read-only --user 65534:65534
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}

	// --size and --duration show in the plan as they will run.
	b.Reset()
	if err := PrintPlan(&b, sc.WithSize(scenarios.Size{CPU: 2048, Memory: 4096}).WithLoadDuration(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	want = `scenario cpu-vertical: 30s of load per entry, path /cpu_intensive
entry 1: 1 task(s) at 2048/4096 (2.00 vCPU, 4096 MiB): docker run --cpus 2 --memory 4096m --memory-swap 4096m --pids-limit 1024 --security-opt no-new-privileges --cap-drop ALL --read-only --user 65534:65534
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("plan at one size (-want +got):\n%s", diff)
	}

	// A start delay is said.
	b.Reset()
	held := *sc
	held.Service.StartDelay = scenarios.FargateStartDelay
	if err := PrintPlan(&b, &held); err != nil {
		t.Fatal(err)
	}
	if line := "start_delay 40s: a replacement, scale-out or deployment task is held PROVISIONING, then PENDING"; !bytes.Contains(b.Bytes(), []byte(line)) {
		t.Errorf("plan without %q:\n%s", line, b.String())
	}

	// An image keeps its user and Fargate's capabilities; it gets
	// no-new-privileges and the pids limit.
	img := sc.Clone()
	img.Workload = scenarios.Workload{Image: "myorg/api:1.4", Port: 8080}
	b.Reset()
	if err := PrintPlan(&b, img.WithSize(scenarios.Size{CPU: 256, Memory: 512})); err != nil {
		t.Fatal(err)
	}
	want = `scenario cpu-vertical: 1m0s of load per entry, path /cpu_intensive
entry 1: 1 task(s) at 256/512 (0.25 vCPU, 512 MiB): docker run --cpus 0.25 --memory 512m --memory-swap 512m --pids-limit 1024 --security-opt no-new-privileges
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("plan of an image (-want +got):\n%s", diff)
	}
}

// A task definition's plan names the holder, each container with what
// orders its start and its limits, and the envelope per entry.
func TestPrintPlanOfATaskDefinition(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/testdata/valid/task-definition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := PrintPlan(&b, sc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"publishes envoy:8000 to the balancer, and 2 container(s)",
		"  envoy: public.ecr.aws/envoyproxy/envoy:v1.31-latest (essential, after app START, --cpu-shares 64, --memory-reservation 64m)",
		"entry 2: 2 task(s) at 512/1024 (0.50 vCPU, 1024 MiB): one parent cgroup per task with --cpus 0.5 --memory 1024m",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, b.String())
		}
	}
}
