package doctor

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/workload"
	"github.com/ecslab/lab/workload/knobs"
)

// networkCheck starts the built-in app in a container, as a run starts a
// task, and tries both ways to reach it: its container address and the
// port Docker publishes on 127.0.0.1. It says which way lab will use.
func networkCheck(ctx context.Context, cli *client.Client, bin workload.Binary, log io.Writer) Check {
	c := Check{Name: "network"}
	path, err := local.NetworkPathFromEnv()
	if err != nil {
		c.Found, c.Action, c.Status = "not tried", err.Error(), Fail
		return c
	}
	if bin.Path == "" {
		c.Found, c.Action, c.Status = "not tried: no workload program to run", "see workload", Note
		return c
	}
	image, _, err := workload.EnsureImage(ctx, cli, workload.WithBinary(bin.Path), workload.WithBuildLog(log))
	if err != nil {
		c.Found, c.Action, c.Status = "not tried", "the workload image: "+err.Error(), Fail
		return c
	}
	direct, published, err := tryContainer(ctx, cli, image)
	if err != nil {
		c.Found, c.Action, c.Status = "not tried", err.Error(), Fail
		return c
	}
	c.Found = fmt.Sprintf("container address %s, published port %s", answer(direct), answer(published))
	c.Action, c.Status = reach(path, direct == nil, published == nil)
	return c
}

// reach is what lab does given the setting and what answered.
func reach(path local.NetworkPath, directOK, publishedOK bool) (string, Status) {
	const env = local.EnvContainerNetwork
	switch {
	case path == local.PathDirect && directOK:
		return "the balancer and health checks dial container addresses (" + env + "=direct)", OK
	case path == local.PathDirect:
		return env + "=direct, but container addresses do not answer here: unset it", Fail
	case path == local.PathPublished && publishedOK:
		return "the balancer and health checks use the published ports (" + env + "=published)", OK
	case path.TriesDirect() && directOK:
		return "the balancer and health checks dial container addresses, skipping Docker's port proxy", OK
	case publishedOK && path.TriesDirect():
		return "container addresses do not answer: the balancer and health checks use the ports published on 127.0.0.1", Note
	case publishedOK:
		return "the balancer and health checks use the ports published on 127.0.0.1, as on Docker Desktop, OrbStack and colima", OK
	}
	return "tasks cannot be reached: check that nothing blocks 127.0.0.1 ports (a firewall, a VPN client)", Fail
}

func answer(err error) string {
	if err == nil {
		return "answers"
	}
	return "does not answer (" + err.Error() + ")"
}

// tryContainer runs the app and dials it both ways; the errors say why a
// way did not answer. The container is removed before it returns.
func tryContainer(ctx context.Context, cli *client.Client, image string) (direct, published error, err error) {
	port := nat.Port(strconv.Itoa(knobs.DefaultPort) + "/tcp")
	id := "doctor" + strings.ToLower(rand.Text()[:6])
	labels := local.RunLabels(id)
	labels[local.LabelRole], labels[local.LabelRunImage] = "doctor", image
	created, err := cli.ContainerCreate(ctx,
		&container.Config{Image: image, ExposedPorts: nat.PortSet{port: {}},
			Labels: labels},
		&container.HostConfig{PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}},
			Resources: container.Resources{NanoCPUs: 250_000_000, Memory: 64 << 20, MemorySwap: 64 << 20}},
		nil, nil, "lab-"+id)
	if err != nil {
		return nil, nil, fmt.Errorf("create a test container: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := cli.ContainerRemove(rctx, created.ID, container.RemoveOptions{Force: true}); rerr != nil && !errdefs.IsNotFound(rerr) {
			err = errors.Join(err, fmt.Errorf("remove the test container (`lab gc` removes it): %w", rerr))
		}
	}()
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return nil, nil, fmt.Errorf("start a test container: %w", err)
	}
	info, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("inspect the test container: %w", err)
	}
	directAddr, publishedAddr := "", ""
	if ns := info.NetworkSettings; ns != nil {
		for _, n := range ns.Networks {
			if n.IPAddress != "" {
				directAddr = net.JoinHostPort(n.IPAddress, port.Port())
			}
		}
		for _, b := range ns.Ports[port] {
			publishedAddr = net.JoinHostPort("127.0.0.1", b.HostPort)
		}
	}
	// The published port answers only once the app listens behind it:
	// give the app a moment first, as a run's health checks do.
	published = get(ctx, publishedAddr, 10*time.Second)
	direct = get(ctx, directAddr, 3*time.Second)
	return direct, published, nil
}

// get asks the app at addr for / until it answers 200 or wait runs out.
func get(ctx context.Context, addr string, wait time.Duration) error {
	if addr == "" {
		return fmt.Errorf("no address")
	}
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(wait)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
