package chaos

// The fast fault cases: each takes seconds, and they run in `make test`.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/internal/labtest"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/workload"
	"github.com/ecslab/lab/workload/knobs"
)

// dockerProxy stands between lab and the Docker socket, so that a test
// can cut Docker off at a moment of its choosing.
type dockerProxy struct {
	path     string // the proxy's socket
	upstream string // the daemon's socket
	ln       net.Listener

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// startDockerProxy listens on a unix socket in a fresh directory and
// forwards every connection to the daemon's socket (DOCKER_HOST's, or
// the default one).
func startDockerProxy(t *testing.T) *dockerProxy {
	t.Helper()
	upstream := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		p, ok := strings.CutPrefix(h, "unix://")
		if !ok {
			dockertest.Unavailable(t, "DOCKER_HOST=%s is not a unix socket: no proxy in front of it", h)
		}
		upstream = p
	}
	// A short path: unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "labdp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &dockerProxy{path: filepath.Join(dir, "docker.sock"), upstream: upstream}
	if p.ln, err = net.Listen("unix", p.path); err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.cut)
	return p
}

// host is the DOCKER_HOST that points at the proxy.
func (p *dockerProxy) host() string { return "unix://" + p.path }

func (p *dockerProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("unix", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close() }()
		go func() { io.Copy(c, u); c.Close() }()
	}
}

// cut stops the proxy: the socket goes away and every connection through
// it is closed, as when the daemon dies.
func (p *dockerProxy) cut() {
	p.ln.Close()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

var runIDPattern = regexp.MustCompile(`\(run ([a-z0-9]+)\)`)

// runID is the id lab printed for its run.
func runID(t *testing.T, stderr string) string {
	t.Helper()
	m := runIDPattern.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no run id in lab's output:\n%s", stderr)
	}
	return m[1]
}

// Docker going away, at start and in the middle of a run: exit 1 with one
// clear line, what ran written, and `lab gc` cleans up once Docker is
// back.
func TestDockerGoesAway(t *testing.T) {
	faultCase(t)
	t.Run("daemon hangs up at start", func(t *testing.T) {
		faultCase(t)
		// A socket that accepts and closes every connection: not the
		// missing socket of cmd/lab's TestDockerUnreachable, a daemon
		// that dies as lab connects.
		dir, err := os.MkdirTemp("", "labdp")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sock := filepath.Join(dir, "docker.sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out := t.TempDir()
		r := runLab(t, ctx, []string{"DOCKER_HOST=unix://" + sock}, "run", "testdata/fast.yaml", "--headless", "--out", out)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], sock) || !strings.Contains(lines[0], "start Docker") {
			t.Errorf("stderr is not one line naming the socket and what to do:\n%s", r.stderr)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("results directory written for a run that never started: %v", entries)
		}
	})

	// The API cut while the tasks start, during the load, and as the
	// tasks are removed at the end.
	for _, c := range []struct {
		name, after string        // cut after this line of lab's stderr,
		event       events.Action // or this event of the run's containers
		wait        time.Duration
		load        string
		entry       bool // the summary holds the entry, with requests
	}{
		{"API cut during container start", "(run ", "", 100 * time.Millisecond, "20s", false},
		{"API cut during the load", "phase 1", "", 1500 * time.Millisecond, "20s", true},
		{"API cut during teardown", "", events.ActionKill, 0, "2s", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			faultCase(t)
			cli := dockertest.Client(t)
			sc, name := scenario(t, "fast.yaml")
			proxy := startDockerProxy(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var msgs <-chan events.Message
			if c.event != "" {
				msgs, _ = cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
					filters.Arg("type", string(events.ContainerEventType)),
					filters.Arg("label", local.LabelScenario+"="+name),
					filters.Arg("event", string(c.event)))})
			}
			out := t.TempDir()
			p := startLab(t, ctx, []string{"DOCKER_HOST=" + proxy.host()}, "run", sc, "--headless", "--duration", c.load, "--out", out)
			if c.event != "" {
				select {
				case <-msgs:
				case <-time.After(90 * time.Second):
					t.Fatalf("no container %s event; stderr:\n%s", c.event, p.stderr)
				}
			} else if !p.waitFor(c.after, 90*time.Second) {
				t.Fatalf("%q never showed; stderr:\n%s", c.after, p.stderr)
			}
			time.Sleep(c.wait)
			proxy.cut()
			cutAt := time.Now()
			code := p.wait(30 * time.Second)
			took := time.Since(cutAt)
			stderr := p.stderr.String()
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if took > 10*time.Second {
				t.Errorf("lab exited %s after Docker went away, want within 10s", took.Round(time.Millisecond))
			}
			line := lastLine(stderr)
			t.Logf("lab's last line: %s", line)
			if !strings.HasPrefix(line, "lab: ") || !strings.Contains(line, proxy.host()) || !strings.Contains(line, "lab gc") {
				t.Errorf("last line %q does not say that Docker at %s went away and what to do", line, proxy.host())
			}
			if _, after, _ := strings.Cut(stderr, "\nresults: "); strings.Count(strings.TrimSpace(after), "\n") != 1 {
				t.Errorf("want one line after the results directory, the error:\n%s", stderr)
			}
			s, dir, ok := readSummary(t, out)
			if !ok {
				t.Fatalf("no summary.json after Docker went away; results: %q", dir)
			}
			if c.entry && (len(s.Entries) != 1 || s.Entries[0].Requests == 0) {
				t.Errorf("summary has %d entries, want the entry that ran with its requests", len(s.Entries))
			}

			// Docker is back: gc removes what the run could not.
			r := runLab(t, ctx, nil, "gc")
			if r.code != 0 {
				t.Fatalf("lab gc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if left := leftovers(t, cli, name); len(left) > 0 {
				t.Errorf("left after lab gc: %v; lab gc said:\n%s", left, r.stdout)
			}
		})
	}
}

