package agentsession

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/ecslab/lab/lab/local/taskagent"
	"github.com/ecslab/lab/lab/local/taskmeta"
)

// Container statuses of the task document, as the ECS agent names them.
// lab pulls nothing (images are local), so a container not yet created
// is PULLED.
const (
	statusPulled  = "PULLED"
	statusCreated = "CREATED"
)

// clockEvery is how often the task document's ClockDrift is read
// again: the host clock's bound moves slowly.
const clockEvery = 30 * time.Second

// embeddedDNS is the resolver Docker gives containers on a user-defined
// network, which the run's network is.
const embeddedDNS = "127.0.0.11"

// initialTask is the task document's input before any container exists.
func (s *Session) initialTask(t Task, holder container.InspectResponse) taskmeta.Task {
	now := time.Now()
	task := taskmeta.Task{
		Region: s.cfg.Region, AccountID: s.cfg.AccountID, Cluster: s.cfg.Cluster, Service: s.cfg.Service,
		ID: t.ID, Family: t.Family, Revision: max(t.Revision, 1),
		CPU: t.CPU, MemoryMiB: int64(t.MemoryMiB), EphemeralGiB: int64(t.EphemeralGiB),
		DesiredStatus: taskmeta.StatusRunning, KnownStatus: taskmeta.StatusPending,
		// Images are local: the pull is instant, at the task's start.
		PullStartedAt: now, PullStoppedAt: now,
		Clock:   taskmeta.ReadClock(now),
		Network: holderInterface(holder),
	}
	for _, c := range t.Containers {
		mc := taskmeta.Container{
			Name: c.Name, Image: c.Image, CPU: c.CPU, MemoryMiB: int64(c.MemoryMiB),
			DesiredStatus: taskmeta.StatusRunning, KnownStatus: statusPulled,
			DockerLabels: c.DockerLabels, LogDriver: c.LogDriver, LogOptions: c.LogOptions,
			Snapshotter: s.cfg.Snapshotter,
		}
		for _, p := range c.Ports {
			mc.Ports = append(mc.Ports, taskmeta.Port{ContainerPort: uint16(p), Protocol: "tcp"})
		}
		task.Containers = append(task.Containers, mc)
	}
	return task
}

// holderInterface is the task's network interface: the holder's on its
// network.
func holderInterface(h container.InspectResponse) taskmeta.Interface {
	if h.NetworkSettings == nil {
		return taskmeta.Interface{}
	}
	for _, ep := range h.NetworkSettings.Networks {
		if ep == nil || ep.IPAddress == "" {
			continue
		}
		n := taskmeta.Interface{IPv4: ep.IPAddress, MAC: ep.MacAddress, Gateway: ep.Gateway, DNS: []string{embeddedDNS}}
		if ip := net.ParseIP(ep.IPAddress); ip != nil && ep.IPPrefixLen > 0 {
			subnet := net.IPNet{IP: ip.Mask(net.CIDRMask(ep.IPPrefixLen, 32)), Mask: net.CIDRMask(ep.IPPrefixLen, 32)}
			n.Subnet = subnet.String()
		}
		return n
	}
	return taskmeta.Interface{}
}

func (s *Session) state() taskagent.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return taskagent.State{Task: taskmeta.BuildTask(s.task), Endpoints: s.plan.Endpoints()}
}

// loop reads the containers and pushes what changed, and the stats,
// once a tick, until ctx ends.
func (s *Session) loop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.refresh(ctx) {
			if err := s.updater.SetState(ctx, s.state()); err != nil && ctx.Err() == nil {
				s.report(err)
			}
		}
		if stats := s.stats(); len(stats) > 0 {
			if err := s.updater.SetStats(ctx, stats); err != nil && ctx.Err() == nil {
				s.report(err)
			}
		}
	}
}

