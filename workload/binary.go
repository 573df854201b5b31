package workload

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"strings"
)

// EnvWorkloadBinary names a static linux program to package in the
// workload image instead of the one lab would choose (Finder.Find): a
// build of ./cmd/lab-workload, or of lab itself.
const EnvWorkloadBinary = "LAB_WORKLOAD_BINARY"

// BinaryError says that a program lab was told or found to package cannot
// run in the workload image, and what to do about it. Its message is one
// line.
type BinaryError struct {
	Path    string // the file that was checked
	FromEnv bool   // Path came from LAB_WORKLOAD_BINARY
	Reason  string // what is wrong, e.g. "is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2)"
	Arch    string // the Docker daemon's architecture, as GOARCH names it
}

func (e *BinaryError) Error() string {
	subject := e.Path
	if e.FromEnv {
		subject = EnvWorkloadBinary + "=" + e.Path
	}
	return fmt.Sprintf("%s %s: the workload image needs a static linux/%s program: %s", subject, e.Reason, e.Arch, howToGet(e.Arch))
}

// notLinux is the error for a daemon that runs os's containers.
func notLinux(os string) error {
	return fmt.Errorf("Docker runs %s containers, the workload image is a linux one: switch Docker to Linux containers", os)
}

// elfTarget is what an ELF header says about the platform of a Go binary.
type elfTarget struct {
	machine elf.Machine
	class   elf.Class
	data    elf.Data
}

// elfTargets maps Go's architecture names (Docker reports the engine's
// architecture the same way) to ELF headers.
var elfTargets = map[string]elfTarget{
	"amd64":   {elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm64":   {elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"386":     {elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"arm":     {elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"ppc64le": {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"ppc64":   {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"s390x":   {elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"riscv64": {elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB},
}

// normalizeArch turns the kernel's names for an architecture into Go's.
func normalizeArch(arch string) string {
	switch arch = strings.ToLower(arch); arch {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686":
		return "386"
	}
	return arch
}

// binaryProblem says why the executable in r cannot run in a scratch
// container on a linux/arch engine, or returns "" when it can: it must be
// a linux ELF executable for arch with no program interpreter and no
// shared libraries (a CGO_ENABLED=0 Go build).
func binaryProblem(r io.ReaderAt, arch string) string {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return "is not an executable (too short)"
	}
	switch {
	case bytes.Equal(magic[:], []byte(elf.ELFMAG)):
	case bytes.HasPrefix(magic[:], []byte("MZ")):
		return "is a Windows executable, not a linux one"
	case isMachO(magic):
		return "is a macOS executable, not a linux one"
	default:
		return "is not an ELF executable"
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return fmt.Sprintf("is not a valid ELF executable (%v)", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Sprintf("is not an executable (ELF type %v)", f.Type)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Sprintf("is not a linux executable (ELF OS/ABI %v)", f.OSABI)
	}
	if want, ok := elfTargets[arch]; ok && (f.Machine != want.machine || f.Class != want.class || f.Data != want.data) {
		return fmt.Sprintf("is a linux/%s executable but Docker runs linux/%s", elfArch(f), arch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(io.LimitReader(p.Open(), 4096))
			return fmt.Sprintf("is dynamically linked (interpreter %s)", strings.TrimRight(string(interp), "\x00"))
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Sprintf("is dynamically linked (needs %s)", strings.Join(libs, ", "))
	}
	return ""
}

// elfArch names the architecture of f as Go does, or by its ELF machine.
func elfArch(f *elf.File) string {
	for name, t := range elfTargets {
		if t.machine == f.Machine && t.class == f.Class && t.data == f.Data {
			return name
		}
	}
	return f.Machine.String()
}

func isMachO(magic [4]byte) bool {
	switch string(magic[:]) {
	case "\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", // 32-bit
		"\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe", // 64-bit
		"\xca\xfe\xba\xbe": // universal
		return true
	}
	return false
}
