package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/gofrs/flock"
)

// A run is live while its process holds a lock on a file named after the
// run id in the user's cache directory. gc removes only what belongs to
// runs whose lock is free.

// RunLock is held by a live run.
type RunLock struct{ f *flock.Flock }

func lockPath(runID string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "lab", "runs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, runID+".lock"), nil
}

// LockRun takes the run's lock; it is held until Release or the process
// ends (the kernel drops it even on SIGKILL).
func LockRun(runID string) (*RunLock, error) {
	p, err := lockPath(runID)
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	f := flock.New(p)
	ok, err := f.TryLock()
	if err != nil {
		return nil, fmt.Errorf("run lock %s: %w", p, err)
	}
	if !ok {
		return nil, fmt.Errorf("run lock %s is held by another process", p)
	}
	return &RunLock{f: f}, nil
}

// Release drops the lock and its file.
func (l *RunLock) Release() {
	l.f.Unlock()
	os.Remove(l.f.Path())
}

// runLive reports whether a process holds the run's lock.
func runLive(runID string) bool {
	p, err := lockPath(runID)
	if err != nil {
		return false
	}
	if _, err := os.Stat(p); err != nil {
		return false
	}
	f := flock.New(p)
	ok, err := f.TryLock()
	if err != nil {
		return true // cannot tell: leave it alone
	}
	if ok {
		f.Unlock()
		return false
	}
	return true
}

// DeadRuns lists the ids of runs that left containers or networks behind
// and whose process is gone.
func DeadRuns(ctx context.Context, cli client.APIClient) ([]string, error) {
	ids := map[string]bool{}
	f := filters.NewArgs(filters.Arg("label", LabelRun))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		ids[c.Labels[LabelRun]] = true
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		ids[n.Labels[LabelRun]] = true
	}
	var dead []string
	for id := range ids {
		if !runLive(id) {
			dead = append(dead, id)
		}
	}
	sort.Strings(dead)
	return dead, nil
}

// GC removes what dead runs left behind and returns their ids.
func GC(ctx context.Context, cli client.APIClient) ([]string, error) {
	dead, err := DeadRuns(ctx, cli)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, id := range dead {
		errs = append(errs, removeRun(ctx, cli, id))
		if p, err := lockPath(id); err == nil {
			os.Remove(p)
		}
	}
	return dead, errors.Join(errs...)
}

// removeRun force-removes every container, volume and network labelled
// with the run id.
func removeRun(ctx context.Context, cli client.APIClient, runID string) error {
	f := filters.NewArgs(filters.Arg("label", LabelRun+"="+runID))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("list containers of run %s: %w", runID, err)
	}
	var errs []error
	for _, c := range cs {
		err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
		if err != nil && strings.Contains(err.Error(), "already in progress") {
			// The run asked for it and died (or lost Docker) before the
			// answer: the daemon is still at it.
			err = waitGone(ctx, cli, c.ID)
		}
		if err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
		}
	}
	// The volumes of tasks of several containers, once their containers
	// are gone.
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		errs = append(errs, fmt.Errorf("list volumes of run %s: %w", runID, err))
	}
	for _, v := range vs.Volumes {
		if err := cli.VolumeRemove(ctx, v.Name, true); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
		}
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list networks of run %s: %w", runID, err))...)
	}
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
		}
	}
	return errors.Join(errs...)
}

// waitGone waits until the daemon has removed a container whose removal
// is in progress.
func waitGone(ctx context.Context, cli client.APIClient, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, err := cli.ContainerInspect(ctx, id); errdefs.IsNotFound(err) {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("removal in progress for %s: %w", id[:12], ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
