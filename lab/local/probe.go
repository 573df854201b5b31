package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/docker/pkg/stdcopy"
)

// probeTimeout bounds a probe container's life: its three runs take
// seconds even under a small quota.
const probeTimeout = 2 * time.Minute

// RunProbe runs the workload image's CPU probe (`lab workload probe`) in
// a container under a CFS quota of cpuUnits (1024 = one core), labelled
// with the run's id so that `lab gc` finds it if lab dies, and returns
// what it printed on stdout. The container is removed in any case; a
// removal that fails is an error too (`lab gc` then removes it).
func RunProbe(ctx context.Context, cli *client.Client, image, runID string, cpuUnits int) (out []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	name := "lab-" + runID + "-probe"
	labels := RunLabels(runID)
	labels[LabelScenario], labels[LabelRole], labels[LabelRunImage] = "calibrate", "probe", image
	const memory = 256 << 20
	// Confined as the built-in app's tasks are; it needs no network.
	created, err := cli.ContainerCreate(ctx, &container.Config{
		Image:  image,
		Cmd:    []string{"probe"},
		User:   BuiltinUser,
		Labels: labels,
	}, &container.HostConfig{
		NetworkMode: "none",
		Resources: container.Resources{NanoCPUs: int64(cpuUnits) * 1e9 / 1024, Memory: memory, MemorySwap: memory,
			PidsLimit: ptr(int64(PidsLimit))},
		SecurityOpt:    []string{noNewPrivileges},
		CapDrop:        []string{"ALL"},
		ReadonlyRootfs: true,
	}, nil, nil, name)
	if err != nil {
		return nil, fmt.Errorf("create probe container: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := cli.ContainerRemove(rctx, created.ID, container.RemoveOptions{Force: true}); rerr != nil && !errdefs.IsNotFound(rerr) {
			err = errors.Join(err, fmt.Errorf("remove the probe container %s (`lab gc` removes it): %w", name, rerr))
		}
	}()
	waitC, errC := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return nil, fmt.Errorf("start probe container: %w", err)
	}
	var code int64
	select {
	case w := <-waitC:
		code = w.StatusCode
	case err := <-errC:
		return nil, fmt.Errorf("wait for the probe: %w", err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, fmt.Errorf("read the probe's output: %w", err)
	}
	defer logs.Close() // a read stream: what was read is what counts
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		return nil, fmt.Errorf("read the probe's output: %w", err)
	}
	if code != 0 {
		return nil, errors.New("the probe exited with code " + fmt.Sprint(code) + ": " + stderr.String())
	}
	return stdout.Bytes(), nil
}
