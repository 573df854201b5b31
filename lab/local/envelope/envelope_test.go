package envelope

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var quarterHalfGiB = Limits{CPUUnits: 256, MemoryMiB: 512}

func TestNames(t *testing.T) {
	fs := Host{Driver: DriverCgroupfs}
	if name, _, err := fs.Name("abcd", "t1"); err != nil || name != "/lab/abcd/t1" {
		t.Errorf("cgroupfs: %q, %v; want /lab/abcd/t1", name, err)
	}
	sd := Host{Driver: DriverSystemd}
	name, _, err := sd.Name("abcd", "t1")
	if err != nil || name != "lab-abcd-t1.slice" {
		t.Fatalf("systemd: %q, %v; want lab-abcd-t1.slice", name, err)
	}
	if path, err := SlicePath(name); err != nil || path != "/lab.slice/lab-abcd.slice/lab-abcd-t1.slice" {
		t.Errorf("SlicePath(%s) = %q, %v; want each dash a level", name, path, err)
	}
	// A dash would make another level of the slice, a slash another
	// directory: neither can be in a run or task id.
	for _, bad := range [][2]string{{"ab-cd", "t1"}, {"abcd", "t/1"}, {"", "t1"}, {"abcd", "t 1"}} {
		for _, h := range []Host{fs, sd} {
			if name, _, err := h.Name(bad[0], bad[1]); err == nil {
				t.Errorf("%s: Name(%q, %q) = %q, want an error", h.Driver, bad[0], bad[1], name)
			}
		}
	}
	for _, bad := range []string{"lab-abcd-t1", "lab--t1.slice", "-lab.slice", "lab-.slice", ".slice", "lab/x.slice"} {
		if path, err := SlicePath(bad); err == nil {
			t.Errorf("SlicePath(%q) = %q, want an error", bad, path)
		}
	}
}

