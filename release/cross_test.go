//go:build cross

package release

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestLabBuildsForEveryPlatform compiles and links cmd/lab for each of
// crossPlatforms, as a user there (or make dist) would build it, and
// checks the executable's header.
func TestLabBuildsForEveryPlatform(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, p := range crossPlatforms {
		t.Run(p.goos+"/"+p.goarch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "lab")
			cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, "../cmd/lab")
			cmd.Env = append(os.Environ(), "GOOS="+p.goos, "GOARCH="+p.goarch, "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=%s GOARCH=%s go build ./cmd/lab: %v\n%s", p.goos, p.goarch, err, b)
			}
			checkExecutable(t, out, p.goos, p.goarch)
		})
	}
}

// checkExecutable checks that the file at path is an executable for
// goos/goarch by its header: Mach-O, PE or ELF.
func checkExecutable(t *testing.T, path, goos, goarch string) {
	t.Helper()
	switch goos + "/" + goarch {
	case "darwin/arm64", "darwin/amd64":
		f, err := macho.Open(path)
		if err != nil {
			t.Fatalf("not a Mach-O file: %v", err)
		}
		defer f.Close()
		want := map[string]macho.Cpu{"arm64": macho.CpuArm64, "amd64": macho.CpuAmd64}[goarch]
		if f.Cpu != want || f.Type != macho.TypeExec {
			t.Errorf("Mach-O for %v, type %v: want a %s executable", f.Cpu, f.Type, goarch)
		}
	case "linux/arm64":
		f, err := elf.Open(path)
		if err != nil {
			t.Fatalf("not an ELF file: %v", err)
		}
		defer f.Close()
		if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
			t.Errorf("ELF for %v, type %v: want an arm64 executable", f.Machine, f.Type)
		}
	case "windows/amd64":
		f, err := pe.Open(path)
		if err != nil {
			t.Fatalf("not a PE file: %v", err)
		}
		defer f.Close()
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			t.Errorf("PE for machine %#x, characteristics %#x: want an amd64 executable", f.Machine, f.Characteristics)
		}
	default:
		t.Fatalf("no header check for %s/%s", goos, goarch)
	}
}
