package local

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// fakeDocker is, in memory, the part of the Docker Engine API the local
// target uses: a container "runs" as an HTTP server on 127.0.0.1 that
// answers 200, and the test drives the events stream. Calls the target
// should not make reach the nil APIClient and panic.
type fakeDocker struct {
	client.APIClient

	events chan events.Message
	errs   chan error

	mu         sync.Mutex
	seq        int
	containers map[string]*fakeContainer
	creates    int
	// failStart, when set, says whether the nth start (from 1) fails.
	failStart func(n int) bool
	starts    int
	// createGate, when set, holds every create until it is closed;
	// creating is told of each create that waits.
	createGate chan struct{}
	creating   chan string
	// onStart, when set, runs after a container started.
	onStart func(id string)
	// started lists the containers' names in the order they started.
	started []string
	volumes map[string]bool
	// failRemove, when set, is the error of a removal of id (nil: it
	// goes ahead).
	failRemove func(id string) error
}

type fakeContainer struct {
	id, name string
	labels   map[string]string
	port     nat.Port
	srv      *httptest.Server
	cfg      *container.Config
	host     *container.HostConfig
}

func newFakeDocker() *fakeDocker {
	return &fakeDocker{
		events:     make(chan events.Message, 100),
		errs:       make(chan error),
		containers: map[string]*fakeContainer{},
	}
}

func (d *fakeDocker) DaemonHost() string { return "fake://docker" }

func (d *fakeDocker) Ping(context.Context) (types.Ping, error) { return types.Ping{}, nil }

func (d *fakeDocker) Events(context.Context, events.ListOptions) (<-chan events.Message, <-chan error) {
	return d.events, d.errs
}

func (d *fakeDocker) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	d.mu.Lock()
	gate, creating := d.createGate, d.creating
	d.mu.Unlock()
	if gate != nil {
		creating <- name
		<-gate
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	d.creates++
	id := fmt.Sprintf("c%02d%s", d.seq, strings.Repeat("0", 10))
	var port nat.Port
	for p := range cfg.ExposedPorts {
		port = p
	}
	d.containers[id] = &fakeContainer{id: id, name: name, labels: cfg.Labels, port: port, cfg: cfg, host: host}
	return container.CreateResponse{ID: id}, nil
}

func (d *fakeDocker) ContainerStart(ctx context.Context, id string, _ container.StartOptions) error {
	d.mu.Lock()
	d.starts++
	c, ok := d.containers[id]
	fail := d.failStart != nil && d.failStart(d.starts)
	onStart := d.onStart
	if ok && !fail {
		c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		d.started = append(d.started, c.name)
	}
	d.mu.Unlock()
	switch {
	case !ok:
		return errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	case fail:
		// As runc says it: the container exists, its process never ran.
		return errdefs.System(fmt.Errorf("OCI runtime create failed: exec: \"/app\": stat /app: no such file or directory"))
	}
	if onStart != nil {
		onStart(id)
	}
	return nil
}

func (d *fakeDocker) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.containers[id]
	if !ok {
		return container.InspectResponse{}, errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	info := container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{Running: c.srv != nil}},
		NetworkSettings:   &container.NetworkSettings{NetworkSettingsBase: container.NetworkSettingsBase{Ports: nat.PortMap{}}},
	}
	if c.srv != nil {
		_, port, _ := net.SplitHostPort(c.srv.Listener.Addr().String())
		info.NetworkSettings.Ports[c.port] = []nat.PortBinding{{HostIP: "127.0.0.1", HostPort: port}}
	}
	return info, nil
}

func (d *fakeDocker) ContainerStats(ctx context.Context, id string, stream bool) (container.StatsResponseReader, error) {
	return container.StatsResponseReader{Body: io.NopCloser(strings.NewReader(""))}, nil
}

// die stops a container's process as the kernel or a signal would, and
// sends the die event (and, with oom, an oom event oomAfter the die;
// negative: before it).
func (d *fakeDocker) die(id string, code int, oom bool, oomAfter time.Duration) {
	d.mu.Lock()
	if c, ok := d.containers[id]; ok && c.srv != nil {
		c.srv.Close()
		c.srv = nil
	}
	d.mu.Unlock()
	oomEvent := events.Message{Type: events.ContainerEventType, Action: events.ActionOOM, Actor: events.Actor{ID: id}}
	if oom && oomAfter < 0 {
		d.events <- oomEvent
	}
	d.events <- events.Message{Type: events.ContainerEventType, Action: events.ActionDie,
		Actor: events.Actor{ID: id, Attributes: map[string]string{"exitCode": strconv.Itoa(code)}}}
	if oom && oomAfter >= 0 {
		time.AfterFunc(oomAfter, func() { d.events <- oomEvent })
	}
}

