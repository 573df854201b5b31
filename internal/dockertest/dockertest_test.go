package dockertest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gofrs/flock"
)

// The lock holds until the test binary exits, through garbage
// collections: another package's Docker tests cannot take it meanwhile.
func TestClientHoldsTheLock(t *testing.T) {
	Client(t)
	runtime.GC()
	runtime.GC()
	other := flock.New(filepath.Join(os.TempDir(), "lab-docker-tests.lock"))
	ok, err := other.TryLock()
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		other.Unlock()
		t.Fatal("another holder could take the Docker tests' lock while this test binary holds it")
	}
}

// recorder is a testing.TB that records how a helper ended the test;
// Skipf and Fatalf end the goroutine as the testing package's do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()        {}
func (r *recorder) Cleanup(func()) {}
func (r *recorder) Skipf(f string, a ...any) {
	r.skipped = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recorder) Skip(a ...any) {
	r.skipped = fmt.Sprint(a...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.failed = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

// ending runs f with a recorder and says how it ended the test.
func ending(t *testing.T, f func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// short sets -short for the test.
func short(t *testing.T, on bool) {
	old := flag.Lookup("test.short").Value.String()
	flag.Set("test.short", strconv.FormatBool(on))
	t.Cleanup(func() { flag.Set("test.short", old) })
}

// Under LAB_REQUIRE_DOCKER=1 a Docker test runs even with -short: with
// Docker unreachable, it fails and says why, never skips.
func TestRequiredDockerIsNotSkippedInShortMode(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("DOCKER_CONTEXT", "")
	short(t, true)
	t.Setenv(RequireEnv, "1")
	r := ending(t, func(tb testing.TB) { Client(tb) })
	if r.skipped != "" || !strings.Contains(r.failed, "not reachable") {
		t.Errorf("required, -short: skipped %q, failed %q; want a failure naming the unreachable daemon", r.skipped, r.failed)
	}
	t.Setenv(RequireEnv, "")
	if r := ending(t, func(tb testing.TB) { Client(tb) }); r.skipped == "" || r.failed != "" {
		t.Errorf("not required, -short: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
}

// A case that cannot run here skips, or under LAB_REQUIRE_DOCKER=1 fails
// with the reason.
func TestUnavailableFailsWhenRequired(t *testing.T) {
	t.Setenv(RequireEnv, "1")
	r := ending(t, func(tb testing.TB) { Unavailable(tb, "needs %s", "a tmpfs") })
	if r.skipped != "" || !strings.Contains(r.failed, "needs a tmpfs") {
		t.Errorf("required: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv(RequireEnv, "")
	r = ending(t, func(tb testing.TB) { Unavailable(tb, "needs %s", "a tmpfs") })
	if r.skipped != "needs a tmpfs" || r.failed != "" {
		t.Errorf("not required: skipped %q, failed %q", r.skipped, r.failed)
	}
}
