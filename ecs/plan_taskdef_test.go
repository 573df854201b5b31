package ecs

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/taskdef"
)

// taskdefScenario runs the sidecar definition (describe-task-definition
// output: envoy in front of the app) at two sizes.
const taskdefScenario = `name: shop
workload: {task_definition: testdata/taskdef-shop-api.json}
service: {load_balancer: {container: app}}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
matrix: [{label: small}, {cpu: 512, memory: 1024}]
`

// The plan registers the user's definition, as the file has it, at each
// entry's size, under lab's family and tags; the service's target group
// sends to the container and port load_balancer names.
func TestTaskDefinitionPlan(t *testing.T) {
	sc := parse(t, taskdefScenario)
	p := mustPlan(t, sc, fullSettings)
	if len(p.Errors) > 0 {
		t.Fatalf("plan errors: %v", p.Errors)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.HasPrefix(w, "the settings' image ") }) {
		t.Errorf("no warning that the settings' image goes unused: %q", p.Warnings)
	}
	file := sc.Workload.Definition
	tds := stepsOf[*ecs.RegisterTaskDefinitionInput](p)
	if len(tds) != 2 {
		t.Fatalf("%d RegisterTaskDefinition steps, want 2", len(tds))
	}
	for i, want := range [][2]string{{"256", "512"}, {"512", "1024"}} {
		td := tds[i]
		if got := [2]string{aws.ToString(td.Cpu), aws.ToString(td.Memory)}; got != want {
			t.Errorf("entry %d registers %v, want %v", i+1, got, want)
		}
		if aws.ToString(td.Family) != "lab-shop-alice" || aws.ToString(td.TaskRoleArn) != file.TaskRoleARN || aws.ToString(td.ExecutionRoleArn) != file.ExecutionRoleARN {
			t.Errorf("family %q, roles %q %q", aws.ToString(td.Family), aws.ToString(td.TaskRoleArn), aws.ToString(td.ExecutionRoleArn))
		}
		tags := map[string]string{}
		for _, tag := range td.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if !p.Names.Owns(tags) {
			t.Errorf("entry %d's definition is not tagged as lab's: %v", i+1, tags)
		}
	}
	// The containers are the file's: compare them through ECS JSON.
	data, err := taskdef.FromSDK(&ecstypes.TaskDefinition{ContainerDefinitions: tds[0].ContainerDefinitions, Family: aws.String("x"), NetworkMode: ecstypes.NetworkModeAwsvpc})
	if err != nil {
		t.Fatal(err)
	}
	got, err := taskdef.Parse("registered", data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(file.ContainerDefinitions, got.ContainerDefinitions); diff != "" {
		t.Errorf("registered containers (-file +registered):\n%s", diff)
	}
	cs := stepsOf[*ecs.CreateServiceInput](p)[0].LoadBalancers[0]
	if aws.ToString(cs.ContainerName) != "app" || aws.ToInt32(cs.ContainerPort) != 8080 {
		t.Errorf("service load balancer %s:%d, want app:8080", aws.ToString(cs.ContainerName), aws.ToInt32(cs.ContainerPort))
	}
	// Passing the task role is in the policy; the dry-run shows the
	// definition it registers, environment values redacted.
	var passes []string
	for _, s := range p.IAMPolicy().Statement {
		if s.Sid == "PassTheTaskRole" {
			passes = append(passes, fmt.Sprint(s.Resource))
		}
	}
	if len(passes) != 1 || passes[0] != file.TaskRoleARN {
		t.Errorf("PassRole of the task role: %v", passes)
	}
	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "envoy"`, `"condition": "START"`, `"valueFrom": "arn:aws:secretsmanager:`, `"initProcessEnabled": true`, `"taskRoleArn": "arn:aws:iam::123456789012:role/shop-api-task"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the dry-run lacks %s", want)
		}
	}
	if strings.Contains(out.String(), "http://localhost:8080") {
		t.Error("the dry-run shows an environment value")
	}
}

func TestTaskDefinitionImagesECSCannotPull(t *testing.T) {
	for image, want := range map[string]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2": "",
		"public.ecr.aws/envoyproxy/envoy:v1.31-latest":                "",
		"docker.io/library/nginx:1.27":                                "",
		"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64):           "",
		"shop-api:dev":                      "names no registry",
		"myorg/api:1":                       "names no registry",
		"localhost:5000/api:1":              "is in a registry on this machine",
		"sha256:" + strings.Repeat("b", 64): "is an image ID",
	} {
		if got := unpullable(image); !strings.HasPrefix(got, want) || (want == "") != (got == "") {
			t.Errorf("unpullable(%q) = %q, want %q...", image, got, want)
		}
	}
	sc := parse(t, taskdefScenario)
	sc.Workload.Definition.ContainerDefinitions[1].Image = "shop-api:dev"
	p := mustPlan(t, sc, fullSettings)
	if len(p.Errors) != 1 || !strings.Contains(p.Errors[0], "container app: image shop-api:dev names no registry") || !strings.Contains(p.Errors[0], "lab ecs push --image shop-api:dev") {
		t.Errorf("plan errors = %q", p.Errors)
	}
}

// TestMotoTaskDefinition applies the first entry in moto: the definition
// ECS has is the file's, and the service balances to its app container.
func TestMotoTaskDefinition(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	c, net, _ := startMoto(t)
	ctx := context.Background()
	sc := parse(t, taskdefScenario)
	plan := resolvedPlan(t, c, sc, motoSettings(net))
	st, ap := newApplier(t, c, plan)
	ap.Poll = 100 * time.Millisecond
	if err := ap.ApplyEntry(ctx, 0); err != nil {
		t.Fatalf("apply: %v", err)
	}
	got, err := taskdef.Describe(ctx, c.ECS, ap.TaskDefinition(0))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sc.Workload.Definition.ContainerDefinitions, got.ContainerDefinitions); diff != "" {
		t.Errorf("registered containers (-file +ECS):\n%s", diff)
	}
	if got.TaskRoleARN != sc.Workload.Definition.TaskRoleARN || got.CPU != "256" || got.Memory != "512" {
		t.Errorf("registered %+v", got)
	}
	svc := serviceNamed(t, c, "lab-test", plan.Service)
	if svc == nil || len(svc.LoadBalancers) != 1 || aws.ToString(svc.LoadBalancers[0].ContainerName) != "app" || aws.ToInt32(svc.LoadBalancers[0].ContainerPort) != 8080 {
		t.Errorf("service = %+v", svc)
	}
	down := &Teardown{Names: plan.Names, Plan: plan, Cluster: "lab-test", State: st, Poll: 100 * time.Millisecond}
	if err := down.Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertNothingLeft(t, c, plan.Names, "lab-test", true)
}
