package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/taskdef"
)

func TestTaskRoleFlag(t *testing.T) {
	sc := &scenarios.Scenario{Name: "t"}
	got, err := withTaskRole(sc, "use-my-credentials", "local")
	if err != nil || got.TaskRole != scenarios.TaskRoleUseMine || sc.TaskRole != "" {
		t.Errorf("--task-role: %v, %q (the scenario given stays as it was: %q)", err, got.TaskRole, sc.TaskRole)
	}
	if _, err := withTaskRole(sc, "assume", "ecs"); err == nil || !strings.Contains(err.Error(), "local runs") {
		t.Errorf("--task-role on ECS: %v", err)
	}
	if _, err := withTaskRole(sc, "mine", "local"); err == nil {
		t.Error("--task-role mine accepted")
	}
	cmd := newRunCommand()
	if err := cmd.Flags().Parse([]string{"--task-role"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := cmd.Flags().GetString("task-role"); v != scenarios.TaskRoleUseMine {
		t.Errorf("--task-role alone = %q, want use-my-credentials", v)
	}
}

// The developer's credentials are fetched at the start and announced
// for people, by whose they are, never by value; the dry-run names the
// mode only.
func TestTaskRoleNeverPrintsCredentials(t *testing.T) {
	const planted = "PLANTED-SECRET-taskrole-4242"
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAPLANTED")
	t.Setenv("AWS_SECRET_ACCESS_KEY", planted)
	t.Setenv("AWS_SESSION_TOKEN", "token-"+planted)
	t.Setenv("AWS_REGION", "us-east-1")
	sc, err := scenarios.Load(filepath.Join("..", "..", "scenarios", "testdata", "valid", "task-definition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.TaskRole = scenarios.TaskRoleUseMine
	var stderr bytes.Buffer
	if _, err := taskRoleSource(&scenarios.Scenario{Name: "t", TaskRole: scenarios.TaskRoleUseMine}, "ab12", "local", &stderr); err == nil || !strings.Contains(err.Error(), "task_definition") {
		t.Errorf("a task role for a single container: %v", err)
	}
	src, err := taskRoleSource(sc, "ab12", "local", &stderr)
	if err != nil || src == nil {
		t.Fatalf("taskRoleSource: %v", err)
	}
	var plan bytes.Buffer
	if err := local.PrintPlan(&plan, sc); err != nil {
		t.Fatal(err)
	}
	for where, text := range map[string]string{"stderr": stderr.String(), "dry-run": plan.String()} {
		if strings.Contains(text, planted) || strings.Contains(text, "AKIAPLANTED") {
			t.Errorf("%s holds a credential:\n%s", where, text)
		}
		if !strings.Contains(text, "task role") && !strings.Contains(text, "credentials") {
			t.Errorf("%s does not say the tasks get credentials:\n%s", where, text)
		}
	}
	if none, err := taskRoleSource(&scenarios.Scenario{Name: "t"}, "ab12", "local", &stderr); none != nil || err != nil {
		t.Errorf("no task role: %v, %v", none, err)
	}
	stderr.Reset()
	if none, err := taskRoleSource(sc, "ab12", "ecs", &stderr); none != nil || err != nil || !strings.Contains(stderr.String(), "for local runs") {
		t.Errorf("on ECS: %v, %v, said %q", none, err, stderr.String())
	}
}

func TestAssumeTakesTheDefinitionsRole(t *testing.T) {
	sc := &scenarios.Scenario{Workload: scenarios.Workload{TaskDefinition: "web.json", Definition: &taskdef.Definition{TaskRoleARN: "arn:aws:iam::123456789012:role/web"}}}
	if got := taskRoleARN(sc); got != "arn:aws:iam::123456789012:role/web" {
		t.Errorf("taskRoleARN = %q", got)
	}
	if got := taskRoleARN(&scenarios.Scenario{}); got != "" {
		t.Errorf("taskRoleARN without a definition = %q", got)
	}
}