// The results directory cannot be written: lab says so before anything
// starts, and starts nothing.
func TestResultsNotWritable(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	check := func(t *testing.T, out, want string) {
		t.Helper()
		sc, name := scenario(t, "fast.yaml")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r := runLab(t, ctx, nil, "run", sc, "--headless", "--out", out)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
		}
		line := lastLine(r.stderr)
		if !strings.Contains(line, "results directory "+out) || !strings.Contains(line, want) || !strings.Contains(line, "--out") {
			t.Errorf("last line %q does not name the directory, the reason (%s) and --out", line, want)
		}
		if strings.Contains(r.stderr, "preparing the workload image") {
			t.Errorf("lab prepared the image before it checked the results directory:\n%s", r.stderr)
		}
		if left := leftovers(t, cli, name); len(left) > 0 {
			t.Errorf("left: %v", left)
		}
	}

	t.Run("a file in the way", func(t *testing.T) {
		faultCase(t)
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		check(t, filepath.Join(file, "runs"), "not a directory")
	})

	t.Run("read-only", func(t *testing.T) {
		faultCase(t)
		dir := t.TempDir()
		if os.Geteuid() == 0 {
			// root writes through permissions: a read-only mount.
			mountTmpfs(t, dir, "ro,size=64k")
		} else {
			os.Chmod(dir, 0o555)
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
		}
		want := "permission denied"
		if os.Geteuid() == 0 {
			want = "read-only file system"
		}
		check(t, filepath.Join(dir, "runs"), want)
	})
}

