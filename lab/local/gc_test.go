package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/gofrs/flock"
)

// gcDocker is the part of the Docker API gc uses, in memory: containers
// and networks with labels, listed by label filters as the daemon does.
type gcDocker struct {
	client.APIClient
	mu         sync.Mutex
	containers map[string]map[string]string // id -> labels
	networks   map[string]map[string]string
	volumes    map[string]map[string]string
	removeErr  error // every container removal fails with it when set
}

func newGCDocker() *gcDocker {
	return &gcDocker{containers: map[string]map[string]string{}, networks: map[string]map[string]string{}, volumes: map[string]map[string]string{}}
}

func (d *gcDocker) add(id string, labels map[string]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.containers[id] = labels
	d.networks["net-"+id] = labels
}

// matches is the daemon's label filter: every "key" or "key=value" holds.
func matches(f filters.Args, labels map[string]string) bool {
	for _, want := range f.Get("label") {
		k, v, hasValue := strings.Cut(want, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}

func (d *gcDocker) ContainerList(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []container.Summary
	for id, l := range d.containers {
		if matches(o.Filters, l) {
			out = append(out, container.Summary{ID: id, Labels: l, ImageID: "sha256:img-" + id})
		}
	}
	return out, nil
}

func (d *gcDocker) NetworkList(_ context.Context, o network.ListOptions) ([]network.Summary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []network.Summary
	for id, l := range d.networks {
		if matches(o.Filters, l) {
			out = append(out, network.Summary{ID: id, Name: id, Labels: l})
		}
	}
	return out, nil
}

func (d *gcDocker) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.removeErr != nil {
		return d.removeErr
	}
	if _, ok := d.containers[id]; !ok {
		return errdefs.NotFound(fmt.Errorf("no such container: %s", id))
	}
	delete(d.containers, id)
	return nil
}

func (d *gcDocker) NetworkRemove(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.networks, id)
	return nil
}

func (d *gcDocker) VolumeList(_ context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out volume.ListResponse
	for name, l := range d.volumes {
		if matches(o.Filters, l) {
			out.Volumes = append(out.Volumes, &volume.Volume{Name: name, Labels: l})
		}
	}
	return out, nil
}

func (d *gcDocker) VolumeRemove(_ context.Context, name string, _ bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.volumes, name)
	return nil
}

func (d *gcDocker) has(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.containers[id]
	return ok
}

// otherEnvironment is a caller whose HOME and cache directory are not
// the run's, as under sudo or another XDG_CACHE_HOME.
func otherEnvironment(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// A live run's containers stay whatever the caller's HOME or cache
// directory: the proof is in the labels, not in the environment.
func TestGCKeepsALiveRunUnderAnotherEnvironment(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	lock, err := LockRun("live1")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	d := newGCDocker()
	d.add("c1", RunLabels("live1"))
	otherEnvironment(t)
	rep, err := GC(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if !d.has("c1") || len(rep.Removed) > 0 || len(rep.Live) != 1 {
		t.Fatalf("gc under another HOME/XDG_CACHE_HOME: report %+v; the live run's container is there: %v", rep, d.has("c1"))
	}
}

// The process proof follows the real process: alive while it runs, dead
// once it is gone, and that from /proc, for anyone on the host.
func TestProcessProofFollowsTheProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process proof reads /proc")
	}
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	labels := childLabels(t, "kid1", child.Process.Pid)
	o := here()
	if alive, why := o.alive("kid1", labels); !alive {
		t.Fatalf("a running process taken for dead: %s", why)
	}
	o.uid = 0 // as under sudo: root checks another user's run
	if alive, why := o.alive("kid1", labels); !alive {
		t.Fatalf("root took a running process for dead: %s", why)
	}
	child.Process.Kill()
	child.Wait()
	o = here()
	if alive, why := o.alive("kid1", labels); alive {
		t.Fatalf("a process that exited taken for alive: %s", why)
	}
}

// childLabels are the labels a run in process pid would write.
func childLabels(t *testing.T, runID string, pid int) map[string]string {
	t.Helper()
	l := RunLabels(runID)
	start, boot, ns := procIdentity(pid)
	if start == "" {
		t.Fatalf("no /proc identity for process %d", pid)
	}
	l[LabelPID], l[LabelPIDStart], l[LabelBoot], l[LabelPIDNS] = strconv.Itoa(pid), start, boot, ns
	return l
}

