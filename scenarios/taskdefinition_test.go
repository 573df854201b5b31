package scenarios

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecslab/lab/taskdef"
)

func TestTaskDefinitionFile(t *testing.T) {
	s, err := Load("testdata/valid/task-definition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := s.Workload.Definition
	if d == nil || d.Family != "shop-api" || !strings.HasSuffix(s.Workload.TaskDefinition, "/testdata/taskdefs/shop-api.json") {
		t.Fatalf("workload = %+v", s.Workload)
	}
	// The definition's size is the service's; the balancer goes to the
	// first essential container's first port.
	if s.Service.CPU != 256 || s.Service.Memory != 512 || *s.Service.LoadBalancer != (LoadBalancer{"envoy", 8000}) || s.Workload.Port != 8000 {
		t.Errorf("service = %+v, lb %+v, port %d", s.Service, s.Service.LoadBalancer, s.Workload.Port)
	}
	if es := s.Entries(); es[0].Size != (Size{CPU: 256, Memory: 512}) || es[1].Size != (Size{CPU: 512, Memory: 1024}) {
		t.Errorf("entries = %+v", es)
	}
}

// remoteScenario names a registered definition; its size is the
// definition's, unknown until it is read.
const remoteScenario = `name: t
workload: {task_definition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:14"}
service: {load_balancer: {container: app}}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
`

func TestResolveTaskDefinition(t *testing.T) {
	s, err := Parse("remote.yaml", []byte(remoteScenario))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Workload.RemoteTaskDefinition() {
		t.Fatal("a scenario naming an ARN has nothing left to read")
	}
	def, err := taskdef.Load("testdata/taskdefs/shop-api.json")
	if err != nil {
		t.Fatal(err)
	}
	var asked string
	describe := func(_ context.Context, ref string) (*taskdef.Definition, error) { asked = ref; return def, nil }
	if err := s.ResolveTaskDefinition(context.Background(), describe); err != nil {
		t.Fatal(err)
	}
	if asked != "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:14" || s.Workload.Definition != def ||
		s.Service.CPU != 256 || *s.Service.LoadBalancer != (LoadBalancer{"app", 8080}) || s.Workload.Port != 8080 {
		t.Errorf("asked %q; service %+v lb %+v port %d", asked, s.Service, s.Service.LoadBalancer, s.Workload.Port)
	}

	// A definition that does not have the container the scenario names.
	s, _ = Parse("remote.yaml", []byte(strings.Replace(remoteScenario, "container: app", "container: web", 1)))
	err = s.ResolveTaskDefinition(context.Background(), describe)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Headline() != `remote.yaml: service.load_balancer.container: task definition shop-api has no container "web" (containers: envoy, app)` {
		t.Errorf("err = %v", err)
	}

	// ECS's own error names the field.
	s, _ = Parse("remote.yaml", []byte(remoteScenario))
	err = s.ResolveTaskDefinition(context.Background(), func(context.Context, string) (*taskdef.Definition, error) {
		return nil, errors.New("ClientException: Unable to describe task definition")
	})
	if err == nil || !strings.HasPrefix(err.Error(), "remote.yaml: workload.task_definition: ClientException") {
		t.Errorf("err = %v", err)
	}
}
