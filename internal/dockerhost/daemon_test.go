package dockerhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/internal/dockertest"
)

// TestContextPointingAtThisMachinesDaemon writes a context store in a
// temporary HOME whose current context points at the daemon the tests
// use, as `docker context create` and `docker context use` would, and
// talks to that daemon through it.
func TestContextPointingAtThisMachinesDaemon(t *testing.T) {
	host := dockertest.Client(t).DaemonHost()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{dockerhost.EnvHost, dockerhost.EnvContext, dockerhost.EnvConfig} {
		t.Setenv(v, "")
	}
	sum := sha256.Sum256([]byte("lab-test"))
	meta := filepath.Join(home, ".docker", "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	write(t, meta, `{"Name":"lab-test","Metadata":{},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":false}}}`)
	write(t, filepath.Join(home, ".docker", "config.json"), `{"currentContext":"lab-test"}`)

	ep, err := dockerhost.Resolve()
	if err != nil || ep.Host != host || ep.Context != "lab-test" {
		t.Fatalf("Resolve = %+v, %v; want context lab-test at %s", ep, err, host)
	}
	cli, err := dockerhost.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if v, err := cli.ServerVersion(ctx); err != nil || v.Version == "" {
		t.Fatalf("the daemon through the context: %+v, %v", v, err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