func (d *fakeDocker) ContainerKill(ctx context.Context, id, signal string) error {
	if _, ok := d.container(id); !ok {
		return errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	d.die(id, 137, false, 0)
	return nil
}

func (d *fakeDocker) ContainerStop(ctx context.Context, id string, _ container.StopOptions) error {
	if _, ok := d.container(id); !ok {
		return errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	d.die(id, 0, false, 0)
	return nil
}

func (d *fakeDocker) ContainerRemove(ctx context.Context, id string, _ container.RemoveOptions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.containers[id]
	if !ok {
		return errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	if d.failRemove != nil {
		if err := d.failRemove(id); err != nil {
			return err
		}
	}
	if c.srv != nil {
		c.srv.Close()
	}
	delete(d.containers, id)
	return nil
}

func (d *fakeDocker) ContainerList(ctx context.Context, _ container.ListOptions) ([]container.Summary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []container.Summary
	for _, c := range d.containers {
		out = append(out, container.Summary{ID: c.id, Names: []string{"/" + c.name}, Labels: c.labels})
	}
	return out, nil
}

func (d *fakeDocker) NetworkList(context.Context, network.ListOptions) ([]network.Summary, error) {
	return nil, nil
}

func (d *fakeDocker) VolumeCreate(ctx context.Context, o volume.CreateOptions) (volume.Volume, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.volumes == nil {
		d.volumes = map[string]bool{}
	}
	d.volumes[o.Name] = true
	return volume.Volume{Name: o.Name, Labels: o.Labels}, nil
}

func (d *fakeDocker) VolumeRemove(ctx context.Context, name string, _ bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.volumes[name] {
		return errdefs.NotFound(fmt.Errorf("no such volume: %s", name))
	}
	delete(d.volumes, name)
	return nil
}

func (d *fakeDocker) VolumeList(context.Context, volume.ListOptions) (volume.ListResponse, error) {
	return volume.ListResponse{}, nil
}

// health sends Docker's health_status event for a container.
func (d *fakeDocker) health(id string, healthy bool) {
	action := events.ActionHealthStatusUnhealthy
	if healthy {
		action = events.ActionHealthStatusHealthy
	}
	d.events <- events.Message{Type: events.ContainerEventType, Action: action, Actor: events.Actor{ID: id}}
}

// byName is the id of the container named name, or "".
func (d *fakeDocker) byName(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.containers {
		if c.name == name {
			return c.id
		}
	}
	return ""
}

// startOrder lists the containers' names in the order they started.
func (d *fakeDocker) startOrder() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.started)
}

func (d *fakeDocker) container(id string) (*fakeContainer, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.containers[id]
	return c, ok
}

// names lists the containers that exist, by name.
func (d *fakeDocker) names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.containers {
		out = append(out, c.name)
	}
	return out
}

// fakeScenario is a service whose health checks pass within a tenth of
// a second.
func fakeScenario() *scenarios.Scenario {
	return &scenarios.Scenario{
		Name:     "fake",
		Workload: scenarios.Workload{Image: "img", Port: 8080},
		Service: scenarios.Service{CPU: 256, Memory: 512, Count: 1, HealthCheck: scenarios.HealthCheck{
			Path: "/", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond,
			HealthyThreshold: 1, UnhealthyThreshold: 2,
		}},
		Balancer: scenarios.Balancer{Algorithm: scenarios.RoundRobin, TargetTimeout: time.Second},
	}
}

// recorder keeps the events a target emits.
type recorder struct {
	mu     sync.Mutex
	events []lab.Event
}

func (r *recorder) emit(ev lab.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev.Time = time.Now()
	r.events = append(r.events, ev)
}

// of returns the events of type typ.
func (r *recorder) of(typ string) []lab.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []lab.Event
	for _, ev := range r.events {
		if ev.Type() == typ {
			out = append(out, ev)
		}
	}
	return out
}

// stops returns the task_stopped events' data.
func (r *recorder) stops() []lab.TaskStopped {
	var out []lab.TaskStopped
	for _, ev := range r.of(lab.EventTaskStopped) {
		out = append(out, ev.Data.(lab.TaskStopped))
	}
	return out
}

// startFakeTarget is a local target on d, deployed with count tasks, its
// events in the recorder. It is closed when the test ends.
func startFakeTarget(t *testing.T, d *fakeDocker, count int) (*Target, *recorder) {
	t.Helper()
	sc := fakeScenario()
	sc.Service.Count = count
	tg := newTarget(d, Config{RunID: "fake", Scenario: sc, Image: "img", Port: 8080})
	tg.direct = false // reach tasks by their published port, as the fake publishes them
	if err := tg.startLoops(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tg.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tg.Deploy(ctx, sc.Entries()[0], rec.emit); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return tg, rec
}

// eventually waits up to 10 s for cond, and fails the test with what
// then it says.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
