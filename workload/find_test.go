package workload

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// labBuilds are the executables lab can be, as their first bytes show.
var labBuilds = []struct {
	name string
	file []byte
}{
	{"static linux/amd64", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "")},
	{"static linux/arm64", fakeELF(elf.EM_AARCH64, elf.ELFOSABI_NONE, "")},
	{"dynamic cgo linux/amd64", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "/lib64/ld-linux-x86-64.so.2")},
	{"darwin/arm64", append([]byte{0xcf, 0xfa, 0xed, 0xfe}, make([]byte, 60)...)},
	{"windows/amd64", append([]byte("MZ"), make([]byte, 62)...)},
}

// fakeGo stands in for the go command: it writes a static linux ELF for
// the requested architecture, as `go build` with CGO_ENABLED=0 would, and
// records the builds.
type fakeGo struct{ builds []GoBuild }

func (g *fakeGo) build(_ context.Context, b GoBuild) error {
	g.builds = append(g.builds, b)
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[b.Arch]
	return os.WriteFile(b.Out, fakeELF(machine, elf.ELFOSABI_NONE, ""), 0o755)
}

// testFinder is a Finder for a lab executable with the given content in a
// directory of its own, no LAB_WORKLOAD_BINARY, no go command, a
// released module version and a working directory outside any checkout.
func testFinder(t *testing.T, lab []byte) *Finder {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "lab")
	if err := os.WriteFile(exe, lab, 0o755); err != nil {
		t.Fatal(err)
	}
	return &Finder{
		Getenv:     func(string) string { return "" },
		Executable: exe,
		IsLab:      true,
		WorkDir:    t.TempDir(),
		Module:     debug.Module{Path: "github.com/ecslab/lab", Version: "v1.4.0"},
		CacheDir:   t.TempDir(),
		Build:      func(context.Context, GoBuild) error { t.Fatal("no go command, yet it built"); return nil },
	}
}

// TestFindEveryDaemonAndLabBuild is the choice for every daemon platform
// and every kind of lab executable, without and with the go command.
func TestFindEveryDaemonAndLabBuild(t *testing.T) {
	daemons := []Platform{{"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"}}
	// want[build][daemon]: the source without go, and with go.
	type want struct{ noGo, withGo string }
	const (
		self    = "lab itself"
		none    = "error: no workload program"
		built   = "built with go from github.com/ecslab/lab@v1.4.0"
		windows = "error: Docker runs windows containers"
	)
	wants := map[string][3]want{
		"static linux/amd64":      {{self, self}, {none, built}, {windows, windows}},
		"static linux/arm64":      {{none, built}, {self, self}, {windows, windows}},
		"dynamic cgo linux/amd64": {{none, built}, {none, built}, {windows, windows}},
		"darwin/arm64":            {{none, built}, {none, built}, {windows, windows}},
		"windows/amd64":           {{none, built}, {none, built}, {windows, windows}},
	}
	for _, lab := range labBuilds {
		for i, daemon := range daemons {
			w := wants[lab.name][i]
			t.Run(lab.name+" on "+daemon.String(), func(t *testing.T) {
				f := testFinder(t, lab.file)
				checkFind(t, f, daemon, w.noGo)

				var g fakeGo
				f.GoTool, f.Build = "/usr/local/go/bin/go", g.build
				checkFind(t, f, daemon, w.withGo)
				if w.withGo == built && len(g.builds) != 1 {
					t.Errorf("%d go builds, want 1", len(g.builds))
				}
			})
		}
	}
}

// checkFind runs f.Find and compares its source, or the start of its
// error, with want; a program it returns must fit the daemon.
func checkFind(t *testing.T, f *Finder, daemon Platform, want string) {
	t.Helper()
	b, err := f.Find(context.Background(), daemon)
	if prefix, ok := strings.CutPrefix(want, "error: "); ok {
		if err == nil || !strings.HasPrefix(err.Error(), prefix) {
			t.Fatalf("Find = %+v, %v; want an error %q...", b, err, prefix)
		}
		return
	}
	if err != nil || b.Source != want {
		t.Fatalf("Find = %+v, %v; want source %q", b, err, want)
	}
	if problem := fileProblem(b.Path, daemon.Arch); problem != "" {
		t.Errorf("the chosen %s %s", b.Path, problem)
	}
}