// fakeObserver sees a process table of its own: pid -> start time.
func fakeObserver(uid int, procs map[int]string) observer {
	return observer{uid: uid, host: "h1", boot: "11111111-2222-3333-4444-555555555555", pidNS: "pid:[4026531836]",
		start: func(pid int) (string, error) {
			if s, ok := procs[pid]; ok {
				return s, nil
			}
			return "", fmt.Errorf("open /proc/%d/stat: %w", pid, fs.ErrNotExist)
		},
		legacyLock: lockPath,
	}
}

func proofLabels(runID string, uid, pid int, start string) map[string]string {
	return map[string]string{
		LabelRun: runID, LabelOwnerUID: strconv.Itoa(uid), LabelOwnerHost: "h1", LabelPID: strconv.Itoa(pid),
		LabelPIDStart: start, LabelBoot: "11111111-2222-3333-4444-555555555555", LabelPIDNS: "pid:[4026531836]",
	}
}

func TestLiveness(t *testing.T) {
	procs := map[int]string{100: "5000"}
	with := func(l map[string]string, k, v string) map[string]string {
		l[k] = v
		return l
	}
	for _, c := range []struct {
		name   string
		uid    int
		labels map[string]string
		alive  bool
	}{
		{"process running", 1000, proofLabels("r", 1000, 100, "5000"), true},
		{"process running, root checks", 0, proofLabels("r", 1000, 100, "5000"), true},
		{"process gone", 1000, proofLabels("r", 1000, 200, "5000"), false},
		{"process gone, root checks", 0, proofLabels("r", 1000, 200, "5000"), false},
		// hidepid hides other users' processes: cannot tell.
		{"another user's process not visible", 1001, proofLabels("r", 1000, 200, "5000"), true},
		{"pid reused", 1000, proofLabels("r", 1000, 100, "4000"), false},
		{"host restarted", 1000, with(proofLabels("r", 1000, 100, "5000"), LabelBoot, "99999999-2222-3333-4444-555555555555"), false},
		{"another pid namespace", 1000, with(proofLabels("r", 1000, 200, "5000"), LabelPIDNS, "pid:[1]"), true},
		{"another host", 1000, with(proofLabels("r", 1000, 200, "5000"), LabelOwnerHost, "h2"), true},
		{"no proof at all", 1000, map[string]string{LabelRun: "r", LabelOwnerUID: "1000", LabelOwnerHost: "h1", LabelPID: "200"}, true},
		{"lock file not found", 1000, map[string]string{LabelRun: "r", LabelOwnerUID: "1000", LabelOwnerHost: "h1", LabelPID: "200",
			LabelLock: filepath.Join(t.TempDir(), "r.lock")}, true},
		{"a pid that is not a number", 1000, with(proofLabels("r", 1000, 200, "5000"), LabelPID, "1; rm"), true},
		{"a start time that is not a number", 1000, with(proofLabels("r", 1000, 200, "5000"), LabelPIDStart, "x"), true},
		{"lock path outside the run's file", 1000, with(proofLabels("r", 1000, 100, "5000"), LabelLock, "/etc/../etc/passwd"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			alive, why := fakeObserver(c.uid, procs).alive(c.labels[LabelRun], c.labels)
			if alive != c.alive {
				t.Errorf("alive = %v (%s), want %v", alive, why, c.alive)
			}
		})
	}
}

