package local

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/scenarios"
)

// Daemon is what lab needs to know about the Docker daemon it runs on.
type Daemon struct {
	Endpoint        dockerhost.Endpoint
	Version         string // the engine's, e.g. 20.10.24
	APIVersion      string // the API version the daemon speaks, e.g. 1.41
	OS              string // linux (or windows: Windows containers)
	Arch            string // as Go names it: amd64, arm64
	OperatingSystem string // e.g. "Docker Desktop", "OrbStack", "Debian GNU/Linux 12 (bookworm)"
	KernelVersion   string
	CgroupVersion   string // "1" or "2"
	CgroupDriver    string // cgroupfs, systemd or none
	NCPU            int
	MemTotal        int64 // bytes the daemon's machine (or VM) has
}

// daemonAPI is the part of the Docker client InspectDaemon uses.
type daemonAPI interface {
	ServerVersion(ctx context.Context) (types.Version, error)
	Info(ctx context.Context) (system.Info, error)
}

// InspectDaemon asks the daemon at ep what it is.
func InspectDaemon(ctx context.Context, cli daemonAPI, ep dockerhost.Endpoint) (Daemon, error) {
	ver, err := cli.ServerVersion(ctx)
	if err != nil {
		return Daemon{}, fmt.Errorf("ask Docker for its version: %w", err)
	}
	info, err := cli.Info(ctx)
	if err != nil {
		return Daemon{}, fmt.Errorf("ask Docker about itself: %w", err)
	}
	d := Daemon{
		Endpoint: ep, Version: ver.Version, APIVersion: ver.APIVersion,
		OS: strings.ToLower(ver.Os), Arch: goArch(ver.Arch),
		OperatingSystem: info.OperatingSystem, KernelVersion: info.KernelVersion,
		CgroupVersion: info.CgroupVersion, CgroupDriver: info.CgroupDriver,
		NCPU: info.NCPU, MemTotal: info.MemTotal,
	}
	if d.CgroupVersion == "" && d.OS == "linux" {
		d.CgroupVersion = "1" // daemons before API 1.40 do not say, and ran v1
	}
	return d, nil
}

// goArch names an architecture as Go does (the engine reports the
// kernel's name on some versions).
func goArch(arch string) string {
	switch arch = strings.ToLower(arch); arch {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return arch
}

// String is one line for people, e.g. "Docker 20.10.24 (linux/amd64,
// cgroup v1, cgroupfs) at unix:///var/run/docker.sock (the default socket)".
func (d Daemon) String() string {
	return fmt.Sprintf("Docker %s (%s/%s, cgroup v%s, %s) at %s", d.Version, d.OS, d.Arch, d.CgroupVersion, d.CgroupDriver, d.Endpoint)
}

// PlatformNote is what a person must know when the daemon's architecture
// is not Fargate's default, or "" when it is.
func (d Daemon) PlatformNote() string {
	if d.Arch == "amd64" || d.Arch == "" {
		return ""
	}
	return fmt.Sprintf("Docker runs linux/%s, Fargate's default is x86_64 (X86_64): a local %s core is not a Fargate vCPU. "+
		"The built-in app's CPU cost is measured on the thread CPU clock, so its figures hold; "+
		"an image's CPU figures do not without calibration (lab calibrate)", d.Arch, d.Arch)
}

// PeakMemory is the most memory a scenario's tasks ask for at once, in
// MiB: per entry, its task size times the most tasks it may run (its
// count, or autoscaling's maximum when higher), the largest of those.
func PeakMemory(sc *scenarios.Scenario) (mib int64, tasks int) {
	for _, e := range sc.Entries() {
		n := e.Count
		if sc.Autoscaling != nil && sc.Autoscaling.Max > n {
			n = sc.Autoscaling.Max
		}
		if m := int64(n) * int64(e.Size.Memory); m > mib {
			mib, tasks = m, n
		}
	}
	return mib, tasks
}

// MemoryWarning says when a scenario's tasks may ask for more memory than
// the daemon has, or "" when they fit.
func (d Daemon) MemoryWarning(sc *scenarios.Scenario) string {
	mib, tasks := PeakMemory(sc)
	if d.MemTotal <= 0 || mib<<20 <= d.MemTotal {
		return ""
	}
	return fmt.Sprintf("up to %d task(s) of %s ask for %.1f GiB, more than the %.1f GiB Docker has: "+
		"they may be killed by the daemon's machine running out of memory rather than by their own limit; "+
		"give Docker more memory (Docker Desktop, OrbStack, colima: its VM's settings) or run fewer or smaller tasks",
		tasks, sc.Name, float64(mib)/1024, float64(d.MemTotal)/(1<<30))
}