func TestFindPrefersTheVariableThenTheProgramBesideLab(t *testing.T) {
	f := testFinder(t, labBuilds[0].file) // lab itself would fit amd64
	beside := filepath.Join(filepath.Dir(f.Executable), "lab-workload-linux-amd64")
	if err := os.WriteFile(beside, fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""), 0o755); err != nil {
		t.Fatal(err)
	}
	amd64 := Platform{"linux", "amd64"}
	checkFind(t, f, amd64, "beside lab")

	fromEnv := writeFile(t, "mine", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""))
	f.Getenv = func(k string) string { return map[string]string{EnvWorkloadBinary: fromEnv}[k] }
	checkFind(t, f, amd64, EnvWorkloadBinary)

	// What the variable or the install names must fit: no fallback to
	// lab itself, which would hide a broken set-up.
	f.Getenv = func(k string) string { return map[string]string{EnvWorkloadBinary: beside}[k] }
	_, err := f.Find(context.Background(), Platform{"linux", "arm64"})
	var be *BinaryError
	if !errors.As(err, &be) || !be.FromEnv {
		t.Errorf("a variable naming an amd64 program on arm64: %v, want a *BinaryError from the variable", err)
	}
	f.Getenv = func(string) string { return "" }
	if err := os.WriteFile(beside, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Find(context.Background(), amd64); !errors.As(err, &be) || be.Path != beside {
		t.Errorf("a broken program beside lab: %v, want a *BinaryError naming it", err)
	}
}

func TestFindSaysWhatItTriedAndHowToGetIt(t *testing.T) {
	f := testFinder(t, labBuilds[3].file) // a macOS lab
	_, err := f.Find(context.Background(), Platform{"linux", "arm64"})
	want := "no workload program for linux/arm64 (no lab-workload-linux-arm64 beside lab in " + filepath.Dir(f.Executable) +
		"; lab is a macOS executable, not a linux one; no go command on PATH to build it): " +
		"put lab-workload-linux-arm64 from lab's release archive beside lab, or install Go so that lab builds it, " +
		"or build it yourself (`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o lab-workload-linux-arm64 ./cmd/lab-workload`) and set LAB_WORKLOAD_BINARY to it"
	var nb *NoBinaryError
	if !errors.As(err, &nb) || err.Error() != want {
		t.Fatalf("error =\n%v\nwant\n%s", err, want)
	}
}

func TestFindBuildsFromTheCheckoutItRunsIn(t *testing.T) {
	f := testFinder(t, labBuilds[3].file)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/ecslab/lab\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.WorkDir = filepath.Join(root, "cmd", "lab")
	f.Module.Version = "(devel)"
	var g fakeGo
	f.GoTool, f.Build = "go", g.build
	checkFind(t, f, Platform{"linux", "arm64"}, "built with go from the checkout at "+root)
	if len(g.builds) != 1 || g.builds[0].Dir != root || g.builds[0].Pkg != "./cmd/lab-workload" || g.builds[0].Arch != "arm64" {
		t.Errorf("builds %+v, want ./cmd/lab-workload for arm64 in %s", g.builds, root)
	}

	// A development build run outside its checkout has no version that
	// go could build again.
	f.WorkDir = t.TempDir()
	_, err := f.Find(context.Background(), Platform{"linux", "arm64"})
	if err == nil || !strings.Contains(err.Error(), "lab is a development build (github.com/ecslab/lab (devel)) run outside its checkout") {
		t.Errorf("error %v, want it to say lab is a development build outside its checkout", err)
	}
}

func TestFindBuildsAReleasedVersionOnceAndKeepsIt(t *testing.T) {
	f := testFinder(t, labBuilds[2].file) // a cgo build: `go install` with gcc around
	var g fakeGo
	f.GoTool, f.Build = "go", g.build
	for range 2 {
		checkFind(t, f, Platform{"linux", "amd64"}, "built with go from github.com/ecslab/lab@v1.4.0")
	}
	if len(g.builds) != 1 {
		t.Fatalf("%d builds, want 1: the program is kept by version", len(g.builds))
	}
	b := g.builds[0]
	if b.Pkg != "github.com/ecslab/lab/cmd/lab-workload" || !strings.Contains(strings.Join(b.Env, " "), "GOFLAGS=-mod=mod") {
		t.Errorf("build %+v, want the module's package with -mod=mod", b)
	}
	gomod, err := os.ReadFile(filepath.Join(b.Dir, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "require github.com/ecslab/lab v1.4.0\n") {
		t.Errorf("the build's go.mod:\n%s\n%v; want it to require lab v1.4.0", gomod, err)
	}
	checkFind(t, f, Platform{"linux", "arm64"}, "built with go from github.com/ecslab/lab@v1.4.0")
	if len(g.builds) != 2 {
		t.Errorf("%d builds after asking for arm64 too, want 2", len(g.builds))
	}
}

// A program that links lab's packages but is not lab (a test binary, as
// `make test` builds them static) cannot serve the app: packaged, it
// would exit at once. It is never chosen as "lab itself".
func TestFindNeverPackagesAProgramThatIsNotLab(t *testing.T) {
	f := testFinder(t, labBuilds[0].file) // a static linux/amd64 executable
	f.IsLab = false
	checkFind(t, f, Platform{"linux", "amd64"}, "error: no workload program")
	var g fakeGo
	f.GoTool, f.Build = "/usr/local/go/bin/go", g.build
	checkFind(t, f, Platform{"linux", "amd64"}, "built with go from github.com/ecslab/lab@v1.4.0")

	running, err := NewFinder(nil)
	if err != nil {
		t.Fatal(err)
	}
	if running.IsLab {
		t.Errorf("NewFinder in a test binary (%s) says it is lab", running.Executable)
	}
}
