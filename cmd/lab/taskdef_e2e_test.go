package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/internal/labtest"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/workload"
)

// The memory-leak experiment on a task definition of two containers,
// as a user runs it: the app (lab's built-in app, leaking 32 MiB per
// /memory_leak request, 8 a second) has no memory limit of its own,
// beside a sidecar that holds 160 MiB (its memoryReservation) once it
// has checked its two secrets. The task is OOM-killed at its envelope,
// the sum: the app dies well below the task's 512 MiB, and the stop
// names it. The secrets (one an ARN given with --secret, one the
// scenario's own file) reach the sidecar, which holds nothing and exits
// unless their values are right, and are in no file of the results, nor
// on stdout or stderr.
func TestLeakBesideASidecarIsKilledAtTheTaskEnvelope(t *testing.T) {
	cli := dockertest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wl, wlEnv := workloadImage(t, ctx, cli)
	const busybox = "lab-test-busybox:leak"
	dockertest.BusyboxImage(t, cli, busybox)

	stamp := time.Now().UnixNano()
	planted := map[string]string{
		"TOKEN":       fmt.Sprintf("planted-token-%d", stamp),
		"DB_PASSWORD": fmt.Sprintf("planted-db-password-%d", stamp),
	}
	var checks []string
	for _, name := range []string{"TOKEN", "DB_PASSWORD"} {
		sum := sha256.Sum256([]byte(planted[name]))
		checks = append(checks, fmt.Sprintf(`[ "$(printf %%s "$%s" | sha256sum)" = "%s  -" ] || { echo %s is wrong; exit 1; }`, name, hex.EncodeToString(sum[:]), name))
	}
	// dd reads 160 MiB into its buffer and blocks writing it to a pipe
	// nobody reads: resident for as long as the task lives.
	sidecar := strings.Join(checks, "; ") + "; dd if=/dev/zero bs=160M count=1 2>/dev/null | sleep 3600"
	cmd, _ := json.Marshal([]string{"sh", "-c", sidecar})
	def := fmt.Sprintf(`{"family": "leaky", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "containerDefinitions": [
    {"name": "app", "image": %q, "essential": true,
     "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
     "environment": [{"name": "PORT", "value": "8080"}, {"name": "LEAK_PER_REQUEST", "value": "32MiB"}, {"name": "CPU_WORK", "value": "1ms"}]},
    {"name": "sidecar", "image": %q, "essential": true, "memoryReservation": 160,
     "command": %s,
     "linuxParameters": {"initProcessEnabled": true},
     "secrets": [
       {"name": "TOKEN", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lab-test-token-AbCdEf"},
       {"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lab-test-db-AbCdEf"}]}
  ]}`, wl, busybox, cmd)
	scenario := `name: leaky
workload: {task_definition: leaky.json}
service: {count: 1}
load:
  path: /memory_leak
  phases: [{duration: 10s, workers: 8, worker_rate: 1}]
secrets:
  - {name: DB_PASSWORD, value_from: file:db-password}
`
	dir := t.TempDir()
	for name, body := range map[string]string{"leaky.json": def, "leaky.yaml": scenario, "db-password": planted["DB_PASSWORD"] + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	env := append(wlEnv, "LAB_TEST_TOKEN="+planted["TOKEN"])
	r := runLab(t, ctx, env, "run", filepath.Join(dir, "leaky.yaml"), "--headless", "--json", "--out", out, "--secret", "TOKEN=env:LAB_TEST_TOKEN")
	if r.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", r.code, r.stderr)
	}
	var s lab.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stdout is not summary.json: %v\n%s", err, r.stdout)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("results directories: %v", dirs)
	}
	if s.Platform == nil || s.Platform.Envelope != lab.EnvelopeTask {
		t.Fatalf("summary platform %+v, want envelope %q: this machine makes task envelopes", s.Platform, lab.EnvelopeTask)
	}
	e := s.Entries[0]
	if e.Tasks.Stopped < 1 || e.Tasks.StoppedReasons[lab.StopReasonOOM] != e.Tasks.Stopped {
		t.Errorf("summary tasks %+v, want OOM kills only (a sidecar that exits: its secrets did not reach it)", e.Tasks)
	}
	// Replaced: a kill in the last seconds may end the entry before its
	// replacement starts.
	if e.Tasks.Started < 2 || e.Tasks.Started < e.Tasks.Stopped {
		t.Errorf("summary tasks %+v, want the killed tasks replaced", e.Tasks)
	}
	kills := 0
	events := labtest.ReadEvents(t, dirs[0])
	t.Cleanup(func() {
		if t.Failed() {
			for _, ev := range events {
				t.Log(ev)
			}
		}
	})
	for _, ev := range events {
		if ev["type"] != "task_stopped" || ev["by_lab"] != nil {
			continue
		}
		kills++
		if ev["reason"] != lab.StopReasonOOM || ev["container"] != "app" || ev["oom"] != true || ev["exit_code"] != 137.0 {
			t.Errorf("task_stopped %v, want %q naming app, oom true, exit code 137", ev, lab.StopReasonOOM)
		}
	}
	if kills == 0 {
		t.Error("no task_stopped event of a kill in events.jsonl")
	}

	// containers.csv: both containers, the sidecar holding its 160 MiB,
	// the app never near the task's 512 MiB: it died at the sum.
	peak := map[string]float64{}
	f, err := os.Open(filepath.Join(dirs[0], report.ContainersFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("containers.csv: %d rows (%v)", len(rows), err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, row := range rows[1:] {
		mem, _ := strconv.ParseFloat(row[col["mem_mib"]], 64)
		name := row[col["container"]]
		peak[name] = max(peak[name], mem)
	}
	if len(peak) != 2 || peak["sidecar"] < 150 || peak["app"] == 0 || peak["app"] > 512-150 {
		t.Errorf("containers.csv peaks %v MiB, want app and sidecar, the sidecar at 160 and the app under %d", peak, 512-150)
	}
	t.Logf("kills %d, peaks %v MiB", kills, peak)

	outputs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	err = filepath.WalkDir(dirs[0], func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		outputs[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range outputs {
		for name, value := range planted {
			if strings.Contains(text, value) {
				t.Errorf("%s holds the value of %s", where, name)
			}
		}
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

// workloadImage is lab's workload image, built from the program lab
// itself will package (the environment returned makes the runs use that
// program: the image is then the run's own, and not removed as stale).
func workloadImage(t *testing.T, ctx context.Context, cli workload.ImageAPI) (string, []string) {
	t.Helper()
	p, err := workload.DaemonPlatform(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	// The test binary is package main of cmd/lab, but not lab: it
	// cannot serve the app. The program is then the one built from the
	// checkout, as a cgo-built lab finds it (or LAB_WORKLOAD_BINARY's).
	f, err := workload.NewFinder(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f.IsLab = false
	bin, err := f.Find(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := workload.EnsureImage(ctx, cli, workload.WithBinary(bin.Path), workload.WithKeepStale())
	if err != nil {
		t.Fatal(err)
	}
	return img, []string{workload.EnvWorkloadBinary + "=" + bin.Path}
}
