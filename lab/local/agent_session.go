package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local/agentsession"
	"github.com/ecslab/lab/lab/local/taskagent"
)

// What a local task's metadata says of AWS: no account, the scenario's
// region or ECS's default one.
const (
	localAccountID = "000000000000"
	defaultRegion  = "us-east-1"
)

// sessionAgent is the TaskAgent a run of several-container tasks gets
// unless Config.Agent says otherwise: a metadata endpoint in every task,
// and credentials when the run has a task role (agentsession).
type sessionAgent struct {
	cfg agentsession.Config
	run string
}

var _ TaskAgent = (*sessionAgent)(nil)

// newSessionAgent is the target's default agent.
func (t *Target) newSessionAgent() *sessionAgent {
	sc := t.cfg.Scenario
	region := defaultRegion
	if sc.ECS != nil && sc.ECS.Region != "" {
		region = sc.ECS.Region
	}
	var reported sync.Map // task -> the last error told, so that a failing push is told once
	return &sessionAgent{run: t.cfg.RunID, cfg: agentsession.Config{
		Docker: t.cli, Image: t.cfg.HolderImage, Role: t.cfg.TaskRole,
		Region: region, AccountID: localAccountID, Cluster: "lab-" + t.cfg.RunID, Service: sc.Name,
		OnError: func(task string, err error) {
			if last, ok := reported.Swap(task, err.Error()); ok && last == err.Error() {
				return
			}
			t.emitEvent(lab.Event{Data: lab.ServiceEvent{Message: fmt.Sprintf("task %s: task agent: %v", task, err)}})
		},
	}}
}

// StartTask starts the task's agent in its holder's namespace.
func (a *sessionAgent) StartTask(ctx context.Context, info TaskInfo) (TaskSession, error) {
	def := info.Def
	task := agentsession.Task{
		ID: taskARNID(a.run, info.Task), Name: fmt.Sprintf("lab-%s-%s", a.run, info.Task),
		Holder: info.Holder, Labels: info.Labels, Family: def.Family, Revision: def.Revision,
		CPU: info.Size.VCPU(), MemoryMiB: info.Size.Memory, EphemeralGiB: def.EphemeralGiB,
	}
	for _, c := range def.Containers {
		task.Containers = append(task.Containers, agentsession.Container{
			Name: c.Name, Image: c.Image, Essential: c.Essential, CPU: c.CPU, MemoryMiB: c.Memory,
			Ports: c.Ports, DockerLabels: c.Labels, LogDriver: c.LogDriver, LogOptions: c.LogOptions,
		})
	}
	return agentsession.Start(ctx, a.cfg, task)
}

// taskARNID is a task's id in its ARN: 32 hex digits, as ECS's, stable
// for a task of a run.
func taskARNID(run, task string) string {
	sum := sha256.Sum256([]byte(run + "/" + task))
	return hex.EncodeToString(sum[:16])
}

// agentPort is the port a holder publishes for its task's agent: lab
// reaches the agent's control port through it.
const agentPort = taskagent.ControlPort

// checkAgentPorts refuses a definition whose containers listen where the
// task agent does: in the task's shared namespace one of them would fail.
func checkAgentPorts(def *TaskDef) error {
	for _, c := range def.Containers {
		for _, p := range c.Ports {
			if slices.Contains(taskagent.ReservedPorts(), p) {
				return fmt.Errorf("container %q: port %d is the local task agent's (the metadata and credentials endpoints use %v in every task): map another port", c.Name, p, taskagent.ReservedPorts())
			}
		}
	}
	return nil
}
