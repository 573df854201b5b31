// Package labtest builds the lab binary for tests that run it as a user
// does.
package labtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build compiles lab into a new temporary directory, static as `make
// build` makes it (CGO_ENABLED=0, so lab can be its own workload program),
// and returns the binary's path and a function that removes the directory.
func Build(pattern string) (bin string, cleanup func(), err error) {
	return build(pattern, "CGO_ENABLED=0")
}

// BuildCgo compiles lab as `go build` or `go install` does on a machine
// with a C compiler: with cgo, dynamically linked, so that it cannot be
// its own workload program and lab has to find or build cmd/lab-workload.
// cgo says whether it could: without a C compiler the build is lab's
// default one.
func BuildCgo(pattern string) (bin string, cgo bool, cleanup func(), err error) {
	cc, _ := exec.Command("go", "env", "CC").Output()
	if _, err := exec.LookPath(strings.TrimSpace(string(cc))); err != nil || len(cc) == 0 {
		bin, cleanup, err = build(pattern)
		return bin, false, cleanup, err
	}
	bin, cleanup, err = build(pattern, "CGO_ENABLED=1")
	return bin, true, cleanup, err
}

func build(pattern string, env ...string) (bin string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "lab")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/ecslab/lab/cmd/lab")
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build lab: %v\n%s", err, out)
	}
	return bin, cleanup, nil
}
