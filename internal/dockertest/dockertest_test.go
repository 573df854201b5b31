package dockertest

import (
	"os"
	"path/filepath"
	"runtime"
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
