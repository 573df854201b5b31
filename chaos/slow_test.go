//go:build chaos

package chaos

// The slow fault cases, minutes in all: `make chaos`.

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
)

// chaosRand is seeded from LAB_CHAOS_SEED, or the clock; the seed is
// logged so that a failing sequence of moments can be replayed.
func chaosRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LAB_CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LAB_CHAOS_SEED=%s: %v", s, err)
		}
		seed = n
	}
	t.Logf("LAB_CHAOS_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// A moment of a run of testdata/matrix.yaml (two entries of 2 s): the
// line of lab's stderr that opens it, or the Docker event on the run's
// containers that does, and how long it lasts at most.
type moment struct {
	name   string
	opens  *regexp.Regexp
	event  events.Action
	within time.Duration
}

var moments = []moment{
	// The image build: lab packages a binary no image exists for.
	{"image build", regexp.MustCompile(`preparing the workload image`), "", 1500 * time.Millisecond},
	// The network and the first task's container start.
	{"container start", regexp.MustCompile(`\(run [a-z0-9]+\)`), "", 1200 * time.Millisecond},
	// Entry 1's load (2 s).
	{"load", regexp.MustCompile(`entry 1: `), "", 2000 * time.Millisecond},
	// Entry 1's teardown: it opens with the first kill of the run's
	// containers and takes about a hundred milliseconds.
	{"teardown", nil, events.ActionKill, 100 * time.Millisecond},
}

// SIGINT at 10 random moments of a run: every time lab exits 130, nothing
// labelled lab.run is left, and summary.json holds what ran.
func TestInterruptAtRandomMoments(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	rnd := chaosRand(t)
	// Each moment twice, and two more drawn at random, in random order.
	var plan []moment
	for range 2 {
		plan = append(plan, moments...)
	}
	plan = append(plan, moments[rnd.IntN(len(moments))], moments[rnd.IntN(len(moments))])
	rnd.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })

	for i, m := range plan {
		delay := time.Duration(rnd.Int64N(int64(m.within)))
		t.Run(fmt.Sprintf("%02d %s +%dms", i+1, m.name, delay.Milliseconds()), func(t *testing.T) {
			faultCase(t)
			interruptOnce(t, cli, m, delay)
		})
	}
}

func interruptOnce(t *testing.T, cli *client.Client, m moment, delay time.Duration) {
	sc, name := scenario(t, "matrix.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var env []string
	if m.name == "image build" {
		// A binary no image exists for yet: lab builds one.
		bin, hash := uniqueBinary(t)
		env = append(env, workload.EnvWorkloadBinary+"="+bin)
		t.Cleanup(func() { removeImagesOf(t, cli, hash) })
	}
	out := t.TempDir()
	if m.event != "" {
		evCtx, stopEvents := context.WithCancel(ctx)
		defer stopEvents()
		msgs, errs := cli.Events(evCtx, events.ListOptions{Filters: filters.NewArgs(
			filters.Arg("type", string(events.ContainerEventType)),
			filters.Arg("label", local.LabelScenario+"="+name),
			filters.Arg("event", string(m.event)))})
		p := startLab(t, ctx, env, "run", sc, "--headless", "--out", out)
		select {
		case <-msgs:
		case err := <-errs:
			t.Fatalf("Docker events: %v", err)
		case <-p.done:
			t.Fatalf("lab exited before a container %s event; stderr:\n%s", m.event, p.stderr)
		case <-time.After(90 * time.Second):
			t.Fatalf("no container %s event; stderr:\n%s", m.event, p.stderr)
		}
		interruptAt(t, cli, p, name, out, delay)
		return
	}
	p := startLab(t, ctx, env, "run", sc, "--headless", "--out", out)
	if !waitMatch(p, m.opens, 90*time.Second) {
		t.Fatalf("%q never showed; stderr:\n%s", m.opens, p.stderr)
	}
	interruptAt(t, cli, p, name, out, delay)
}

// interruptAt sends SIGINT to lab after delay and checks what it leaves.
func interruptAt(t *testing.T, cli *client.Client, p *proc, name, out string, delay time.Duration) {
	t.Helper()
	time.Sleep(delay)
	shown := p.stderr.String()
	p.cmd.Process.Signal(syscall.SIGINT)
	sent := time.Now()
	code := p.wait(30 * time.Second)
	took := time.Since(sent)
	stderr := p.stderr.String()
	t.Logf("interrupted after %q (%s later), exited in %s", lastLine(shown), delay.Round(time.Millisecond), took.Round(time.Millisecond))
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr:\n%s", code, stderr)
	}
	if took > 8*time.Second {
		t.Errorf("lab took %s to exit after SIGINT", took.Round(time.Millisecond))
	}
	if left := leftovers(t, cli, name); len(left) > 0 {
		t.Errorf("left behind: %v\nstderr:\n%s", left, stderr)
	}
	s, dir, ok := readSummary(t, out)
	started := runIDPattern.MatchString(shown)
	switch {
	case ok:
		if !s.Interrupted {
			t.Errorf("summary.json in %s does not say interrupted", dir)
		}
		for _, e := range s.Entries {
			if e.LoadSeconds > 0 && e.Requests == 0 {
				t.Errorf("entry %s: %.1fs of load and no request in summary.json", e.Label, e.LoadSeconds)
			}
		}
	case started || dir != "":
		// The run had started (or its results directory exists): what
		// ran must be written.
		t.Errorf("no summary.json for a run that started (results %q); stderr:\n%s", dir, stderr)
	}
}

