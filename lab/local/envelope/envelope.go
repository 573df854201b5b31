// Package envelope gives a task's containers a parent cgroup that holds
// the task's Fargate envelope: one CPU quota and one memory limit for the
// task as a whole, as Fargate applies them, rather than one per container.
// The caller creates a Parent per task, passes Parent.CgroupParent to each
// container's HostConfig.CgroupParent, and removes the Parent after the
// containers.
//
// The parent is named as the daemon's cgroup driver wants it: a path such
// as /lab/<run>/<task> for cgroupfs, a slice such as lab-<run>-<task>.slice
// for systemd. Its limits are written to the cgroup filesystem (cgroupfs,
// v1: cpu.cfs_quota_us and memory.limit_in_bytes; v2: cpu.max and
// memory.max) or set on the slice through systemctl (systemd).
//
// lab can only do this when it shares the daemon's machine and may write
// its cgroups: not for a daemon in a VM (Docker Desktop, OrbStack, colima)
// or on another machine, not without root. Probe says so with the reason,
// and the caller falls back to per-container limits.
package envelope

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// Cgroup drivers, as `docker info` names them.
const (
	DriverCgroupfs = "cgroupfs"
	DriverSystemd  = "systemd"
)

// Host is the cgroup set-up of the daemon's machine, as lab sees it.
type Host struct {
	Root    string // where the cgroup filesystem is mounted, e.g. /sys/fs/cgroup
	Version int    // 1 or 2
	Driver  string // DriverCgroupfs or DriverSystemd
	// Systemctl runs systemctl with the given arguments (the systemd
	// driver); RunSystemctl by default.
	Systemctl func(args ...string) error
}

// Limits is a task's envelope.
type Limits struct {
	CPUUnits  int // Fargate cpu units: 1024 is one vCPU
	MemoryMiB int
}

// cfsPeriod is the CFS period lab uses, in microseconds: the kernel's
// and Docker's default.
const cfsPeriod = 100_000

// quota is the CFS quota for units of cpu per cfsPeriod, in microseconds.
func (l Limits) quota() int64 { return int64(l.CPUUnits) * cfsPeriod / 1024 }

func (l Limits) memoryBytes() int64 { return int64(l.MemoryMiB) << 20 }

// Parent is one task's parent cgroup.
type Parent struct {
	// CgroupParent is the value for the containers'
	// HostConfig.CgroupParent: /lab/<run>/<task> or lab-<run>-<task>.slice.
	CgroupParent string
	host         Host
	rel          []string // the path's components below the root: lab, run, task
}

// ErrUnavailable is wrapped by Probe's error when lab cannot make parent
// cgroups for this daemon; the message says why.
var ErrUnavailable = errors.New("no task envelope as a parent cgroup")

// Daemon is what Probe needs to know about the daemon.
type Daemon struct {
	Local           bool   // the endpoint is on this machine (dockerhost.Endpoint.Local)
	OS              string // the daemon's OS: linux
	OperatingSystem string // docker info's, e.g. "Docker Desktop"
	CgroupVersion   string // "1" or "2"
	CgroupDriver    string // cgroupfs, systemd, none
}

// Probe returns the Host for a daemon when lab can make parent cgroups
// for it: lab on Linux beside a local Linux daemon that runs neither in a
// VM nor rootless, with a cgroup driver lab knows, and write access to
// the cgroup filesystem at root (checked by making and removing a cgroup;
// for systemd, by finding systemctl). Otherwise the error wraps
// ErrUnavailable and says why.
func Probe(d Daemon, root string) (Host, error) {
	unavailable := func(why string, args ...any) (Host, error) {
		return Host{}, fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(why, args...))
	}
	switch {
	case runtime.GOOS != "linux":
		return unavailable("lab runs on %s, the daemon's cgroups are in its Linux VM", runtime.GOOS)
	case !d.Local:
		return unavailable("the daemon is on another machine")
	case d.OS != "linux":
		return unavailable("the daemon runs %s containers", d.OS)
	case strings.Contains(d.OperatingSystem, "Docker Desktop"):
		return unavailable("Docker Desktop runs the daemon in a VM")
	}
	h := Host{Root: root, Driver: d.CgroupDriver}
	switch d.CgroupVersion {
	case "1":
		h.Version = 1
	case "2":
		h.Version = 2
	default:
		return unavailable("cgroup version %q unknown", d.CgroupVersion)
	}
	switch d.CgroupDriver {
	case DriverCgroupfs:
		if err := h.checkWritable(); err != nil {
			return unavailable("cannot write cgroups under %s (%v): run lab as root, or with a rootful daemon", root, err)
		}
	case DriverSystemd:
		if err := lookSystemctl(); err != nil {
			return unavailable("the systemd driver needs systemctl: %v", err)
		}
		h.Systemctl = RunSystemctl
	default:
		return unavailable("cgroup driver %q unknown", d.CgroupDriver)
	}
	return h, nil
}

// Name returns the CgroupParent a task's envelope has under the host's
// driver, and the path's components: /lab/<run>/<task> for cgroupfs,
// lab-<run>-<task>.slice for systemd. run and task are lab's ids
// ([a-z0-9]); a name systemd would read as another hierarchy is refused.
func (h Host) Name(run, task string) (parent string, rel []string, err error) {
	rel = []string{"lab", run, task}
	for _, c := range rel {
		if !validComponent(c) {
			return "", nil, fmt.Errorf("task envelope name %q: want letters, digits and underscores", c)
		}
	}
	if h.Driver == DriverSystemd {
		return strings.Join(rel, "-") + ".slice", rel, nil
	}
	return "/" + strings.Join(rel, "/"), rel, nil
}

// validComponent reports whether c can be one level of a cgroupfs path
// and of a systemd slice name: a dash would split a slice name into
// another level, a slash a path.
func validComponent(c string) bool {
	if c == "" {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Create makes the parent cgroup of a task with its envelope's limits.
func (h Host) Create(run, task string, l Limits) (*Parent, error) {
	if l.CPUUnits <= 0 || l.MemoryMiB <= 0 {
		return nil, fmt.Errorf("task envelope %s/%s: cpu %d and memory %d must be positive", run, task, l.CPUUnits, l.MemoryMiB)
	}
	name, rel, err := h.Name(run, task)
	if err != nil {
		return nil, err
	}
	p := &Parent{CgroupParent: name, host: h, rel: rel}
	if h.Driver == DriverSystemd {
		err = p.createSlice(l)
	} else {
		err = p.createCgroupfs(l)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("task envelope %s: %w", name, err), p.Remove())
	}
	return p, nil
}

// Remove removes the parent cgroup, once its containers are gone, and the
// run's and lab's levels when nothing else is under them. Removing what
// is already gone is no error.
func (p *Parent) Remove() error {
	if p.host.Driver == DriverSystemd {
		return p.removeSlice()
	}
	return p.removeCgroupfs()
}
