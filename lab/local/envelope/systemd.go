package envelope

import (
	"fmt"
	"os/exec"
	"strings"
)

// With the systemd driver, runc puts each container in a scope under the
// slice named by CgroupParent, and systemd owns that slice's cgroup: it
// would write its own cpu.max and memory.max over lab's. So the envelope
// is set as the slice's properties, as runtime drop-ins (nothing survives
// a reboot), and systemd writes them when the slice starts.

// sliceProperties are the systemctl set-property arguments of an
// envelope: a CPU quota in percent of one CPU, and the memory limit
// without swap (cgroup v2's MemoryMax and MemorySwapMax; v1's
// MemoryLimit).
func (h Host) sliceProperties(l Limits) []string {
	props := []string{fmt.Sprintf("CPUQuota=%d%%", l.quota()*100/cfsPeriod)}
	mem := fmt.Sprintf("%d", l.memoryBytes())
	if h.Version == 1 {
		return append(props, "MemoryLimit="+mem)
	}
	return append(props, "MemoryMax="+mem, "MemorySwapMax=0")
}

func (p *Parent) createSlice(l Limits) error {
	args := append([]string{"set-property", "--runtime", p.CgroupParent}, p.host.sliceProperties(l)...)
	return p.host.Systemctl(args...)
}

// removeSlice stops the slice and drops its runtime properties.
func (p *Parent) removeSlice() error {
	if err := p.host.Systemctl("stop", p.CgroupParent); err != nil {
		return err
	}
	return p.host.Systemctl("revert", p.CgroupParent)
}

// SlicePath is where systemd puts a slice's cgroup, below the cgroup
// root: each dash of its name is a level, lab-abcd-t1.slice is
// /lab.slice/lab-abcd.slice/lab-abcd-t1.slice.
func SlicePath(slice string) (string, error) {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("%q is not a slice name (NAME.slice)", slice)
	}
	parts := strings.Split(name, "-")
	path, prefix := "", ""
	for _, part := range parts {
		if part == "" {
			return "", fmt.Errorf("%q: empty level in a slice name", slice)
		}
		prefix += part
		path += "/" + prefix + ".slice"
		prefix += "-"
	}
	return path, nil
}

// RunSystemctl runs systemctl; its error carries systemctl's output.
func RunSystemctl(args ...string) error {
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func lookSystemctl() error {
	_, err := exec.LookPath("systemctl")
	return err
}
