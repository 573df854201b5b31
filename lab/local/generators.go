package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load/generate"
)

var _ lab.GeneratorHost = (*Target)(nil)

// generatorMemory bounds a generator container's memory: a generator
// keeps a few histograms and a connection per request in flight.
const generatorMemory = 512 << 20

// GeneratorEndpoint is the balancer's URL for load generators in
// containers on the run's network. The balancer listens on 127.0.0.1,
// which a container does not reach; it listens on the network's gateway
// too (the host's address on that bridge), which containers on it do.
// Only where this machine routes to the network (Docker on Linux): where
// the daemon runs in a VM there is no such address.
func (t *Target) GeneratorEndpoint() (string, error) {
	t.genMu.Lock()
	defer t.genMu.Unlock()
	if t.genEndpoint != "" {
		return t.genEndpoint, nil
	}
	if !t.cfg.Network.TriesDirect() {
		return "", errors.New("generator containers reach the balancer on the run network's gateway, which needs Docker on this machine (Linux); with the daemon in a VM (or " + EnvContainerNetwork + "=published) use 1 generator")
	}
	nw, err := t.cli.NetworkInspect(t.ctx, t.netName, network.InspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect network %s: %w", t.netName, t.lost(err))
	}
	var gateway string
	for _, c := range nw.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			gateway = c.Gateway
			break
		}
	}
	if gateway == "" {
		return "", fmt.Errorf("network %s has no IPv4 gateway for generators to reach the balancer at", t.netName)
	}
	addr, err := t.bal.Listen(net.JoinHostPort(gateway, "0"))
	if err != nil {
		return "", fmt.Errorf("balancer on the network's gateway %s: %w", gateway, err)
	}
	t.genEndpoint = "http://" + addr
	return t.genEndpoint, nil
}

// Launch starts load generator gen as a container of lab's workload
// image on the run's network, labelled as the run's (so that Close and
// `lab gc` remove it), confined as the built-in app is, without a CPU
// quota: a generator should be limited by the host, not by lab.
func (t *Target) Launch(ctx context.Context, gen int, config []byte) (generators.Process, error) {
	image := t.cfg.GeneratorImage
	if image == "" {
		return nil, errors.New("no workload image for the generators")
	}
	t.mu.Lock()
	name := fmt.Sprintf("lab-%s-e%d-g%d", t.cfg.RunID, t.entry.Index+1, gen)
	t.mu.Unlock()
	created, err := t.cli.ContainerCreate(ctx, &container.Config{
		Image:  image,
		Cmd:    []string{"generate"},
		Env:    []string{generate.EnvConfig + "=" + string(config)},
		User:   BuiltinUser,
		Labels: t.labels("generator"),
	}, &container.HostConfig{
		NetworkMode: container.NetworkMode(t.netName),
		Resources: container.Resources{Memory: generatorMemory, MemorySwap: generatorMemory,
			PidsLimit: ptr(int64(PidsLimit))},
		SecurityOpt:    []string{noNewPrivileges},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
	}, nil, nil, name)
	if err != nil {
		return nil, fmt.Errorf("create generator container %s: %w", name, t.lost(err))
	}
	p := &generatorProcess{cli: t, id: created.ID}
	if err := p.start(ctx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
		defer cancel()
		p.Remove(rctx)
		return nil, fmt.Errorf("start generator container %s: %w", name, t.lost(err))
	}
	return p, nil
}

// generatorProcess is a generator container: its standard output comes
// from an attach made before it starts, so that no line is missed.
type generatorProcess struct {
	cli    *Target
	id     string
	out    *io.PipeReader
	remove sync.Once
}

func (p *generatorProcess) start(ctx context.Context) error {
	att, err := p.cli.cli.ContainerAttach(ctx, p.id, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	p.out = pr
	go func() {
		// The stream carries stdout and stderr multiplexed; stderr is
		// what the generator says for people.
		_, err := stdcopy.StdCopy(pw, io.Discard, att.Reader)
		att.Close()
		pw.CloseWithError(err)
	}()
	return p.cli.cli.ContainerStart(ctx, p.id, container.StartOptions{})
}

func (p *generatorProcess) Output() io.Reader { return p.out }

func (p *generatorProcess) Wait(ctx context.Context) (int, error) {
	waitC, errC := p.cli.cli.ContainerWait(ctx, p.id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		return int(w.StatusCode), nil
	case err := <-errC:
		return 0, err
	}
}

// Remove kills and removes the container, once.
func (p *generatorProcess) Remove(ctx context.Context) error {
	var err error
	p.remove.Do(func() {
		err = p.cli.cli.ContainerRemove(ctx, p.id, container.RemoveOptions{Force: true})
	})
	return err
}