// uniqueBinary copies lab's binary with a few random bytes appended: an
// executable no workload image exists for. It returns the copy and its
// image hash label.
func uniqueBinary(t *testing.T) (path, hash string) {
	t.Helper()
	data, err := os.ReadFile(labBinary)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte(fmt.Sprintf("chaos-%d", time.Now().UnixNano()))...)
	path = filepath.Join(t.TempDir(), "lab")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf("%x", sha256.Sum256(data))
}

// removeImagesOf removes the workload image of the binary whose SHA-256
// is hash, if one was built.
func removeImagesOf(t *testing.T, cli *client.Client, hash string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	imgs, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", workload.HashLabel+"="+hash))})
	if err != nil {
		t.Errorf("list images: %v", err)
		return
	}
	for _, img := range imgs {
		if _, err := cli.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
			t.Errorf("remove image %s: %v", img.ID, err)
		}
	}
}

// SIGKILL mid-run leaves the run's containers and network; the next run
// says so before it starts; `lab gc` removes them and leaves the live
// run alone.
func TestKillThenGC(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	rnd := chaosRand(t)
	for _, m := range []moment{moments[1], moments[2]} {
		delay := time.Duration(rnd.Int64N(int64(m.within)))
		t.Run(fmt.Sprintf("SIGKILL during %s +%dms", m.name, delay.Milliseconds()), func(t *testing.T) {
			faultCase(t)
			killThenGC(t, cli, m, delay)
		})
	}
}

