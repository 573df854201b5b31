package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockertest"
)

// TestDoctorFindsTheDaemonThroughTheCurrentContext runs lab doctor with a
// HOME whose docker CLI configuration makes a context pointing at this
// machine's daemon the current one, as Docker Desktop, OrbStack and
// colima do with theirs, and no DOCKER_HOST.
func TestDoctorFindsTheDaemonThroughTheCurrentContext(t *testing.T) {
	host := dockertest.Client(t).DaemonHost()
	home := t.TempDir()
	sum := sha256.Sum256([]byte("lab-e2e"))
	writeFile(t, filepath.Join(home, ".docker", "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json"),
		`{"Name":"lab-e2e","Metadata":{},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":false}}}`)
	writeFile(t, filepath.Join(home, ".docker", "config.json"), `{"currentContext": "lab-e2e"}`)
	// The go command needs its caches where they were, not in the new HOME.
	env := []string{"HOME=" + home, "DOCKER_HOST=", "DOCKER_CONTEXT=", "DOCKER_CONFIG=",
		"GOCACHE=" + goEnv(t, "GOCACHE"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"), "GOPATH=" + goEnv(t, "GOPATH")}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := runLab(t, ctx, env, "doctor")
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"ok    endpoint  " + host + " (context lab-e2e, currentContext in " + filepath.Join(home, ".docker", "config.json") + ")",
		"ok    daemon    Docker ",
		"    network   container address answers, published port answers",
		"    envelope  ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab doctor does not say %q:\n%s", want, r.stdout)
		}
	}
	if left := leftovers(t, dockertest.Client(t)); len(left) > 0 {
		t.Errorf("containers left behind: %v", left)
	}
}

func TestDoctorFailsWithTheFix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := runLab(t, ctx, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "doctor")
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1; stdout:\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"FAIL  daemon    not answering", "cannot reach Docker at unix:///nonexistent.sock (DOCKER_HOST): start Docker"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lab doctor does not say %q:\n%s", want, r.stdout)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goEnv is the go command's value of a variable.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