// Without /proc, the lock file decides: held is alive, free is dead,
// missing is "cannot tell", so alive.
func TestLivenessByLockFile(t *testing.T) {
	dir := t.TempDir()
	o := fakeObserver(1000, nil)
	o.boot = "" // an OS without /proc
	labels := func(id string) map[string]string {
		return map[string]string{LabelRun: id, LabelOwnerUID: "1000", LabelOwnerHost: "h1", LabelPID: "200",
			LabelLock: filepath.Join(dir, id+".lock")}
	}
	held := flock.New(filepath.Join(dir, "held.lock"))
	if ok, err := held.TryLock(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	defer held.Unlock()
	// Another open file description of the same file: flock sees it as
	// another holder, as another process would be.
	if alive, why := o.alive("held", labels("held")); !alive {
		t.Errorf("held lock: dead (%s)", why)
	}
	if err := os.WriteFile(filepath.Join(dir, "free.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if alive, why := o.alive("free", labels("free")); alive {
		t.Errorf("free lock: alive (%s)", why)
	}
	if alive, why := o.alive("gone", labels("gone")); !alive {
		t.Errorf("missing lock file: dead (%s)", why)
	}
}

// Runs of older lab versions carry lab.run only: their lock in the
// caller's cache directory decides, and a missing one keeps them.
func TestGCReadsOlderRunsLabels(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	free, err := lockPath("old1")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(free), 0o755)
	if err := os.WriteFile(free, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d := newGCDocker()
	d.add("c-old1", map[string]string{legacyLabelRun: "old1"})
	d.add("c-old2", map[string]string{legacyLabelRun: "old2"}) // no lock file here
	d.add("c-bad", map[string]string{legacyLabelRun: "../../x"})
	rep, err := gc(context.Background(), d, fakeObserver(os.Getuid(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if d.has("c-old1") || !d.has("c-old2") || !d.has("c-bad") {
		t.Errorf("left: old1 %v (want false), old2 %v, bad %v (want true); report %+v", d.has("c-old1"), d.has("c-old2"), d.has("c-bad"), rep)
	}
	if _, err := os.Stat(free); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dead run's lock file is still there: %v", err)
	}
}

// A removal that fails is a failure in the report, not a removed run.
func TestGCReportsRemovalFailures(t *testing.T) {
	d := newGCDocker()
	d.add("c-dead", proofLabels("dead1", 1000, 200, "5000"))
	d.removeErr = errors.New("driver failed programming external connectivity")
	rep, err := gc(context.Background(), d, fakeObserver(1000, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Removed) != 0 || len(rep.Failed) != 1 || rep.Err() == nil ||
		!strings.Contains(rep.Err().Error(), "run dead1: remove container c-dead: driver failed") {
		t.Fatalf("report %+v, err %v: want dead1 failed with the daemon's error", rep, rep.Err())
	}
}

// gc --images keeps what live runs use: the report names their images.
func TestGCReportNamesLiveRunsImages(t *testing.T) {
	d := newGCDocker()
	live := proofLabels("live2", 1000, 100, "5000")
	live[LabelRunImage] = "lab-workload:abc"
	d.add("c-live", live)
	d.add("c-dead", proofLabels("dead2", 1000, 200, "5000"))
	rep, err := gc(context.Background(), d, fakeObserver(1000, map[int]string{100: "5000"}))
	if err != nil {
		t.Fatal(err)
	}
	imgs := rep.LiveImages()
	if !imgs["lab-workload:abc"] || !imgs["sha256:img-c-live"] || imgs["sha256:img-c-dead"] {
		t.Errorf("live images %v: want the live run's label and container image, not the dead run's", imgs)
	}
	if len(rep.Removed) != 1 || rep.Removed[0] != "dead2" {
		t.Errorf("removed %v, want dead2", rep.Removed)
	}
}

// A dead run that left only a volume (it died between removing its
// containers and its volumes) is found and removed; a live one's stays.
func TestGCFindsRunsByTheirVolumes(t *testing.T) {
	d := newGCDocker()
	d.volumes["vol-dead"] = proofLabels("dead3", 1000, 200, "5000")
	d.volumes["vol-live"] = proofLabels("live3", 1000, 100, "5000")
	rep, err := gc(context.Background(), d, fakeObserver(1000, map[int]string{100: "5000"}))
	if err != nil {
		t.Fatal(err)
	}
	_, deadLeft := d.volumes["vol-dead"]
	_, liveLeft := d.volumes["vol-live"]
	if deadLeft || !liveLeft || len(rep.Removed) != 1 || rep.Removed[0] != "dead3" {
		t.Errorf("dead run's volume left %v, live run's %v; removed %v", deadLeft, liveLeft, rep.Removed)
	}
}
