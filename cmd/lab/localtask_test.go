package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecslab/lab/scenarios"
)

// The secrets of a task definition's containers are resolved for a local
// run as the scenario's are: an ARN needs --secret, which may name them.
func TestTaskDefinitionSecretsAreResolved(t *testing.T) {
	dir := t.TempDir()
	def := `{"family": "api", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "api:1", "essential": true,
    "portMappings": [{"containerPort": 8080}],
    "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "td.json"), []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("name: api\nworkload: {task_definition: td.json}\nservice: {count: 1}\nload: {path: /, phases: [{duration: 1s, rate: 1}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secretValues(sc, nil); err == nil || !strings.Contains(err.Error(), "--secret DB_PASSWORD") {
		t.Errorf("without --secret: %v, want the flag named", err)
	}
	t.Setenv("LAB_TEST_DB_PASSWORD", "s3cret")
	values, err := secretValues(sc, []string{"DB_PASSWORD=env:LAB_TEST_DB_PASSWORD"})
	if err != nil || values["DB_PASSWORD"] != "s3cret" {
		t.Errorf("with --secret: %v, %v", values, err)
	}
}
