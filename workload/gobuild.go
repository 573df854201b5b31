package workload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// workloadPackage is cmd/lab-workload's import path within lab's module.
const workloadPackage = "/cmd/lab-workload"

// GoBuild is one `go build` of cmd/lab-workload for linux/Arch with
// CGO_ENABLED=0, into Out.
type GoBuild struct {
	GoTool string
	Dir    string   // where the go command runs: the checkout, or a module that requires lab
	Pkg    string   // the package to build: ./cmd/lab-workload or its full import path
	Arch   string   // GOARCH
	Out    string   // the program's path
	Env    []string // added to the environment (GOFLAGS, GOWORK)
}

// build builds cmd/lab-workload for linux/arch with the go command: from
// the checkout of lab's module the working directory is in, else at the
// module version lab was built from. ok is false when neither is
// possible (a development build outside its checkout). A program built
// at a version before is reused.
func (f *Finder) build(ctx context.Context, arch string) (b Binary, ok bool, err error) {
	if f.CacheDir == "" {
		return Binary{}, false, errors.New("build the workload program: no cache directory to keep it in (set HOME or XDG_CACHE_HOME)")
	}
	name := BinaryName(arch)
	if root := moduleRoot(f.WorkDir, f.Module.Path); root != "" {
		out := filepath.Join(f.CacheDir, "checkout", name)
		fmt.Fprintf(f.log(), "building %s with go from the checkout at %s... ", name, root)
		g := GoBuild{GoTool: f.GoTool, Dir: root, Pkg: "." + workloadPackage, Arch: arch, Out: out}
		if err := f.buildTo(ctx, g); err != nil {
			return Binary{}, false, err
		}
		return Binary{Path: out, Arch: arch, Source: "built with go from the checkout at " + root}, true, nil
	}
	version := f.Module.Version
	if f.Module.Path == "" || version == "" || version == "(devel)" || strings.HasSuffix(version, "+dirty") {
		return Binary{}, false, nil
	}
	dir := filepath.Join(f.CacheDir, version)
	out := filepath.Join(dir, name)
	source := "built with go from " + f.Module.Path + "@" + version
	if fileProblem(out, arch) == "" {
		return Binary{Path: out, Arch: arch, Source: source}, true, nil
	}
	mod := filepath.Join(dir, "module")
	if err := writeRequiringModule(mod, f.Module.Path, version); err != nil {
		return Binary{}, false, err
	}
	fmt.Fprintf(f.log(), "building %s with go from %s@%s... ", name, f.Module.Path, version)
	g := GoBuild{GoTool: f.GoTool, Dir: mod, Pkg: f.Module.Path + workloadPackage, Arch: arch, Out: out,
		Env: []string{"GOFLAGS=-mod=mod", "GOWORK=off"}}
	if err := f.buildTo(ctx, g); err != nil {
		return Binary{}, false, err
	}
	return Binary{Path: out, Arch: arch, Source: source}, true, nil
}

// buildTo runs g, building into a temporary file beside g.Out that
// replaces it once complete, so that two labs building at once never
// package half a program.
func (f *Finder) buildTo(ctx context.Context, g GoBuild) error {
	if err := os.MkdirAll(filepath.Dir(g.Out), 0o755); err != nil {
		return fmt.Errorf("build the workload program: %w", err)
	}
	final := g.Out
	tmp, err := os.CreateTemp(filepath.Dir(final), ".build-*")
	if err != nil {
		return fmt.Errorf("build the workload program: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	g.Out = tmp.Name()
	if err := f.Build(ctx, g); err != nil {
		fmt.Fprintln(f.log())
		return err
	}
	fmt.Fprintln(f.log(), "done")
	if err := os.Rename(g.Out, final); err != nil {
		return fmt.Errorf("build the workload program: %w", err)
	}
	return nil
}

// runGoBuild runs the go command as g says; its error carries the
// command's output.
func runGoBuild(ctx context.Context, g GoBuild) error {
	cmd := exec.CommandContext(ctx, g.GoTool, "build", "-trimpath", "-ldflags=-s -w", "-o", g.Out, g.Pkg)
	cmd.Dir = g.Dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+g.Arch, "CGO_ENABLED=0")
	cmd.Env = append(cmd.Env, g.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build the workload program for linux/%s (go build %s in %s): %w: %s",
			g.Arch, g.Pkg, g.Dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// moduleRoot returns the directory at or above dir whose go.mod declares
// module path, or "".
func moduleRoot(dir, path string) string {
	if dir == "" || path == "" {
		return ""
	}
	for {
		if modulePath(filepath.Join(dir, "go.mod")) == path {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath reads the module line of a go.mod file, or "".
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// writeRequiringModule writes, in dir, a module that requires path at
// version and nothing else: building path's packages there uses exactly
// that version and the dependencies it records.
func writeRequiringModule(dir, path, version string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("build the workload program: %w", err)
	}
	gomod := fmt.Sprintf("module labworkloadbuild\n\ngo 1.26\n\nrequire %s %s\n", path, version)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return fmt.Errorf("build the workload program: %w", err)
	}
	return nil
}

// log is where build progress goes: Log, or nowhere.
func (f *Finder) log() io.Writer {
	if f.Log == nil {
		return io.Discard
	}
	return f.Log
}
