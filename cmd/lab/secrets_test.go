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

// A run never writes a value of workload.env, matrix env, request headers
// or secrets: not in any file of its results, not on stdout or stderr,
// not in either dry-run. The workload (a program that answers 500 unless
// its variables hold the values wanted) proves the values reach the
// tasks all the same.
func TestSecretsNeverWritten(t *testing.T) {
	cli := dockertest.Client(t)
	const image = "lab-test-envcheck:secrets"
	dockertest.ProgramImage(t, cli, image, "./testdata/envcheck")

	stamp := time.Now().UnixNano()
	planted := map[string]string{}
	for _, name := range []string{"PLANTED_ENV", "PLANTED_MATRIX", "HEADER", "S_ENV", "S_FILE", "S_ARN"} {
		planted[name] = fmt.Sprintf("planted-%s-%d", strings.ToLower(name), stamp)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(planted["S_FILE"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, name := range []string{"PLANTED_ENV", "PLANTED_MATRIX", "S_ENV", "S_FILE", "S_ARN"} {
		sum := sha256.Sum256([]byte(planted[name]))
		args = append(args, fmt.Sprintf("%q", name+"="+hex.EncodeToString(sum[:])))
	}
	scenario := filepath.Join(dir, "secrets.yaml")
	src := fmt.Sprintf(`name: secrets
workload:
  image: %s
  port: 8080
  command: [%s]
  env: {PLANTED_ENV: %s}
service: {cpu: 256, memory: 512}
load:
  requests: [{path: /, headers: {X-Api-Key: %s}}]
  phases: [{duration: 3s, rate: 4}]
matrix:
  - {label: only, env: {PLANTED_MATRIX: %s}}
secrets:
  - {name: S_ENV, value_from: env:LAB_TEST_S_ENV}
  - {name: S_FILE, value_from: file:token}
  - {name: S_ARN, value_from: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lab-test-AbCdEf"}
thresholds: ["error_rate == 0%%"]
`, image, strings.Join(args, ", "), planted["PLANTED_ENV"], planted["HEADER"], planted["PLANTED_MATRIX"])
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"LAB_TEST_S_ENV=" + planted["S_ENV"], "LAB_TEST_S_ARN=" + planted["S_ARN"]}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Without --secret, the secret ECS would read is missing: the error
	// names the flag.
	r := runLab(t, ctx, env, "run", scenario, "--headless", "--out", t.TempDir())
	if r.code != 2 || !strings.Contains(r.stderr, "--secret S_ARN=env:VAR") {
		t.Fatalf("without --secret: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	out := t.TempDir()
	outputs := map[string]string{}
	run := runLab(t, ctx, env, "run", scenario, "--headless", "--out", out, "--secret", "S_ARN=env:LAB_TEST_S_ARN")
	if run.code != 0 {
		t.Fatalf("run: exit %d (3: the workload did not get its values); stderr:\n%s", run.code, run.stderr)
	}
	outputs["run stdout"], outputs["run stderr"] = run.stdout, run.stderr
	jsonRun := runLab(t, ctx, env, "run", scenario, "--headless", "--json", "--out", out, "--secret", "S_ARN=env:LAB_TEST_S_ARN")
	outputs["--json stdout"], outputs["--json stderr"] = jsonRun.stdout, jsonRun.stderr
	dry := runLab(t, ctx, env, "run", scenario, "--dry-run")
	if dry.code != 0 {
		t.Errorf("local dry-run: exit %d\n%s", dry.code, dry.stderr)
	}
	outputs["local dry-run"] = dry.stdout + dry.stderr
	ecsDry := runLab(t, ctx, env, "run", scenario, "--target", "ecs", "--dry-run")
	if ecsDry.code != 2 || !strings.Contains(ecsDry.stderr, "secret S_ENV comes from env:LAB_TEST_S_ENV") {
		t.Errorf("ECS dry-run: exit %d, want 2 and the error about S_ENV; stderr:\n%s", ecsDry.code, ecsDry.stderr)
	}
	outputs["ECS dry-run"] = ecsDry.stdout + ecsDry.stderr
	validate := runLab(t, ctx, env, "validate", scenario)
	outputs["validate"] = validate.stdout + validate.stderr

	files := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		outputs[path] = string(data)
		files++
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2*5 {
		t.Fatalf("%d files under %s, want the results of two runs", files, out)
	}
	for where, text := range outputs {
		for name, value := range planted {
			if strings.Contains(text, value) {
				t.Errorf("%s holds the value of %s", where, name)
			}
		}
	}
	scenarioCopy, _ := filepath.Glob(filepath.Join(out, "*", "scenario.yaml"))
	if len(scenarioCopy) == 0 || !strings.Contains(outputs[scenarioCopy[0]], "PLANTED_ENV: <redacted>") {
		t.Errorf("scenario.yaml does not keep PLANTED_ENV's name with its value redacted")
	}
	if left := leftovers(t, cli); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}