// refresh reads each created container from Docker into the task, and
// says whether the task document changed.
func (s *Session) refresh(ctx context.Context) bool {
	s.mu.Lock()
	ids := maps.Clone(s.ids)
	s.mu.Unlock()
	seen := map[string]container.InspectResponse{}
	for name, id := range ids {
		if info, err := s.cfg.Docker.ContainerInspect(ctx, id); err == nil {
			seen[name] = info
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before, _ := json.Marshal(taskmeta.BuildTask(s.task))
	for i := range s.task.Containers {
		c := &s.task.Containers[i]
		if info, ok := seen[c.Name]; ok {
			applyInspect(c, info)
		}
	}
	s.task.KnownStatus = taskStatus(s.task.Containers, s.essentials)
	if c := s.task.Clock; c == nil || c.ReferenceTimestamp == nil || time.Since(*c.ReferenceTimestamp) > clockEvery {
		s.task.Clock = taskmeta.ReadClock(time.Now())
	}
	after, _ := json.Marshal(taskmeta.BuildTask(s.task))
	return !bytes.Equal(before, after)
}

// applyInspect sets a container's document from what Docker says of it.
func applyInspect(c *taskmeta.Container, info container.InspectResponse) {
	c.DockerID, c.ImageID = info.ID, info.Image
	c.DockerName = strings.TrimPrefix(info.Name, "/")
	c.CreatedAt = parseTime(info.Created)
	st := info.State
	if st == nil {
		return
	}
	c.StartedAt = parseTime(st.StartedAt)
	switch {
	case st.Running:
		c.KnownStatus = taskmeta.StatusRunning
	case st.Status == container.StateCreated:
		c.KnownStatus = statusCreated
	default: // exited, dead
		c.KnownStatus = taskmeta.StatusStopped
		c.DesiredStatus = taskmeta.StatusStopped
		c.FinishedAt = parseTime(st.FinishedAt)
		code := st.ExitCode
		c.ExitCode = &code
	}
	c.Health = health(st.Health, c.Health)
}

// health is a container's health as ECS names it, from Docker's; its
// Since is kept while the status stays.
func health(h *container.Health, prev *taskmeta.Health) *taskmeta.Health {
	if h == nil {
		return nil
	}
	status := "UNKNOWN" // starting
	switch h.Status {
	case container.Healthy:
		status = "HEALTHY"
	case container.Unhealthy:
		status = "UNHEALTHY"
	}
	out := &taskmeta.Health{Status: status}
	if prev != nil && prev.Status == status {
		out.Since = prev.Since
	} else {
		now := time.Now().UTC()
		out.Since = &now
	}
	if n := len(h.Log); n > 0 && status == "UNHEALTHY" {
		out.ExitCode, out.Output = h.Log[n-1].ExitCode, h.Log[n-1].Output
	}
	return out
}

// taskStatus is the task's status from its containers', as ECS moves
// it: RUNNING once every essential container runs, STOPPED once one has
// stopped, PENDING before.
func taskStatus(cs []taskmeta.Container, essential map[string]bool) string {
	running := true
	for _, c := range cs {
		if !essential[c.Name] {
			continue
		}
		switch c.KnownStatus {
		case taskmeta.StatusStopped:
			return taskmeta.StatusStopped
		case taskmeta.StatusRunning:
		default:
			running = false
		}
	}
	if running {
		return taskmeta.StatusRunning
	}
	return taskmeta.StatusPending
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 2000 { // Docker's zero time is 0001-01-01
		return time.Time{}
	}
	return t
}

// samples are the last two stats samples of a container.
type samples struct {
	mu        sync.Mutex
	cur, prev *container.StatsResponse
}

// watch decodes the container's stats stream until ctx ends or the
// stream closes.
func (m *samples) watch(ctx context.Context, cli Docker, id string) {
	resp, err := cli.ContainerStats(ctx, id, true)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			return // the container is gone, or the session stopped
		}
		if s.Read.IsZero() || s.Read.Year() < 2000 {
			// The daemon's placeholder for a container not running yet:
			// no counters at all. ECS serves stats once it runs.
			continue
		}
		m.mu.Lock()
		m.prev, m.cur = m.cur, &s
		m.mu.Unlock()
	}
}

// stats are the latest stats documents of the containers that have two
// samples.
func (s *Session) stats() taskagent.StatsUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := taskagent.StatsUpdate{}
	for id, m := range s.samples {
		m.mu.Lock()
		// From the second sample on: the first has no previous reading
		// (precpu_stats empty) and no rates, which a document of ECS's
		// always has.
		if m.cur != nil && m.prev != nil {
			out[id] = taskmeta.BuildStats(*m.cur, m.prev)
		}
		m.mu.Unlock()
	}
	return out
}
