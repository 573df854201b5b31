package workload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Binary is the static linux program chosen for the workload image.
type Binary struct {
	Path string
	Arch string // as GOARCH names it
	// Source says how it was found, for people: "LAB_WORKLOAD_BINARY",
	// "beside lab", "lab itself", "built with go from the checkout at DIR"
	// or "built with go from MODULE@VERSION".
	Source string
}

// Platform is a Docker daemon's OS and architecture, as Go names them.
type Platform struct {
	OS, Arch string
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// BinaryName is the file name of the workload program for linux/arch
// that `make build` writes beside lab and release archives ship:
// lab-workload-linux-<arch>.
func BinaryName(arch string) string { return "lab-workload-linux-" + arch }

// FindBinary returns the static linux/arch workload program, found as
// [Finder.Find] says, with lab's own executable, environment and build
// info. Building it with the Go toolchain, when that is the way, prints a
// line on log first. It is the one place that decides which program an
// image for linux/arch packages: the local target and `lab ecs push` (an
// image per architecture) both ask it.
func FindBinary(ctx context.Context, arch string, log io.Writer) (Binary, error) {
	f, err := NewFinder(log)
	if err != nil {
		return Binary{}, err
	}
	return f.Find(ctx, Platform{OS: "linux", Arch: arch})
}

// Finder finds the workload program for a daemon. NewFinder fills it from
// the running lab; tests fill it by hand.
type Finder struct {
	Getenv     func(string) string
	Executable string // lab's own executable, symlinks resolved
	// IsLab says Executable is lab itself (cmd/lab), whose hidden `lab
	// workload` verb serves the app. A program that only links lab's
	// packages (a test binary, labbench) is not, though it may be a
	// static linux executable too: packaged, it would exit at once.
	IsLab    bool
	WorkDir  string // where a module checkout is looked for, upwards
	GoTool   string // the go command; "" when there is none
	Module   debug.Module
	CacheDir string // where built programs are kept
	// Build runs `go build` as described; GoBuild by default.
	Build func(ctx context.Context, b GoBuild) error
	Log   io.Writer
}

// labCommand is the import path of lab's main package.
const labCommand = "github.com/ecslab/lab/cmd/lab"

// NewFinder returns a Finder for the running lab: its executable, the
// environment, the current directory, the go command on PATH, the module
// version in its build info, and the user's cache directory.
func NewFinder(log io.Writer) (*Finder, error) {
	if log == nil {
		log = io.Discard
	}
	f := &Finder{Getenv: os.Getenv, Build: runGoBuild, Log: log}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find lab's executable: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	f.Executable = exe
	f.WorkDir, _ = os.Getwd()
	f.GoTool, _ = exec.LookPath("go")
	if info, ok := debug.ReadBuildInfo(); ok {
		f.Module = info.Main
		f.IsLab = info.Path == labCommand
	}
	if dir, err := os.UserCacheDir(); err == nil {
		f.CacheDir = filepath.Join(dir, "lab", "workload")
	}
	return f, nil
}

// Find returns the static linux program for the daemon's architecture,
// the first of:
//
//  1. the file LAB_WORKLOAD_BINARY names (it must fit: no fallback);
//  2. lab-workload-linux-<arch> beside lab's executable (make build and
//     release archives put it there; it must fit too);
//  3. lab itself, when it is a static linux executable for that
//     architecture (its hidden `lab workload` verb serves the app);
//  4. cmd/lab-workload built with the go command, CGO_ENABLED=0: from the
//     checkout of lab's module that the working directory is in (a
//     developer's build), else at the exact module version lab was built
//     from (a `go install` user has it in the module cache), kept in the
//     cache directory by version and architecture.
//
// Each is checked by its ELF header (machine, no interpreter, no shared
// libraries). When none exists the error says how to get one. A daemon
// that does not run linux containers is an error at once.
func (f *Finder) Find(ctx context.Context, daemon Platform) (Binary, error) {
	if daemon.OS != "linux" {
		return Binary{}, notLinux(daemon.OS)
	}
	arch := daemon.Arch
	if p := f.Getenv(EnvWorkloadBinary); p != "" {
		return checked(Binary{Path: p, Arch: arch, Source: EnvWorkloadBinary}, true)
	}
	var tried []string
	if f.Executable != "" {
		beside := filepath.Join(filepath.Dir(f.Executable), BinaryName(arch))
		if _, err := os.Stat(beside); err == nil {
			return checked(Binary{Path: beside, Arch: arch, Source: "beside lab"}, false)
		}
		tried = append(tried, "no "+BinaryName(arch)+" beside lab in "+filepath.Dir(f.Executable))
		self := Binary{Path: f.Executable, Arch: arch, Source: "lab itself"}
		if !f.IsLab {
			tried = append(tried, filepath.Base(f.Executable)+" is not lab, which could serve the app itself")
		} else if problem := fileProblem(self.Path, arch); problem == "" {
			return self, nil
		} else {
			tried = append(tried, "lab "+problem)
		}
	}
	if f.GoTool == "" {
		tried = append(tried, "no go command on PATH to build it")
		return Binary{}, &NoBinaryError{Arch: arch, Tried: tried}
	}
	b, ok, err := f.build(ctx, arch)
	if err != nil {
		return Binary{}, err
	}
	if !ok {
		tried = append(tried, "lab is a development build ("+f.Module.Path+" "+f.Module.Version+") run outside its checkout, so go cannot build the same program")
		return Binary{}, &NoBinaryError{Arch: arch, Tried: tried}
	}
	return checked(b, false)
}

// checked returns b when its file can run in a scratch container on the
// daemon, and a *BinaryError saying why not otherwise.
func checked(b Binary, fromEnv bool) (Binary, error) {
	if problem := fileProblem(b.Path, b.Arch); problem != "" {
		return Binary{}, &BinaryError{Path: b.Path, FromEnv: fromEnv, Arch: b.Arch, Reason: problem}
	}
	return b, nil
}

// fileProblem is binaryProblem for the file at path, or why it cannot be
// read.
func fileProblem(path, arch string) string {
	r, err := os.Open(path)
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return "cannot be read (" + reason + ")"
	}
	defer r.Close()
	return binaryProblem(r, arch)
}

// NoBinaryError says that no workload program for linux/Arch was found,
// what was tried, and how to get one. Its message is one line.
type NoBinaryError struct {
	Arch  string
	Tried []string
}

func (e *NoBinaryError) Error() string {
	return fmt.Sprintf("no workload program for linux/%s (%s): %s", e.Arch, strings.Join(e.Tried, "; "), howToGet(e.Arch))
}

// howToGet says how a person gets the workload program for linux/arch.
func howToGet(arch string) string {
	return fmt.Sprintf("put %s from lab's release archive beside lab, or install Go so that lab builds it, "+
		"or build it yourself (`GOOS=linux GOARCH=%s CGO_ENABLED=0 go build -o %s ./cmd/lab-workload`) and set %s to it",
		BinaryName(arch), arch, BinaryName(arch), EnvWorkloadBinary)
}
