package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// gc removes only what belongs to runs it can prove dead (owner.go says
// how); a run it cannot tell about is alive.

// RunLock is held by a live run.
type RunLock struct {
	f     *flock.Flock
	runID string
}

// lockPath is where a run's lock file is made: the user's cache
// directory. Its full path goes into the run's labels, so a gc under
// another HOME, XDG_CACHE_HOME or user finds it.
func lockPath(runID string) (string, error) {
	if !validRunID(runID) {
		return "", fmt.Errorf("run id %q: letters, digits, - and _ only", runID)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir, err = filepath.Abs(filepath.Join(dir, "lab", "runs"))
	if err != nil {
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
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
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
	heldLocks.Store(runID, p)
	return &RunLock{f: f, runID: runID}, nil
}

// Release drops the lock and its file.
func (l *RunLock) Release() {
	heldLocks.Delete(l.runID)
	l.f.Unlock()
	os.Remove(l.f.Path())
}

// observer is what gc knows of the host it runs on: who it is, and how
// it sees processes and lock files. Tests give it other eyes.
type observer struct {
	uid         int
	host        string
	boot, pidNS string // "" without /proc
	start       func(pid int) (string, error)
	legacyLock  func(runID string) (string, error)
}

func here() observer {
	o := observer{uid: os.Getuid(), start: processStart, legacyLock: lockPath}
	o.host, _ = os.Hostname()
	o.boot, o.pidNS = hostIdentity()
	return o
}

// alive says whether the run that labelled a container or network may
// still be running, and why. Only a proof of death makes it false.
func (o observer) alive(runID string, labels map[string]string) (bool, string) {
	if !validRunID(runID) {
		return true, fmt.Sprintf("run id %q is not one lab writes: left alone", runID)
	}
	if _, ok := labels[LabelRun]; !ok {
		// An older lab's run: only its lock in the caller's cache
		// directory can tell.
		p, err := o.legacyLock(runID)
		if err != nil {
			return true, "cannot tell: " + err.Error()
		}
		return lockAlive(p)
	}
	p, err := parseProof(runID, labels)
	if err != nil {
		return true, "cannot tell: " + err.Error()
	}
	if p.host != o.host {
		return true, fmt.Sprintf("cannot tell: started on host %q, this is %q", p.host, o.host)
	}
	if p.start != "" && o.boot != "" {
		return o.processAlive(p)
	}
	if p.lock != "" {
		return lockAlive(p.lock)
	}
	return true, "cannot tell: no process start time or lock file to check"
}

// processAlive checks the run's process by pid and start time.
func (o observer) processAlive(p proof) (bool, string) {
	if p.boot != o.boot {
		return false, "the host restarted since the run started"
	}
	if p.pidNS != o.pidNS {
		return true, fmt.Sprintf("cannot tell: the run's process is in pid namespace %s, this one is %s", p.pidNS, o.pidNS)
	}
	start, err := o.start(p.pid)
	switch {
	case err == nil && start == p.start:
		return true, fmt.Sprintf("process %d is running", p.pid)
	case err == nil:
		return false, fmt.Sprintf("process %d is gone (its pid now belongs to another process)", p.pid)
	case errors.Is(err, fs.ErrNotExist) && (o.uid == p.uid || o.uid == 0):
		// One's own processes and, for root, everyone's are always
		// visible in /proc (hidepid hides only other users').
		return false, fmt.Sprintf("process %d is gone", p.pid)
	default:
		return true, fmt.Sprintf("cannot tell whether process %d of uid %d runs: %v", p.pid, p.uid, err)
	}
}

// lockAlive: a run is alive while a process holds its lock file, and
// when the file cannot be found or tried.
func lockAlive(path string) (bool, string) {
	if _, err := os.Stat(path); err != nil {
		return true, fmt.Sprintf("cannot tell: lock file %s: %v", path, err)
	}
	f := flock.New(path)
	ok, err := f.TryLock()
	if err != nil {
		return true, fmt.Sprintf("cannot tell: lock file %s: %v", path, err)
	}
	if !ok {
		return true, "lock file " + path + " is held"
	}
	f.Unlock()
	return false, "lock file " + path + " is free"
}

// Run is a run that left containers or networks behind.
type Run struct {
	ID    string
	Alive bool
	Why   string // why it is taken for alive or dead
	// Images are the images its containers and networks use (IDs and
	// references): gc --images keeps those of live runs.
	Images   []string
	runLabel string // the label its objects carry its id in
	lock     string // its lock file, removed with it
}

// listRuns finds every run that has containers, networks or volumes, under the
// label of this lab and of older ones, and says whether each is alive.
func listRuns(ctx context.Context, cli client.APIClient, o observer) ([]*Run, error) {
	runs := map[string]*Run{}
	add := func(key string, labels map[string]string, images ...string) {
		id := labels[key]
		r := runs[id]
		if r == nil {
			r = &Run{ID: id, runLabel: key}
			runs[id] = r
		}
		alive, why := o.alive(id, labels)
		if alive || r.Why == "" {
			r.Alive, r.Why = alive || r.Alive, why
		}
		if p, err := parseProof(id, labels); err == nil && p.lock != "" {
			r.lock = p.lock
		} else if key == legacyLabelRun && validRunID(id) {
			r.lock, _ = o.legacyLock(id)
		}
		for _, img := range append(images, labels[LabelRunImage]) {
			if img != "" {
				r.Images = append(r.Images, img)
			}
		}
	}
	for _, key := range []string{LabelRun, legacyLabelRun} {
		f := filters.NewArgs(filters.Arg("label", key))
		cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if key == legacyLabelRun && c.Labels[LabelRun] != "" {
				continue
			}
			add(key, c.Labels, c.ImageID, c.Image)
		}
		ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if key == legacyLabelRun && n.Labels[LabelRun] != "" {
				continue
			}
			add(key, n.Labels)
		}
		// A run that died between removing its containers and its
		// volumes left only those.
		vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
		if err != nil {
			return nil, err
		}
		for _, v := range vs.Volumes {
			if key == legacyLabelRun && v.Labels[LabelRun] != "" {
				continue
			}
			add(key, v.Labels)
		}
	}
	out := make([]*Run, 0, len(runs))
	for _, r := range runs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeadRuns lists the ids of runs that left containers or networks behind
// and whose process is gone.
func DeadRuns(ctx context.Context, cli client.APIClient) ([]string, error) {
	runs, err := listRuns(ctx, cli, here())
	if err != nil {
		return nil, err
	}
	var dead []string
	for _, r := range runs {
		if !r.Alive {
			dead = append(dead, r.ID)
		}
	}
	return dead, nil
}

// GCReport is what GC did.
type GCReport struct {
	Removed []string     // dead runs whose containers and networks are all gone
	Failed  []RunFailure // dead runs gc could not remove entirely
	Live    []Run        // runs left alone, with why
}

// RunFailure is a dead run gc could not remove, and why.
type RunFailure struct {
	ID  string
	Err error
}

// Err joins the failures, nil when there is none.
func (r GCReport) Err() error {
	var errs []error
	for _, f := range r.Failed {
		errs = append(errs, fmt.Errorf("run %s: %w", f.ID, f.Err))
	}
	return errors.Join(errs...)
}

// LiveImages are the images live runs use, by ID and by reference.
func (r GCReport) LiveImages() map[string]bool {
	m := map[string]bool{}
	for _, run := range r.Live {
		for _, img := range run.Images {
			m[img] = true
		}
	}
	return m
}

// GC removes what dead runs left behind. Its error is for listing what
// exists; removals that fail are in the report.
func GC(ctx context.Context, cli client.APIClient) (GCReport, error) {
	return gc(ctx, cli, here())
}

func gc(ctx context.Context, cli client.APIClient, o observer) (GCReport, error) {
	var rep GCReport
	runs, err := listRuns(ctx, cli, o)
	if err != nil {
		return rep, err
	}
	for _, r := range runs {
		if r.Alive {
			rep.Live = append(rep.Live, *r)
			continue
		}
		if err := removeRun(ctx, cli, r.runLabel, r.ID); err != nil {
			rep.Failed = append(rep.Failed, RunFailure{ID: r.ID, Err: err})
			continue
		}
		if r.lock != "" {
			os.Remove(r.lock) // free: its run is dead
		}
		rep.Removed = append(rep.Removed, r.ID)
	}
	return rep, nil
}

// removeRun force-removes every container and network labelled (under
// key) with the run id.
func removeRun(ctx context.Context, cli client.APIClient, key, runID string) error {
	f := filters.NewArgs(filters.Arg("label", key+"="+runID))
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
			errs = append(errs, fmt.Errorf("remove container %s: %w", shortID(c.ID), err))
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

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
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
			return fmt.Errorf("removal in progress for %s: %w", shortID(id), ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
