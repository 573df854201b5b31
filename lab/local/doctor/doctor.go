// Package doctor checks the machine lab runs on for local runs: which
// Docker daemon lab finds and how, what it is (version, API, OS and
// architecture, cgroup version and driver, memory), whether lab reaches
// container addresses (it tries), whether it can give a task's containers
// one envelope as a parent cgroup, and which workload program it would
// package; and says, for each, what lab will do about it.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
)

// Status is a check's verdict.
type Status string

const (
	OK   Status = "ok"
	Note Status = "note" // lab works, differently or with a caveat
	Fail Status = "FAIL" // blocks a run
)

// Check is one thing the doctor looked at.
type Check struct {
	Name   string // endpoint, daemon, platform, cgroup, memory, workload, network, envelope
	Found  string // what it found
	Action string // what lab will do about it, or the fix when it failed
	Status Status
}

// Report is every check, in order.
type Report []Check

// Failed reports whether a check blocks a run.
func (r Report) Failed() bool {
	for _, c := range r {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Options are where the doctor looks; zero values are lab's defaults.
type Options struct {
	CgroupRoot string    // default /sys/fs/cgroup
	Log        io.Writer // progress of a workload image build
}

// Diagnose runs the checks. It stops after the first check that leaves
// nothing to check further (no daemon), and reports what it found so far.
func Diagnose(ctx context.Context, o Options) Report {
	if o.CgroupRoot == "" {
		o.CgroupRoot = "/sys/fs/cgroup"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	var r Report
	ep, err := dockerhost.Resolve()
	if err != nil {
		return append(r, Check{"endpoint", "none", err.Error(), Fail})
	}
	if !ep.Local() {
		return append(r, Check{"endpoint", ep.String(), "a daemon on another machine: lab reaches its tasks on ports published on this machine's 127.0.0.1; use a local daemon (Docker Desktop, OrbStack, colima, Docker Engine), e.g. `docker context use`", Fail})
	}
	r = append(r, Check{"endpoint", ep.String(), "lab uses it (DOCKER_HOST, DOCKER_CONTEXT or `docker context use` choose another)", OK})
	cli, err := local.ConnectTo(ctx, ep)
	if err != nil {
		return append(r, Check{"daemon", "not answering", err.Error(), Fail})
	}
	defer cli.Close()
	d, err := local.InspectDaemon(ctx, cli, ep)
	if err != nil {
		return append(r, Check{"daemon", "not answering", err.Error(), Fail})
	}
	r = append(r, daemonChecks(d)...)
	if d.OS != "linux" {
		return r
	}
	bin, binCheck := workloadCheck(ctx, d, o.Log)
	r = append(r, binCheck)
	r = append(r, networkCheck(ctx, cli, bin, o.Log))
	return append(r, envelopeCheck(d, o.CgroupRoot))
}

// daemonChecks are what the daemon says about itself.
func daemonChecks(d local.Daemon) Report {
	var r Report
	name := fmt.Sprintf("Docker %s (API %s), %s, kernel %s", d.Version, d.APIVersion, d.OperatingSystem, d.KernelVersion)
	if d.OS != "linux" {
		return append(r, Check{"daemon", name + ", " + d.OS + " containers", "switch Docker to Linux containers: lab's tasks are linux containers", Fail})
	}
	r = append(r, Check{"daemon", name, "lab runs tasks on it", OK})
	platform := Check{"platform", d.OS + "/" + d.Arch, "Fargate's default platform (X86_64)", OK}
	if note := d.PlatformNote(); note != "" {
		platform.Action, platform.Status = note, Note
	}
	r = append(r, platform)
	cgroup := fmt.Sprintf("v%s, %s driver", d.CgroupVersion, d.CgroupDriver)
	memory := "usage - cache"
	if d.CgroupVersion == "2" {
		memory = "usage - inactive_file"
	}
	r = append(r, Check{"cgroup", cgroup, "CPU from the stats stream, memory as " + memory + ", as the ECS agent counts it", OK})
	return append(r, memoryCheck(d))
}

// memoryCheck compares the daemon's memory with what the built-in
// scenarios may ask for at once.
func memoryCheck(d local.Daemon) Check {
	found := fmt.Sprintf("%.1f GiB, %d CPUs", float64(d.MemTotal)/(1<<30), d.NCPU)
	var worst string
	var most int64
	for _, b := range scenarios.Builtins() {
		sc, err := scenarios.Resolve(b.Name)
		if err != nil {
			continue
		}
		if mib, _ := local.PeakMemory(sc); mib > most {
			most, worst = mib, b.Name
		}
	}
	c := Check{"memory", found, fmt.Sprintf("every built-in scenario fits (at most %.1f GiB, %s); a run warns when its tasks may need more than Docker has", float64(most)/1024, worst), OK}
	if most<<20 > d.MemTotal {
		c.Action = fmt.Sprintf("%s may ask for %.1f GiB at once: give Docker more memory (its VM's settings) or expect the machine, not the task's limit, to kill tasks", worst, float64(most)/1024)
		c.Status = Note
	}
	return c
}

// workloadCheck finds the workload program for the daemon's architecture
// as a run would.
func workloadCheck(ctx context.Context, d local.Daemon, log io.Writer) (workload.Binary, Check) {
	f, err := workload.NewFinder(log)
	if err == nil {
		var bin workload.Binary
		bin, err = f.Find(ctx, workload.Platform{OS: d.OS, Arch: d.Arch})
		if err == nil {
			return bin, Check{"workload", bin.Path + " (" + bin.Source + ")", "packaged as the built-in app's image", OK}
		}
	}
	return workload.Binary{}, Check{"workload", "no program for linux/" + d.Arch, err.Error(), Fail}
}

// envelopeCheck says whether lab can give a task's containers one
// envelope as a parent cgroup.
func envelopeCheck(d local.Daemon, root string) Check {
	h, err := envelope.Probe(envelope.Daemon{Local: d.Endpoint.Local(), OS: d.OS, OperatingSystem: d.OperatingSystem,
		CgroupVersion: d.CgroupVersion, CgroupDriver: d.CgroupDriver}, root)
	if err != nil {
		why := err.Error()
		if errors.Is(err, envelope.ErrUnavailable) {
			why = why[len(envelope.ErrUnavailable.Error())+2:]
		}
		return Check{"envelope", "no parent cgroups: " + why, "each container gets its own CPU and memory limits", Note}
	}
	where := h.Root
	if h.Driver == envelope.DriverSystemd {
		where = "slices through systemctl"
	}
	return Check{"envelope", fmt.Sprintf("parent cgroups can be made (v%d, %s, %s)", h.Version, h.Driver, where),
		"a task's containers share one envelope, as on Fargate", OK}
}
