package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
)

// With --task-role, a task definition's container gets the developer's
// credentials from its task's agent (the workload answers 500 unless the
// secret key it reads is the one planted in the environment), and the
// secret is nowhere else: not on stdout or stderr, not in the dry-run,
// not in any file of the results.
func TestTaskRoleCredentialsReachTheTaskAndNothingElse(t *testing.T) {
	cli := dockertest.Client(t)
	const image = "lab-test-credcheck:taskrole"
	dockertest.ProgramImage(t, cli, image, "./testdata/credcheck")
	planted := fmt.Sprintf("PLANTED-SECRET-taskrole-%d", time.Now().UnixNano())
	sum := sha256.Sum256([]byte(planted))
	dir := t.TempDir()
	def := fmt.Sprintf(`{"family": "credcheck", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": %q, "essential": true,
    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
    "environment": [{"name": "PORT", "value": "8080"}], "command": [%q]}]}`, image, hex.EncodeToString(sum[:]))
	scenario := `name: taskrole
workload: {task_definition: credcheck.json}
service: {count: 1}
load:
  path: /
  phases: [{duration: 3s, rate: 4}]
thresholds: ["error_rate == 0%"]
`
	for name, body := range map[string]string{"credcheck.json": def, "taskrole.yaml": scenario} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"AWS_ACCESS_KEY_ID=AKIATASKROLETEST", "AWS_SECRET_ACCESS_KEY=" + planted, "AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	run := runLab(t, ctx, env, "run", filepath.Join(dir, "taskrole.yaml"), "--headless", "--task-role", "--out", out)
	if run.code != 0 {
		t.Fatalf("run: exit %d (3: the container did not get the credentials); stderr:\n%s", run.code, run.stderr)
	}
	if !strings.Contains(run.stderr, "the tasks get AWS credentials") {
		t.Errorf("the run does not say the tasks get credentials:\n%s", run.stderr)
	}
	dry := runLab(t, ctx, env, "run", filepath.Join(dir, "taskrole.yaml"), "--task-role", "--dry-run")
	outputs := map[string]string{"stdout": run.stdout, "stderr": run.stderr, "dry-run": dry.stdout + dry.stderr}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
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
	if len(outputs) < 6 {
		t.Fatalf("%d outputs, want the results directory's files too", len(outputs))
	}
	for where, text := range outputs {
		if strings.Contains(text, planted) {
			t.Errorf("%s holds the secret key", where)
		}
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}
