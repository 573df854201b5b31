package local

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"slices"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ecslab/lab/lab/load/generate"
)

// generatorDocker is fakeDocker with what a generator container needs:
// an attach whose stream holds the given stdout and stderr, and a wait
// that returns exit.
type generatorDocker struct {
	*fakeDocker
	stdout, stderr string
	exit           int64
	calls          []string // attach and start, in order
}

func (d *generatorDocker) ContainerAttach(_ context.Context, id string, o container.AttachOptions) (types.HijackedResponse, error) {
	d.calls = append(d.calls, "attach")
	var mux bytes.Buffer
	stdcopy.NewStdWriter(&mux, stdcopy.Stdout).Write([]byte(d.stdout))
	stdcopy.NewStdWriter(&mux, stdcopy.Stderr).Write([]byte(d.stderr))
	conn, _ := net.Pipe()
	return types.HijackedResponse{Conn: conn, Reader: bufio.NewReader(&mux)}, nil
}

func (d *generatorDocker) ContainerStart(ctx context.Context, id string, o container.StartOptions) error {
	d.calls = append(d.calls, "start")
	return d.fakeDocker.ContainerStart(ctx, id, o)
}

func (d *generatorDocker) ContainerWait(context.Context, string, container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	w := make(chan container.WaitResponse, 1)
	w <- container.WaitResponse{StatusCode: d.exit}
	return w, make(chan error)
}

// A generator is a container of lab's image, confined, on the run's
// network, labelled as the run's; lab attaches before it starts, reads
// its standard output alone, sees how it exited, and removes it.
func TestLaunchGeneratorContainer(t *testing.T) {
	d := &generatorDocker{fakeDocker: newFakeDocker(), stdout: "line 1\nline 2\n", stderr: "for people\n", exit: 137}
	tg := newTarget(d, Config{RunID: "fake", Scenario: fakeScenario(), Image: "svc", GeneratorImage: "lab-workload:1"})
	defer tg.cancel()
	p, err := tg.Launch(context.Background(), 2, []byte(`{"gen":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.calls, []string{"attach", "start"}) {
		t.Errorf("calls %v, want attach before start", d.calls)
	}
	id := d.byName("lab-fake-e1-g2")
	c, ok := d.container(id)
	if !ok {
		t.Fatalf("no container lab-fake-e1-g2 among %v", d.names())
	}
	switch {
	case c.cfg.Image != "lab-workload:1" || !slices.Equal(c.cfg.Cmd, []string{"generate"}):
		t.Errorf("image %s cmd %v, want lab's image running generate", c.cfg.Image, c.cfg.Cmd)
	case !slices.Equal(c.cfg.Env, []string{generate.EnvConfig + `={"gen":2}`}):
		t.Errorf("env %v, want the configuration alone", c.cfg.Env)
	case c.labels[LabelRun] != "fake" || c.labels[LabelRole] != "generator":
		t.Errorf("labels %v, want the run's, role generator", c.labels)
	case string(c.host.NetworkMode) != "lab-fake" || !c.host.ReadonlyRootfs || !slices.Equal(c.host.CapDrop, []string{"ALL"}):
		t.Errorf("host config %+v, want the run's network, read-only, no capability", c.host)
	case c.host.NanoCPUs != 0 || len(c.host.PortBindings) != 0:
		t.Errorf("cpus %d ports %v, want no quota and nothing published", c.host.NanoCPUs, c.host.PortBindings)
	}
	out, _ := io.ReadAll(p.Output())
	if string(out) != "line 1\nline 2\n" {
		t.Errorf("output %q, want stdout alone", out)
	}
	if code, err := p.Wait(context.Background()); code != 137 || err != nil {
		t.Errorf("Wait = %d, %v; want 137", code, err)
	}
	if err := p.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.container(id); ok {
		t.Error("the generator container is still there after Remove")
	}
}

// Where the host cannot reach the run's network, generators cannot
// reach the balancer: lab says so.
func TestGeneratorEndpointNeedsTheNetwork(t *testing.T) {
	tg := newTarget(newFakeDocker(), Config{RunID: "fake", Scenario: fakeScenario(), Network: PathPublished})
	defer tg.cancel()
	if _, err := tg.GeneratorEndpoint(); err == nil {
		t.Error("GeneratorEndpoint on the published path: no error")
	}
}
