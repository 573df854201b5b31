// Package labtest builds the lab binary for tests that run it as a user
// does.
package labtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles lab into a new temporary directory, static as `make
// build` makes it (lab packages its own executable as the workload image,
// which runs FROM scratch), and returns the binary's path and a function
// that removes the directory.
func Build(pattern string) (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "lab")
	build := exec.Command("go", "build", "-o", bin, "github.com/ecslab/lab/cmd/lab")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build lab: %v\n%s", err, out)
	}
	return bin, cleanup, nil
}
