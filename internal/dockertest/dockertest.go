// Package dockertest gives integration tests a Docker client, and makes
// sure they never run at the same time as another package's Docker tests:
// CPU figures would interfere, and one test's clean-up would see another's
// containers.
package dockertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/gofrs/flock"

	"github.com/ecslab/lab/internal/dockerhost"
)

// RequireEnv is the variable under which an unreachable Docker fails a
// test instead of skipping it. CI sets it.
const RequireEnv = "LAB_REQUIRE_DOCKER"

// Client returns a Docker client for t, for the daemon lab would use
// (DOCKER_HOST, DOCKER_CONTEXT, the docker CLI's current context), or
// skips t when Docker is not reachable (fails it under LAB_REQUIRE_DOCKER=1). It holds a lock shared
// by every package's Docker tests until the test binary exits.
func Client(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() && !Required() {
		// Under RequireEnv, -short runs them too: CI may not skip.
		t.Skip("Docker test skipped in -short mode")
	}
	var cli *client.Client
	ep, err := dockerhost.Resolve()
	if err == nil {
		cli, err = dockerhost.NewClient(ep)
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = cli.Ping(ctx)
		cancel()
	}
	if err != nil {
		Unavailable(t, "Docker not reachable: %v", err)
	}
	t.Cleanup(func() { cli.Close() })

	lockOnce.Do(func() {
		// Held until the test binary exits: Docker tests of one package
		// run one after another anyway, and other packages wait.
		// The lock stays referenced: a collected *Flock would close its
		// file and so drop the lock.
		lock = flock.New(filepath.Join(os.TempDir(), "lab-docker-tests.lock"))
		lockErr = lock.Lock()
	})
	if lockErr != nil {
		t.Fatalf("lock Docker tests: %v", lockErr)
	}
	return cli
}

// Required says whether integration cases must run (RequireEnv=1).
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Unavailable ends a test that cannot run here, saying why: a skip, but
// under RequireEnv=1 (CI) a failure, so that no case CI counts on is
// quietly left out.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("cannot run here, and %s=1 requires every integration and fault case: %s", RequireEnv, fmt.Sprintf(format, args...))
	}
	t.Skipf(format, args...)
}

var (
	lockOnce sync.Once
	lock     *flock.Flock
	lockErr  error
)