// mountTmpfs mounts a tmpfs with options at dir for the test, or skips it
// when this machine does not allow mounts.
func mountTmpfs(t *testing.T, dir, options string) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir).CombinedOutput(); err != nil {
		dockertest.Unavailable(t, "cannot mount a tmpfs here (%v: %s): case not testable on this machine", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// The disk fills up in the middle of a run: lab stops at the first write
// that fails with a clear line, and leaves nothing running. (A write that
// fits in a block the file already has still succeeds on a full disk:
// the first to fail here is summary.json's at the end of entry 1.)
func TestDiskFull(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	if os.Geteuid() != 0 {
		dockertest.Unavailable(t, "needs root to mount a small tmpfs: case not testable as this user")
	}
	out := t.TempDir()
	mountTmpfs(t, out, "size=512k")
	sc, name := scenario(t, "matrix.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := startLab(t, ctx, nil, "run", sc, "--headless", "--out", out)
	if !p.waitFor("phase 1", 90*time.Second) {
		t.Fatalf("the load never started; stderr:\n%s", p.stderr)
	}
	// Fill the disk: a file that takes every block left.
	filler, err := os.Create(filepath.Join(out, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for i := 0; i < 1024; i++ {
		if _, err := filler.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	filler.Close()
	code := p.wait(60 * time.Second)
	stderr := p.stderr.String()
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "entry 2:") {
		t.Errorf("the run went on to entry 2 after results could not be written:\n%s", stderr)
	}
	line := lastLine(stderr)
	if !strings.Contains(line, "write results to "+out) || !strings.Contains(line, "no space left on device") {
		t.Errorf("last line %q does not say that results could not be written to %s because the disk is full", line, out)
	}
	if left := leftovers(t, cli, name); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}

// Workload containers broken from outside: one killed, one paused, one
// whose port stops answering. ECS would replace the first as exited and
// the other two after failed health checks; the run goes on.
func TestWorkloadBrokenFromOutside(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	sc, name := scenario(t, "three.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := t.TempDir()
	p := startLab(t, ctx, nil, "run", sc, "--headless", "--duration", "14s", "--json", "--out", out)
	if !p.waitFor("phase 1", 90*time.Second) {
		t.Fatalf("the load never started; stderr:\n%s", p.stderr)
	}
	id := runID(t, p.stderr.String())
	tasks := runTasks(t, cli, id)
	if len(tasks) != 3 {
		t.Fatalf("run %s has tasks %v, want 3", id, tasks)
	}
	cut := cutPort(t, cli, tasks["t3"], id)
	if err := cli.ContainerKill(ctx, tasks["t1"], "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	if err := cli.ContainerPause(ctx, tasks["t2"]); err != nil {
		t.Fatal(err)
	}
	code := p.wait(90 * time.Second)
	if code != 0 {
		t.Fatalf("exit %d, want 0: the run goes on; stderr:\n%s", code, p.stderr)
	}
	s, dir, ok := readSummary(t, out)
	if !ok || len(s.Entries) != 1 {
		t.Fatalf("summary: %+v", s)
	}
	e := s.Entries[0]
	stopped := map[string]string{}
	healthyAgain := map[string]bool{}
	for _, ev := range labtest.ReadEvents(t, dir) {
		task, _ := ev["task"].(string)
		switch {
		case ev["type"] == "task_stopped" && ev["by_lab"] == nil:
			stopped[task], _ = ev["reason"].(string)
		case ev["type"] == "health_changed" && ev["healthy"] == true && ev["t"].(float64) > 0:
			healthyAgain[task] = true
		}
	}
	t.Run("killed", func(t *testing.T) {
		faultCase(t)
		if got := stopped["t1"]; got != "Essential container in task exited" {
			t.Errorf("killed task t1 stopped with %q, want ECS's exit reason", got)
		}
	})
	t.Run("paused", func(t *testing.T) {
		faultCase(t)
		if got := stopped["t2"]; got != "Task failed ELB health checks" {
			t.Errorf("paused task t2 stopped with %q, want ECS's health-check reason", got)
		}
	})
	t.Run("port closed ("+cut+")", func(t *testing.T) {
		faultCase(t)
		if got := stopped["t3"]; got != "Task failed ELB health checks" {
			t.Errorf("task t3, cut off, stopped with %q, want ECS's health-check reason", got)
		}
	})
	t.Run("replaced, the run goes on", func(t *testing.T) {
		faultCase(t)
		if e.Tasks.Stopped < 3 || e.Tasks.Started != e.Tasks.Stopped+3 {
			t.Errorf("tasks %+v, want the 3 broken ones stopped and every stopped task replaced", e.Tasks)
		}
		if len(healthyAgain) < 3 {
			t.Errorf("tasks that turned healthy during the load: %v, want the 3 replacements", healthyAgain)
		}
		if e.OK == 0 || e.Interrupted {
			t.Errorf("entry %+v, want a completed entry that served requests", e)
		}
		if left := leftovers(t, cli, name); len(left) > 0 {
			t.Errorf("left: %v", left)
		}
	})
}

// runTasks maps the task ids of a run ("t1") to their container ids.
func runTasks(t *testing.T, cli *client.Client, id string) map[string]string {
	t.Helper()
	cs, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", local.LabelRun+"="+id), filters.Arg("label", local.LabelRole+"=task"))})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[c.Labels[local.LabelTask]] = c.ID
	}
	return out
}

// cutPort makes a task's port stop answering from outside the task: a
// firewall rule in its network namespace that resets connections to it
// when nsenter and iptables are at hand, else a disconnect from the run's
// network. It returns what it did.
func cutPort(t *testing.T, cli *client.Client, containerID, runID string) string {
	t.Helper()
	info, err := cli.ContainerInspect(context.Background(), containerID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("nsenter"); err == nil && info.State != nil && info.State.Pid > 0 {
		out, err := exec.Command("nsenter", "-t", strconv.Itoa(info.State.Pid), "-n",
			"iptables", "-I", "INPUT", "-p", "tcp", "--dport", strconv.Itoa(knobs.DefaultPort), "-j", "REJECT", "--reject-with", "tcp-reset").CombinedOutput()
		if err == nil {
			return "connections reset"
		}
		t.Logf("iptables in the task's namespace: %v: %s; disconnecting it instead", err, out)
	}
	if err := cli.NetworkDisconnect(context.Background(), "lab-"+runID, containerID, true); err != nil {
		t.Fatal(err)
	}
	return "network disconnected"
}

// Ports already taken: the host ports Docker would publish the tasks on
// next are held by another process; lab gets others.
func TestPortsTaken(t *testing.T) {
	faultCase(t)
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	image, _, err := workload.EnsureImage(ctx, cli, workload.WithBinary(labBinary))
	if err != nil {
		t.Fatal(err)
	}
	// Docker hands out published ports in order: after the probe's, the
	// next ones. Hold them.
	next := probePort(t, ctx, cli, image)
	var held []net.Listener
	heldPorts := map[string]bool{}
	for port := next + 1; port <= next+10; port++ {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			held = append(held, ln)
			heldPorts[strconv.Itoa(port)] = true
		}
	}
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	if len(held) < 3 {
		dockertest.Unavailable(t, "could hold only %d of the 10 ports after %d: this machine is too busy for the case", len(held), next)
	}
	sc, name := scenario(t, "three.yaml")
	p := startLab(t, ctx, nil, "run", sc, "--headless", "--duration", "2s", "--json", "--out", t.TempDir())
	var published []string
	if p.waitFor("phase 1", 90*time.Second) {
		cs, _ := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", local.LabelRun+"="+runID(t, p.stderr.String())))})
		for _, c := range cs {
			for _, port := range c.Ports {
				published = append(published, strconv.Itoa(int(port.PublicPort)))
			}
		}
	}
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, p.stderr)
	}
	if len(published) != 3 {
		t.Errorf("published ports %v, want 3", published)
	}
	for _, port := range published {
		if heldPorts[port] {
			t.Errorf("a task was published on port %s, which the test holds", port)
		}
	}
	if strings.Contains(p.stderr.String(), "could not start a task") {
		t.Errorf("a task failed to start:\n%s", p.stderr)
	}
	if left := leftovers(t, cli, name); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}

// probePort starts and removes a container that publishes a port as lab's
// tasks do, and returns the port Docker chose.
func probePort(t *testing.T, ctx context.Context, cli *client.Client, image string) int {
	t.Helper()
	port := nat.Port(strconv.Itoa(knobs.DefaultPort) + "/tcp")
	created, err := cli.ContainerCreate(ctx, &container.Config{Image: image, ExposedPorts: nat.PortSet{port: {}}},
		&container.HostConfig{PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}}}, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range info.NetworkSettings.Ports[port] {
		if n, err := strconv.Atoi(b.HostPort); err == nil {
			return n
		}
	}
	t.Fatal("the probe container has no published port")
	return 0
}