func killThenGC(t *testing.T, cli *client.Client, m moment, delay time.Duration) {
	sc, name := scenario(t, "matrix.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	longRun := []string{"run", sc, "--headless", "--duration", "60s", "--out", out}

	dead := startLab(t, ctx, nil, longRun...)
	if !waitMatch(dead, m.opens, 90*time.Second) {
		t.Fatalf("%q never showed; stderr:\n%s", m.opens, dead.stderr)
	}
	time.Sleep(delay)
	dead.cmd.Process.Kill()
	dead.wait(10 * time.Second)
	deadID := runID(t, dead.stderr.String())
	left := leftovers(t, cli, name)
	if len(left) == 0 {
		t.Fatalf("the killed run %s left nothing: SIGKILL came too late or lab cleaned up without a chance to", deadID)
	}

	live := startLab(t, ctx, nil, longRun...)
	if !live.waitFor("phase 1", 90*time.Second) {
		t.Fatalf("the second run's load never started; stderr:\n%s", live.stderr)
	}
	liveErr := live.stderr.String()
	warn := strings.Index(liveErr, "left containers behind")
	if warn < 0 || !strings.Contains(liveErr[:strings.Index(liveErr, "\n")+1], deadID) || warn > strings.Index(liveErr, "(run ") {
		t.Errorf("the next run did not name the killed run %s's leftovers before it started; stderr:\n%s", deadID, liveErr)
	}
	liveID := runID(t, liveErr)

	r := runLab(t, ctx, nil, "gc")
	if r.code != 0 || !strings.Contains(r.stdout, "removed run "+deadID) {
		t.Fatalf("lab gc: exit %d, want 0 and the killed run %s named\n%s%s", r.code, deadID, r.stdout, r.stderr)
	}
	var liveLeft []string
	for _, s := range leftovers(t, cli, name) {
		if !strings.Contains(s, "(run "+liveID+")") {
			t.Errorf("left after lab gc: %s", s)
		} else {
			liveLeft = append(liveLeft, s)
		}
	}
	if len(liveLeft) < 2 {
		t.Errorf("lab gc touched the live run %s: it has %v, want its container and network", liveID, liveLeft)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		if _, err := os.Stat(filepath.Join(cache, "lab", "runs", deadID+".lock")); !os.IsNotExist(err) {
			t.Errorf("the killed run's lock file is still there after lab gc (%v)", err)
		}
	}

	live.cmd.Process.Signal(syscall.SIGINT)
	if code := live.wait(30 * time.Second); code != 130 {
		t.Errorf("the live run exited %d after SIGINT, want 130", code)
	}
	if left := leftovers(t, cli, name); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// waitMatch waits until lab's stderr matches re.
func waitMatch(p *proc, re *regexp.Regexp, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !re.MatchString(p.stderr.String()) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-p.done:
			return re.MatchString(p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

// 20 runs in a row in one process, as the TUI's `r` does them: no growth
// in containers, networks, goroutines or file descriptors.
func TestTwentyRunsInARow(t *testing.T) {
	faultCase(t)
	check := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cli, err := local.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	img, _, err := workload.EnsureImage(ctx, cli, workload.WithBinary(labBinary))
	if err != nil {
		t.Fatal(err)
	}
	path, name := scenario(t, "fast.yaml")
	sc, err := scenarios.Resolve(path)
	if err != nil {
		t.Fatal(err)
	}
	sc = sc.WithLoadDuration(time.Second)
	out := t.TempDir()

	prefix := fmt.Sprintf("%c%c", 'a'+rand.IntN(26), 'a'+rand.IntN(26))
	runOnce := func(i int) {
		t.Helper()
		id := fmt.Sprintf("%s%02d", prefix, i)
		lock, err := local.LockRun(id)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Release()
		target, err := local.New(ctx, cli, local.Config{RunID: id, Scenario: sc, Image: img, Port: scenarios.BuiltinPort})
		if err != nil {
			t.Fatal(err)
		}
		writer, err := report.NewWriter(filepath.Join(out, id))
		if err != nil {
			t.Fatal(err)
		}
		s, err := lab.Run(ctx, sc, target, lab.Options{ID: id, Observers: []lab.Observer{writer}})
		if err != nil || writer.Err() != nil {
			t.Fatalf("run %d: %v, %v", i, err, writer.Err())
		}
		if len(s.Entries) != 1 || s.Entries[0].Requests == 0 {
			t.Fatalf("run %d: summary %+v", i, s)
		}
		if _, err := report.WriteHTML(filepath.Join(out, id), report.Options{}); err != nil {
			t.Fatalf("run %d: report: %v", i, err)
		}
		if left := leftovers(t, check, name); len(left) > 0 {
			t.Fatalf("after run %d: left %v", i, left)
		}
	}

	// The first run warms up what lives as long as the process (the
	// client's connections, the runtime's timers); it is the baseline.
	runOnce(1)
	g0, f0 := settle(0, 0, time.Second)
	t.Logf("after run 1: %d goroutines, %d file descriptors", g0, f0)
	for i := 2; i <= 20; i++ {
		runOnce(i)
		g, f := settle(g0, f0, 0)
		t.Logf("after run %d: %d goroutines, %d file descriptors", i, g, f)
	}
	if cache, err := os.UserCacheDir(); err == nil {
		if locks, _ := filepath.Glob(filepath.Join(cache, "lab", "runs", prefix+"*.lock")); len(locks) > 0 {
			t.Errorf("run lock files left: %v", locks)
		}
	}
	g, f := settle(g0, f0, 10*time.Second)
	if g > g0 || f > f0 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("after 20 runs: %d goroutines (run 1: %d), %d file descriptors (run 1: %d)\n%s\n%s", g, g0, f, f0, openFiles(), buf)
	}
}

// settle waits up to d for the goroutines and file descriptors to come
// down to at most g0 and f0, and returns them.
func settle(g0, f0 int, d time.Duration) (goroutines, fds int) {
	deadline := time.Now().Add(d)
	for {
		goroutines, fds = runtime.NumGoroutine(), countFDs()
		if (goroutines <= g0 && fds <= f0) || time.Now().After(deadline) {
			return goroutines, fds
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

func openFiles() string {
	entries, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		out = append(out, e.Name()+" -> "+target)
	}
	return strings.Join(out, "\n")
}
