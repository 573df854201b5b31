package workload

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeELF returns a minimal 64-bit little-endian ELF executable for
// machine: a header, one PT_LOAD and, when interp is not empty, a
// PT_INTERP naming it. It is enough for debug/elf, not for a kernel.
func fakeELF(machine elf.Machine, osabi elf.OSABI, interp string) []byte {
	const ehsize, phentsize = 64, 56
	phnum := 1
	if interp != "" {
		phnum = 2
	}
	dataOff := uint64(ehsize + phnum*phentsize)
	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { _ = binary.Write(&b, le, v) }

	b.Write([]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(osabi)})
	b.Write(make([]byte, 8)) // ABI version and padding
	w(uint16(elf.ET_EXEC))
	w(uint16(machine))
	w(uint32(elf.EV_CURRENT))
	w(uint64(0x400000)) // entry
	w(uint64(ehsize))   // program headers right after the header
	w(uint64(0))        // no section headers
	w(uint32(0))        // flags
	w(uint16(ehsize))
	w(uint16(phentsize))
	w(uint16(phnum))
	w(uint16(64)) // section header size
	w(uint16(0))  // no sections
	w(uint16(0))  // no section name table

	size := dataOff + uint64(len(interp)+1)
	prog := func(typ elf.ProgType, off, filesz uint64) {
		w(uint32(typ))
		w(uint32(elf.PF_R | elf.PF_X))
		w(off)
		w(0x400000 + off) // vaddr
		w(0x400000 + off) // paddr
		w(filesz)
		w(filesz) // memsz
		w(uint64(0x1000))
	}
	prog(elf.PT_LOAD, 0, size)
	if interp != "" {
		prog(elf.PT_INTERP, dataOff, uint64(len(interp)+1))
	}
	b.WriteString(interp)
	b.WriteByte(0)
	return b.Bytes()
}

func TestBinaryProblem(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		arch string
		want string
	}{
		{"static amd64", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""), "amd64", ""},
		{"static arm64", fakeELF(elf.EM_AARCH64, elf.ELFOSABI_NONE, ""), "arm64", ""},
		{"linux OS/ABI", fakeELF(elf.EM_X86_64, elf.ELFOSABI_LINUX, ""), "amd64", ""},
		{"unknown engine arch", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""), "mips64", ""},
		{"amd64 on an arm64 engine", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, ""), "arm64",
			"is a linux/amd64 executable but Docker runs linux/arm64"},
		{"arm64 on an amd64 engine", fakeELF(elf.EM_AARCH64, elf.ELFOSABI_NONE, ""), "amd64",
			"is a linux/arm64 executable but Docker runs linux/amd64"},
		{"dynamic", fakeELF(elf.EM_X86_64, elf.ELFOSABI_NONE, "/lib64/ld-linux-x86-64.so.2"), "amd64",
			"is dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2)"},
		{"FreeBSD", fakeELF(elf.EM_X86_64, elf.ELFOSABI_FREEBSD, ""), "amd64",
			"is not a linux executable (ELF OS/ABI ELFOSABI_FREEBSD)"},
		{"macOS", append([]byte{0xcf, 0xfa, 0xed, 0xfe}, make([]byte, 60)...), "arm64",
			"is a macOS executable, not a linux one"},
		{"macOS universal", append([]byte{0xca, 0xfe, 0xba, 0xbe}, make([]byte, 60)...), "arm64",
			"is a macOS executable, not a linux one"},
		{"Windows", append([]byte("MZ"), make([]byte, 62)...), "amd64",
			"is a Windows executable, not a linux one"},
		{"script", []byte("#!/bin/sh\necho hi\n"), "amd64", "is not an ELF executable"},
		{"empty", nil, "amd64", "is not an executable (too short)"},
		{"truncated ELF", []byte(elf.ELFMAG + "\x02\x01\x01"), "amd64",
			"is not a valid ELF executable (EOF)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := binaryProblem(bytes.NewReader(tt.file), tt.arch); got != tt.want {
				t.Errorf("binaryProblem = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBinaryProblemOfARealDynamicExecutable(t *testing.T) {
	const path = "/bin/true"
	f, err := elf.Open(path)
	if err != nil {
		t.Skipf("no ELF %s here: %v", path, err)
	}
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			_, _ = p.ReadAt(b, 0)
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	arch := elfArch(f)
	f.Close()
	if interp == "" {
		t.Skipf("%s is static here", path)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, want := binaryProblem(r, arch), "is dynamically linked (interpreter "+interp+")"; got != want {
		t.Errorf("binaryProblem(%s) = %q, want %q", path, got, want)
	}
}

func TestBinaryErrorSaysWhatToDo(t *testing.T) {
	e := &BinaryError{Path: "/usr/local/bin/lab", Reason: "is a macOS executable, not a linux one", Arch: "arm64"}
	want := "/usr/local/bin/lab is a macOS executable, not a linux one: the workload image needs a static linux/arm64 program: " +
		"put lab-workload-linux-arm64 from lab's release archive beside lab, or install Go so that lab builds it, " +
		"or build it yourself (`GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o lab-workload-linux-arm64 ./cmd/lab-workload`) and set LAB_WORKLOAD_BINARY to it"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	e.Path, e.FromEnv = "./lab-linux", true
	if got := e.Error(); !strings.HasPrefix(got, "LAB_WORKLOAD_BINARY=./lab-linux is a macOS executable") {
		t.Errorf("Error() = %s, want it to name the variable", got)
	}
	if strings.Contains(e.Error(), "\n") {
		t.Error("the message is not one line")
	}
}

func TestNormalizeArch(t *testing.T) {
	for in, want := range map[string]string{"amd64": "amd64", "x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ARM64": "arm64"} {
		if got := normalizeArch(in); got != want {
			t.Errorf("normalizeArch(%q) = %q, want %q", in, got, want)
		}
	}
}

// writeFile writes b to a new file in t's temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
