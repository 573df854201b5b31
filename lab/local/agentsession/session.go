// Package agentsession runs one task's agent (package taskagent) as a
// container in the task's network namespace and keeps it fed: the
// task's state as Docker reports it, its containers' stats, and the
// task role's credentials. The local target starts a session per task
// of several containers, once the task's holder runs.
package agentsession

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ecslab/lab/lab/local/taskagent"
	"github.com/ecslab/lab/lab/local/taskmeta"
)

// Docker is the part of the Docker client a session uses.
type Docker interface {
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerStats(ctx context.Context, containerID string, stream bool) (container.StatsResponseReader, error)
}

// Config is what every session of a run shares.
type Config struct {
	Docker Docker
	Image  string           // lab's workload image: its program serves the agent
	Role   taskagent.Source // the task role's credentials; nil: none
	// What the task document names: ARNs are made of them.
	Region, AccountID, Cluster, Service string
	Snapshotter                         string // the daemon's storage driver
	// OnError hears what goes wrong after the start (a push, a fetch of
	// credentials); its errors hold no credential. Nil drops them.
	OnError func(task string, err error)
}

// Task is what a session knows of its task.
type Task struct {
	ID     string // lab's task id, e.g. t3; it is the task ARN's id too
	Name   string // the task's Docker name, e.g. lab-ab12-e1-t3: the agent is Name-agent
	Holder string // the holder's container id, whose namespace the agent joins
	Labels map[string]string
	Family string
	// Revision of the definition; 0 is 1.
	Revision     int
	CPU          float64 // vCPU
	MemoryMiB    int
	EphemeralGiB int // 0: Fargate's default
	Containers   []Container
}

// Container is one container of the task, as its definition gives it.
type Container struct {
	Name         string
	Image        string
	Essential    bool
	CPU          int // cpu units; 0: none
	MemoryMiB    int // hard limit; 0: none
	Ports        []int
	DockerLabels map[string]string
	LogDriver    string
	LogOptions   map[string]string
}

// readyTimeout bounds the wait for the agent's control port.
const readyTimeout = 20 * time.Second

// tick is how often a session reads its containers and pushes.
const tick = time.Second

// Session is one task's agent.
type Session struct {
	cfg     Config
	plan    *taskagent.Plan
	updater *taskagent.Updater
	agentID string
	lctx    context.Context // the feeding's: ends with Stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu         sync.Mutex
	task       taskmeta.Task
	ids        map[string]string // container name -> Docker id
	samples    map[string]*samples
	essentials map[string]bool
}

// Start creates and starts the task's agent in the holder's namespace,
// waits until it answers, and begins feeding it. A start that fails
// removes the agent.
func Start(ctx context.Context, cfg Config, t Task) (*Session, error) {
	names := make([]string, len(t.Containers))
	for i, c := range t.Containers {
		names[i] = c.Name
	}
	plan, err := taskagent.NewPlan(taskagent.TaskOptions{
		Containers: names, TaskRole: cfg.Role != nil, Image: cfg.Image,
		NetworkMode: "container:" + t.Holder, Labels: t.Labels,
	})
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, plan: plan, ids: map[string]string{}, samples: map[string]*samples{}, essentials: map[string]bool{}}
	for _, c := range t.Containers {
		s.essentials[c.Name] = c.Essential
	}
	if err := s.startAgent(ctx, t); err != nil {
		return nil, errors.Join(err, s.removeAgent(ctx))
	}
	return s, nil
}

func (s *Session) startAgent(ctx context.Context, t Task) error {
	holder, err := s.cfg.Docker.ContainerInspect(ctx, t.Holder)
	if err != nil {
		return fmt.Errorf("task agent: the holder: %w", err)
	}
	addr, err := controlAddr(holder)
	if err != nil {
		return err
	}
	acfg, ahost := s.plan.AgentContainer()
	created, err := s.cfg.Docker.ContainerCreate(ctx, acfg, ahost, nil, nil, t.Name+"-agent")
	if err != nil {
		return fmt.Errorf("task agent: create: %w", err)
	}
	s.agentID = created.ID
	if err := s.cfg.Docker.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return fmt.Errorf("task agent: start: %w", err)
	}
	s.updater = s.plan.Updater(addr)
	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.updater.Ready(rctx); err != nil {
		return err
	}
	s.task = s.initialTask(t, holder)
	if err := s.updater.SetState(ctx, s.state()); err != nil {
		return err
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.mu.Lock()
	s.lctx, s.cancel = lctx, stop
	s.mu.Unlock()
	s.wg.Add(1)
	go s.loop(lctx)
	if s.cfg.Role != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			taskagent.KeepCredentials(lctx, s.updater, s.plan.CredentialsID(), s.cfg.Role, s.report)
		}()
	}
	return nil
}

// controlAddr is where lab reaches the agent's control port: the port
// the holder publishes on 127.0.0.1, or else the holder's address on
// its network.
func controlAddr(holder container.InspectResponse) (string, error) {
	port := nat.Port(strconv.Itoa(taskagent.ControlPort) + "/tcp")
	if ns := holder.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[port] {
			if b.HostPort != "" && (b.HostIP == "127.0.0.1" || b.HostIP == "0.0.0.0" || b.HostIP == "") {
				return net.JoinHostPort("127.0.0.1", b.HostPort), nil
			}
		}
		for _, ep := range ns.Networks {
			if ep != nil && ep.IPAddress != "" {
				return net.JoinHostPort(ep.IPAddress, port.Port()), nil
			}
		}
	}
	return "", errors.New("task agent: the holder has neither an address nor a published control port")
}

// Env is what the task's container name gets in its environment.
func (s *Session) Env(name string) map[string]string { return s.plan.Env(name) }

// Created tells the session a container's Docker id: from then on it
// reads the container's state and stats.
func (s *Session) Created(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[name] = id
	smp := &samples{}
	s.samples[id] = smp
	ctx := s.lctx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		smp.watch(ctx, s.cfg.Docker, id)
	}()
}

// Stop ends the feeding and removes the agent.
func (s *Session) Stop(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	return s.removeAgent(ctx)
}

func (s *Session) removeAgent(ctx context.Context) error {
	if s.agentID == "" {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.cfg.Docker.ContainerRemove(rctx, s.agentID, container.RemoveOptions{Force: true})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove the task agent: %w", err)
	}
	return nil
}

func (s *Session) report(err error) {
	if s.cfg.OnError != nil {
		s.cfg.OnError(s.task.ID, err)
	}
}