// read returns the content of root/rel, or "" when it does not exist.
func read(t *testing.T, root string, rel ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{root}, rel...)...))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCgroupV2Files builds an envelope in a temporary directory standing
// for a cgroup v2 root and checks the files a kernel would read.
func TestCgroupV2Files(t *testing.T) {
	root := t.TempDir()
	h := Host{Root: root, Version: 2, Driver: DriverCgroupfs}
	// A kernel with swap accounting offers memory.swap.max in every
	// cgroup; here the task's directory gets it in advance.
	task := filepath.Join(root, "lab", "abcd", "t1")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(task, "memory.swap.max"), []byte("max"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := h.Create("abcd", "t1", quarterHalfGiB)
	if err != nil {
		t.Fatal(err)
	}
	if p.CgroupParent != "/lab/abcd/t1" {
		t.Errorf("CgroupParent %q", p.CgroupParent)
	}
	for _, dir := range [][]string{{}, {"lab"}, {"lab", "abcd"}} {
		if got := read(t, root, append(dir, "cgroup.subtree_control")...); got != "+cpu +memory" {
			t.Errorf("%s/cgroup.subtree_control = %q: cpu and memory must be enabled down to the task", filepath.Join(dir...), got)
		}
	}
	for file, want := range map[string]string{"cpu.max": "25000 100000", "memory.max": "536870912", "memory.swap.max": "0"} {
		if got := read(t, task, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
}

func TestCgroupV1Files(t *testing.T) {
	for _, swap := range []bool{false, true} {
		root := t.TempDir()
		mem := filepath.Join(root, "memory", "lab", "abcd", "t1")
		if swap {
			if err := os.MkdirAll(mem, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mem, "memory.memsw.limit_in_bytes"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := Host{Root: root, Version: 1, Driver: DriverCgroupfs}
		if _, err := h.Create("abcd", "t1", Limits{CPUUnits: 1024, MemoryMiB: 2048}); err != nil {
			t.Fatal(err)
		}
		cpu := filepath.Join(root, "cpu", "lab", "abcd", "t1")
		want := map[string]string{
			filepath.Join(cpu, "cpu.cfs_period_us"):           "100000",
			filepath.Join(cpu, "cpu.cfs_quota_us"):            "100000",
			filepath.Join(mem, "memory.limit_in_bytes"):       "2147483648",
			filepath.Join(mem, "memory.memsw.limit_in_bytes"): "",
		}
		if swap {
			want[filepath.Join(mem, "memory.memsw.limit_in_bytes")] = "2147483648"
		}
		for file, w := range want {
			if got := read(t, file); got != w {
				t.Errorf("swap accounting %v: %s = %q, want %q", swap, file, got, w)
			}
		}
	}
}

func TestSystemdSlice(t *testing.T) {
	for _, version := range []int{1, 2} {
		var calls []string
		h := Host{Version: version, Driver: DriverSystemd, Systemctl: func(args ...string) error {
			calls = append(calls, strings.Join(args, " "))
			return nil
		}}
		p, err := h.Create("abcd", "t2", Limits{CPUUnits: 512, MemoryMiB: 1024})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Remove(); err != nil {
			t.Fatal(err)
		}
		memory := "MemoryMax=1073741824 MemorySwapMax=0"
		if version == 1 {
			memory = "MemoryLimit=1073741824"
		}
		want := []string{
			"set-property --runtime lab-abcd-t2.slice CPUQuota=50% " + memory,
			"stop lab-abcd-t2.slice",
			"revert lab-abcd-t2.slice",
		}
		if strings.Join(calls, "\n") != strings.Join(want, "\n") {
			t.Errorf("cgroup v%d: systemctl calls\n%s\nwant\n%s", version, strings.Join(calls, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestProbeSaysWhyNot(t *testing.T) {
	local := Daemon{Local: true, OS: "linux", OperatingSystem: "Debian GNU/Linux 12 (bookworm)", CgroupVersion: "2", CgroupDriver: DriverCgroupfs}
	tests := []struct {
		name string
		d    func(Daemon) Daemon
		root string
		want string
	}{
		{"remote", func(d Daemon) Daemon { d.Local = false; return d }, "", "the daemon is on another machine"},
		{"Docker Desktop", func(d Daemon) Daemon { d.OperatingSystem = "Docker Desktop"; return d }, "", "Docker Desktop runs the daemon in a VM"},
		{"unknown driver", func(d Daemon) Daemon { d.CgroupDriver = "none"; return d }, t.TempDir(), `cgroup driver "none" unknown`},
		{"no write access", func(d Daemon) Daemon { return d }, "/nonexistent/cgroup", "cannot write cgroups under /nonexistent/cgroup"},
	}
	for _, tt := range tests {
		_, err := Probe(tt.d(local), tt.root)
		if runtime.GOOS != "linux" {
			tt.want = "lab runs on " + runtime.GOOS
		}
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrUnavailable saying %q", tt.name, err, tt.want)
		}
	}
	if runtime.GOOS == "linux" {
		h, err := Probe(local, t.TempDir())
		if err != nil || h.Version != 2 || h.Driver != DriverCgroupfs {
			t.Errorf("a writable v2 root: %+v, %v", h, err)
		}
	}
}

// RemoveRun removes what a dead run left in every hierarchy, and leaves
// other runs' envelopes alone.
func TestRemoveRun(t *testing.T) {
	for _, version := range []int{1, 2} {
		root := t.TempDir()
		var left, kept []string
		for _, hierarchy := range []string{"cpu", "memory"} {
			base := root
			if version == 1 {
				base = filepath.Join(root, hierarchy)
			}
			left = append(left, filepath.Join(base, "lab", "dead"))
			kept = append(kept, filepath.Join(base, "lab", "live", "e1_t1"))
			for _, dir := range []string{filepath.Join(base, "lab", "dead", "e1_t1"), filepath.Join(base, "lab", "dead", "e1_t2"), kept[len(kept)-1]} {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		h := Host{Root: root, Version: version, Driver: DriverCgroupfs}
		if err := h.RemoveRun("dead"); err != nil {
			t.Fatalf("v%d: %v", version, err)
		}
		for _, dir := range left {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("v%d: %s remains", version, dir)
			}
		}
		for _, dir := range kept {
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("v%d: another run's %s is gone: %v", version, dir, err)
			}
		}
	}
	var calls []string
	sd := Host{Driver: DriverSystemd, Systemctl: func(args ...string) error { calls = append(calls, strings.Join(args, " ")); return nil }}
	if err := sd.RemoveRun("dead"); err != nil || strings.Join(calls, ";") != "stop lab-dead.slice" {
		t.Errorf("systemd: %v, calls %v", err, calls)
	}
}
