package local

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/lab/local/taskagent"
)

type noRole struct{}

func (noRole) Credentials(ctx context.Context) (taskagent.Credentials, error) {
	return taskagent.Credentials{}, nil
}

func TestTaskRoleNeedsATaskDefinition(t *testing.T) {
	_, err := New(context.Background(), nil, Config{RunID: "x", Scenario: fakeScenario(), TaskRole: noRole{}})
	if err == nil || !strings.Contains(err.Error(), "task definition") {
		t.Errorf("New with a task role and one container: %v", err)
	}
}

func TestAgentPortsAreReserved(t *testing.T) {
	def := &TaskDef{Containers: []ContainerDef{{Name: "app", Ports: []int{8080}}, {Name: "proxy", Ports: []int{taskagent.EndpointPort}}}}
	if err := checkAgentPorts(def); err == nil || !strings.Contains(err.Error(), `"proxy"`) {
		t.Errorf("a container on the agent's port: %v", err)
	}
	def.Containers[1].Ports = []int{9000}
	if err := checkAgentPorts(def); err != nil {
		t.Error(err)
	}
}

func TestHolderPublishesTheAgentPort(t *testing.T) {
	cfg, host := holderConfig(holderSpec{Image: "i", Port: 8080, AgentPort: agentPort})
	p := nat.Port("51680/tcp")
	if _, ok := cfg.ExposedPorts[p]; !ok || len(host.PortBindings[p]) != 1 || host.PortBindings[p][0].HostIP != "127.0.0.1" {
		t.Errorf("holder: exposed %v, bindings %v", cfg.ExposedPorts, host.PortBindings)
	}
	cfg, _ = holderConfig(holderSpec{Image: "i", Port: 8080})
	if _, ok := cfg.ExposedPorts[p]; ok {
		t.Error("the agent's port published without an agent")
	}
}

func TestTaskARNID(t *testing.T) {
	a, b := taskARNID("r1", "t1"), taskARNID("r1", "t2")
	if len(a) != 32 || a == b || a != taskARNID("r1", "t1") {
		t.Errorf("ids %q, %q", a, b)
	}
}
