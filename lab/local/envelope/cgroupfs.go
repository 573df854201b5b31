package envelope

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// createCgroupfs makes the parent's directories and writes its limits:
// on v1 in the cpu and memory hierarchies, on v2 in the unified one with
// the cpu and memory controllers enabled down to it.
func (p *Parent) createCgroupfs(l Limits) error {
	if p.host.Version == 1 {
		return p.createV1(l)
	}
	return p.createV2(l)
}

func (p *Parent) createV1(l Limits) error {
	cpu := p.dir("cpu")
	if err := os.MkdirAll(cpu, 0o755); err != nil {
		return err
	}
	if err := writeFile(cpu, "cpu.cfs_period_us", strconv.Itoa(cfsPeriod)); err != nil {
		return err
	}
	if err := writeFile(cpu, "cpu.cfs_quota_us", strconv.FormatInt(l.quota(), 10)); err != nil {
		return err
	}
	mem := p.dir("memory")
	if err := os.MkdirAll(mem, 0o755); err != nil {
		return err
	}
	bytes := strconv.FormatInt(l.memoryBytes(), 10)
	if err := writeFile(mem, "memory.limit_in_bytes", bytes); err != nil {
		return err
	}
	// Memory and swap together, when the kernel accounts swap: no swap,
	// as on Fargate. It must not be below memory.limit_in_bytes, so it
	// comes second.
	return writeIfPresent(mem, "memory.memsw.limit_in_bytes", bytes)
}

func (p *Parent) createV2(l Limits) error {
	dir := p.host.Root
	for _, c := range p.rel {
		// A controller is available in a cgroup only when its parent
		// enables it for its children.
		if err := writeFile(dir, "cgroup.subtree_control", "+cpu +memory"); err != nil {
			return fmt.Errorf("enable the cpu and memory controllers in %s: %w", dir, err)
		}
		dir = filepath.Join(dir, c)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	if err := writeFile(dir, "cpu.max", fmt.Sprintf("%d %d", l.quota(), cfsPeriod)); err != nil {
		return err
	}
	if err := writeFile(dir, "memory.max", strconv.FormatInt(l.memoryBytes(), 10)); err != nil {
		return err
	}
	return writeIfPresent(dir, "memory.swap.max", "0")
}

// dir is the parent's directory in a v1 hierarchy, or in the v2 tree
// when hierarchy is "".
func (p *Parent) dir(hierarchy string) string {
	return filepath.Join(append([]string{p.host.Root, hierarchy}, p.rel...)...)
}

// removeCgroupfs removes the parent's directory, and its run's and lab's
// when empty, from every hierarchy: on v1 the runtime made it in every
// hierarchy it puts a container in, not only cpu and memory.
func (p *Parent) removeCgroupfs() error {
	if p.host.Version == 2 {
		return p.removeTree(p.host.Root)
	}
	entries, err := os.ReadDir(p.host.Root)
	if err != nil {
		return fmt.Errorf("remove task envelope %s: %w", p.CgroupParent, err)
	}
	var errs []error
	for _, e := range entries {
		// cpu may be a link to cpu,cpuacct: the real directory is enough.
		if e.Type()&fs.ModeSymlink != 0 || !e.IsDir() {
			continue
		}
		errs = append(errs, p.removeTree(filepath.Join(p.host.Root, e.Name())))
	}
	return errors.Join(errs...)
}

// removeTree removes lab/<run>/<task> under root, then <run> and lab when
// nothing else is in them.
func (p *Parent) removeTree(root string) error {
	for i := len(p.rel); i > 0; i-- {
		dir := filepath.Join(append([]string{root}, p.rel[:i]...)...)
		err := os.Remove(dir)
		switch {
		case err == nil, errors.Is(err, fs.ErrNotExist):
		case i < len(p.rel) && (errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.ENOTEMPTY)):
			return nil // another task or run still uses it
		default:
			return fmt.Errorf("remove %s: %w", dir, err)
		}
	}
	return nil
}

// CPUUsage is the CPU time the parent's containers have used, from
// cpuacct.usage (v1) or cpu.stat's usage_usec (v2).
func (p *Parent) CPUUsage() (time.Duration, error) {
	if p.host.Driver == DriverSystemd {
		return 0, errors.New("CPU usage of a systemd slice: not read by lab")
	}
	if p.host.Version == 1 {
		b, err := os.ReadFile(filepath.Join(p.dir("cpuacct"), "cpuacct.usage"))
		if err != nil {
			return 0, err
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return time.Duration(ns), err
	}
	f, err := os.Open(filepath.Join(p.dir(""), "cpu.stat"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "usage_usec "); ok {
			us, err := strconv.ParseInt(v, 10, 64)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, fmt.Errorf("%s/cpu.stat has no usage_usec", p.dir(""))
}

// checkWritable makes and removes a cgroup where parents would go.
func (h Host) checkWritable() error {
	dir := h.Root
	if h.Version == 1 {
		dir = filepath.Join(dir, "cpu")
	}
	probe := filepath.Join(dir, fmt.Sprintf("lab-probe-%d", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return err
	}
	return os.Remove(probe)
}

func writeFile(dir, name, value string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// writeIfPresent writes a control file the kernel may not offer (swap
// accounting off): absent is no error.
func writeIfPresent(dir, name, value string) error {
	if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return writeFile(dir, name, value)
}
