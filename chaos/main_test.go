package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/internal/labtest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
)

// labBinary is lab, built static as `make build` builds it: it packages
// itself as the workload image.
var labBinary string

func TestMain(m *testing.M) {
	bin, cleanup, err := labtest.Build("lab-chaos")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	labBinary = bin
	code := m.Run()
	cleanup()
	report := cases.report()
	fmt.Println(report)
	code, why := cases.exitCode(code, os.Getenv(noSkipEnv) == "1" || dockertest.Required())
	if why != "" {
		fmt.Println(why)
	}
	// make chaos prints the line again last, after go test's own.
	if path := os.Getenv("LAB_CHAOS_REPORT"); path != "" {
		os.WriteFile(path, []byte(report+"\n"), 0o644)
	}
	os.Exit(code)
}

// noSkipEnv, set by make chaos, makes a skipped case fail the run, as
// LAB_REQUIRE_DOCKER=1 does: a fault case that did not run is not a
// case that passed.
const noSkipEnv = "LAB_CHAOS_NO_SKIP"

// exitCode is the test binary's exit code: code, or 1 when noSkip and a
// case skipped, with the line that says why.
func (c *caseCount) exitCode(code int, noSkip bool) (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if code != 0 || !noSkip {
		return code, ""
	}
	var skipped []string
	for name, st := range c.status {
		if st == "skip" {
			skipped = append(skipped, name)
		}
	}
	if len(skipped) == 0 {
		return code, ""
	}
	sort.Strings(skipped)
	return 1, fmt.Sprintf("chaos: a skipped case fails this run (%s=1 or LAB_REQUIRE_DOCKER=1): %s", noSkipEnv, strings.Join(skipped, ", "))
}

// cases counts the fault cases that ran and passed. Every test or
// subtest that calls faultCase is one, unless subtests of it are: then
// they count, and it counts only if it failed by itself.
var cases caseCount

type caseCount struct {
	mu     sync.Mutex
	status map[string]string // by test name: "pass", "fail" or "skip"
}

func (c *caseCount) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.status))
	for name := range c.status {
		names = append(names, name)
	}
	sort.Strings(names)
	var ran, passed int
	var failed, skipped []string
	for i, name := range names {
		parent := i+1 < len(names) && strings.HasPrefix(names[i+1], name+"/")
		switch st := c.status[name]; {
		case st == "fail" && parent:
			// Its subtests are counted; a failure of its own is one more.
			failedChild := false
			for _, other := range names[i+1:] {
				if strings.HasPrefix(other, name+"/") && c.status[other] == "fail" {
					failedChild = true
				}
			}
			if !failedChild {
				ran++
				failed = append(failed, name)
			}
		case parent:
		case st == "skip":
			skipped = append(skipped, name)
		case st == "fail":
			ran++
			failed = append(failed, name)
		default:
			ran++
			passed++
		}
	}
	s := fmt.Sprintf("chaos: %d fault cases ran, %d passed", ran, passed)
	if len(failed) > 0 {
		s += "; failed: " + strings.Join(failed, ", ")
	}
	if len(skipped) > 0 {
		s += fmt.Sprintf("; %d skipped: %s", len(skipped), strings.Join(skipped, ", "))
	}
	return s
}

// faultCase counts t as a fault case (or its subtests, if they call
// faultCase too).
func faultCase(t *testing.T) {
	t.Cleanup(func() {
		st := "pass"
		switch {
		case t.Skipped():
			st = "skip"
		case t.Failed():
			st = "fail"
		}
		cases.mu.Lock()
		defer cases.mu.Unlock()
		if cases.status == nil {
			cases.status = map[string]string{}
		}
		cases.status[t.Name()] = st
	})
}

type result struct {
	code   int
	stdout string
	stderr string
	took   time.Duration
}

// runLab runs lab to the end (bounded by ctx) with env added to the
// test's environment.
func runLab(t *testing.T, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, labBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run lab %v: %v", args, err)
	}
	return r
}

// proc is lab running in the background.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *labtest.LockedBuffer
	done           chan struct{}
	err            error
}

// startLab starts lab in the background; the test kills it at the end if
// it still runs.
func startLab(t *testing.T, ctx context.Context, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.CommandContext(ctx, labBinary, args...), stdout: &labtest.LockedBuffer{}, stderr: &labtest.LockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitFor waits until lab's stderr contains s, and reports whether it
// did within d (false also when lab exited first).
func (p *proc) waitFor(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !strings.Contains(p.stderr.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-p.done:
			return strings.Contains(p.stderr.String(), s)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// wait waits up to d for lab to exit and returns its exit code, or -1
// when it did not exit in time (it is killed then).
func (p *proc) wait(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		return -1
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// scenario copies testdata/file under a name of its own, so that what its
// runs create (labelled lab.scenario=name) is told apart from what other
// runs on the same daemon create. It returns the copy's path and name.
func scenario(t *testing.T, file string) (path, name string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	name = fmt.Sprintf("chaos-%s-%d", strings.TrimSuffix(file, ".yaml"), time.Now().UnixNano()%1e9)
	data = regexp.MustCompile(`(?m)^name: .*$`).ReplaceAll(data, []byte("name: "+name))
	path = filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever the test found, its runs leave nothing behind (a create
	// in flight when a case cut Docker may complete after lab gc ran).
	t.Cleanup(func() { removeScenario(t, name) })
	return path, name
}

// removeScenario force-removes the containers and networks of the
// scenario's runs, after the test and its processes are done.
func removeScenario(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := local.Connect(ctx)
	if err != nil {
		return // no Docker: nothing of it to remove
	}
	defer cli.Close()
	f := filters.NewArgs(filters.Arg("label", local.LabelScenario+"="+name))
	cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	for _, c := range cs {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("clean-up: remove container %s: %v", c.ID, err)
		}
	}
	ns, _ := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	for _, n := range ns {
		if err := cli.NetworkRemove(ctx, n.ID); err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("clean-up: remove network %s: %v", n.Name, err)
		}
	}
}

// leftovers lists the containers and networks of the scenario's runs
// (label io.ecslab.scenario=name), as "container NAME (run ID)" and "network
// NAME (run ID)".
func leftovers(t *testing.T, cli *client.Client, name string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", local.LabelScenario+"="+name))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("container %s (run %s)", strings.Join(c.Names, ","), c.Labels[local.LabelRun]))
	}
	for _, n := range ns {
		out = append(out, fmt.Sprintf("network %s (run %s)", n.Name, n.Labels[local.LabelRun]))
	}
	sort.Strings(out)
	return out
}

// readSummary reads summary.json from the only results directory under
// out ("" and false when there is none).
func readSummary(t *testing.T, out string) (lab.Summary, string, bool) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) == 0 {
		return lab.Summary{}, "", false
	}
	if len(dirs) != 1 {
		t.Fatalf("results directories: %v", dirs)
	}
	data, err := os.ReadFile(filepath.Join(dirs[0], "summary.json"))
	if err != nil {
		return lab.Summary{}, dirs[0], false
	}
	var s lab.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, data)
	}
	return s, dirs[0], true
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
