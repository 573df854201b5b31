package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab"
)

// These tests build lab and run it as a user would.

var labBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lab-e2e")
	if err != nil {
		panic(err)
	}
	labBinary = filepath.Join(dir, "lab")
	build := exec.Command("go", "build", "-o", labBinary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code   int
	stdout string
	stderr string
}

func runLab(t *testing.T, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, labBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run lab %v: %v", args, err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func leftovers(t *testing.T, cli *client.Client) []string {
	t.Helper()
	cs, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", "lab.run"))})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, strings.Join(c.Names, ","))
	}
	return names
}

func TestDockerUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := runLab(t, ctx, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "run", "cpu-vertical", "--headless")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line on stderr, got %d:\n%s", len(lines), r.stderr)
	}
	for _, want := range []string{"unix:///nonexistent.sock", "start Docker"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("stderr %q does not mention %q", lines[0], want)
		}
	}
}

func TestRunShortScenario(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	r := runLab(t, ctx, nil, "run", "testdata/short.yaml", "--headless", "--json", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	var s lab.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stdout is not summary.json: %v\n%s", err, r.stdout)
	}
	if len(s.Entries) != 2 {
		t.Fatalf("%d entries, want 2", len(s.Entries))
	}
	for _, e := range s.Entries {
		// 2 workers at 2 req/s for 4 s: 16 requests, the first at t=0.
		if e.Requests < 14 || e.Requests > 18 {
			t.Errorf("entry %s: %d requests, want about 16", e.Label, e.Requests)
		}
		var errs int64
		for _, n := range e.Errors {
			errs += n
		}
		if e.Requests != e.OK+errs {
			t.Errorf("entry %s: requests %d != ok %d + errors %d", e.Label, e.Requests, e.OK, errs)
		}
		if e.CPUUtilization.Avg <= 0 {
			t.Errorf("entry %s: cpu utilization %v, want > 0", e.Label, e.CPUUtilization.Avg)
		}
	}
	if got := s.Entries[1].Tasks.Started; got != 2 {
		t.Errorf("second entry started %d tasks, want 2", got)
	}

	dirs, _ := filepath.Glob(filepath.Join(out, "*-short-*"))
	if len(dirs) != 1 {
		t.Fatalf("results directories: %v", dirs)
	}
	for _, f := range []string{"scenario.yaml", "timeseries.csv", "events.jsonl", "summary.json"} {
		if st, err := os.Stat(filepath.Join(dirs[0], f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	rows, _ := os.ReadFile(filepath.Join(dirs[0], "timeseries.csv"))
	if n := strings.Count(string(rows), "\n"); n < 1+2*4 {
		t.Errorf("timeseries.csv has %d lines, want a header and at least 4 rows per entry", n)
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

func TestInterruptCleansUp(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	cmd := exec.CommandContext(ctx, labBinary, "run", "cpu-vertical", "--headless", "--json", "--out", out)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt in the middle of the first entry's load.
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(stderr.String(), "phase 1") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the load never started; stderr:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	took := time.Since(sent)
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want code 130; stderr:\n%s", err, stderr.String())
	}
	if took > 5*time.Second {
		t.Errorf("lab took %s to exit after SIGINT, want under 5s", took)
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	if len(files) != 1 {
		t.Fatalf("summary.json files: %v", files)
	}
	data, _ := os.ReadFile(files[0])
	var s lab.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || len(s.Entries) != 1 || s.Entries[0].Requests == 0 {
		t.Errorf("summary after interrupt: interrupted=%v entries=%d, want the interrupted first entry with its requests",
			s.Interrupted, len(s.Entries))
	}
}

// lockedBuffer is a bytes.Buffer that a test may read while a process
// writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
