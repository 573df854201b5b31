package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecslab/lab/internal/mototest"
	"github.com/ecslab/lab/taskdef"
)

// A scenario that names a registered task definition (family:revision)
// reads it from ECS through the standard AWS chain: here moto, given as
// a user gives an emulator (AWS_ENDPOINT_URL and the usual variables).
func TestScenarioReadsRegisteredTaskDefinition(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	srv := mototest.Start(t, 0)
	srv.Env(t)
	file, err := taskdef.Load(filepath.Join("..", "..", "taskdef", "testdata", "sidecar-proxy.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := file.RegisterInput()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ecs.NewFromConfig(srv.Config()).RegisterTaskDefinition(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, ref string) string {
		p := filepath.Join(dir, name)
		src := "name: shop\nworkload: {task_definition: " + ref + "}\nload: {path: /, phases: [{duration: 10s, rate: 1}]}\nservice: {count: 1}\n"
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	sc, err := loadScenario(context.Background(), write("ok.yaml", "shop-api:1"))
	if err != nil {
		t.Fatal(err)
	}
	if d := sc.Workload.Definition; d == nil || d.Revision != 1 || len(d.ContainerDefinitions) != 2 || sc.Service.CPU != 256 || sc.Service.LoadBalancer.Container != "envoy" {
		t.Errorf("workload %+v, service %+v", sc.Workload, sc.Service)
	}

	_, err = loadScenario(context.Background(), write("missing.yaml", "nothing-here:3"))
	if err == nil || !strings.Contains(err.Error(), "workload.task_definition: ") {
		t.Errorf("a family ECS does not have: %v", err)
	}
}

// --size runs a task definition at another size only if its containers
// fit in it.
func TestSizeFlagChecksTheEnvelope(t *testing.T) {
	dir := t.TempDir()
	def := `{"family": "w", "networkMode": "awsvpc", "containerDefinitions": [{"name": "a", "image": "x/a", "cpu": 400, "portMappings": [{"containerPort": 80}]}]}`
	os.WriteFile(filepath.Join(dir, "w.json"), []byte(def), 0o644)
	p := filepath.Join(dir, "w.yaml")
	os.WriteFile(p, []byte("name: w\nworkload: {task_definition: w.json}\nservice: {cpu: 512, memory: 1024}\nload: {path: /, phases: [{duration: 10s, rate: 1}]}\n"), 0o644)
	o := runOptions{target: "local", size: "256/512"}
	_, err := o.scenario(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "--size 256/512: task definition w does not fit: the containers' cpu sums to 400 units, more than the task's 256") {
		t.Errorf("err = %v", err)
	}
	o.size = "1024/2048"
	if sc, err := o.scenario(context.Background(), p); err != nil || sc.Service.CPU != 1024 {
		t.Errorf("a size that fits: %v", err)
	}
}
