package local

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

// Labels that say who started a run and how to tell, from any shell on
// the same host and whatever its HOME, XDG_CACHE_HOME or uid, whether the
// run's process is still alive: its pid and the start time the kernel
// gives that process (a pid is reused, a pid with the same start time in
// the same boot and pid namespace is the same process). Where the OS has
// no /proc (macOS, Windows), the run's lock file, by its full path.
// docs/architecture.md says why both.
const (
	LabelOwnerUID  = "io.ecslab.owner.uid"
	LabelOwnerHost = "io.ecslab.owner.host"
	LabelPID       = "io.ecslab.pid"
	LabelPIDStart  = "io.ecslab.pid.start" // /proc/PID/stat field 22: clock ticks after boot
	LabelBoot      = "io.ecslab.boot"      // /proc/sys/kernel/random/boot_id
	LabelPIDNS     = "io.ecslab.pidns"     // /proc/self/ns/pid, e.g. pid:[4026531836]
	LabelLock      = "io.ecslab.lock"      // the run's lock file, an absolute path
	LabelRunImage  = "io.ecslab.run.image" // the image the run's tasks use
)

// Labels of runs of older lab versions: gc still reads them.
const (
	legacyLabelRun = "lab.run"
)

var (
	runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	digits       = regexp.MustCompile(`^[0-9]{1,20}$`)
	bootPattern  = regexp.MustCompile(`^[0-9a-f-]{36}$`)
	pidNSPattern = regexp.MustCompile(`^pid:\[[0-9]{1,20}\]$`)
)

// validRunID says whether a run id read from a label may name a file.
func validRunID(id string) bool { return runIDPattern.MatchString(id) }

// proof is a run's owner and liveness proof, as read back from labels.
type proof struct {
	uid   int
	host  string
	pid   int
	start string // "" where the OS has no /proc
	boot  string
	pidNS string
	lock  string // "" when the run held no lock
}

// self is this process's proof, worked out once.
var self = sync.OnceValue(func() proof {
	p := proof{uid: os.Getuid(), pid: os.Getpid()}
	p.host, _ = os.Hostname()
	p.start, p.boot, p.pidNS = procIdentity(p.pid)
	return p
})

// heldLocks are the run locks this process holds, by run id: the labels
// name the lock file only of a run whose lock is held.
var heldLocks sync.Map

// RunLabels are the labels of everything a run creates: its id, who
// started it, and the proof that it is alive.
func RunLabels(runID string) map[string]string {
	p := self()
	l := map[string]string{
		LabelRun:       runID,
		LabelOwnerUID:  strconv.Itoa(p.uid),
		LabelOwnerHost: p.host,
		LabelPID:       strconv.Itoa(p.pid),
	}
	if p.start != "" {
		l[LabelPIDStart], l[LabelBoot], l[LabelPIDNS] = p.start, p.boot, p.pidNS
	}
	if path, ok := heldLocks.Load(runID); ok {
		l[LabelLock] = path.(string)
	}
	return l
}

// parseProof reads a run's proof from its labels, refusing any value
// that is not what lab writes: the lock path is opened and removed, so it
// must be an absolute, clean path to <run id>.lock.
func parseProof(runID string, l map[string]string) (proof, error) {
	var p proof
	var err error
	if p.uid, err = atoiLabel(l, LabelOwnerUID); err != nil {
		return p, err
	}
	if p.pid, err = atoiLabel(l, LabelPID); err != nil {
		return p, err
	}
	if p.pid <= 0 {
		return p, fmt.Errorf("label %s=%d: not a pid", LabelPID, p.pid)
	}
	p.host = l[LabelOwnerHost]
	if p.host == "" {
		return p, fmt.Errorf("label %s missing", LabelOwnerHost)
	}
	if p.start = l[LabelPIDStart]; p.start != "" {
		p.boot, p.pidNS = l[LabelBoot], l[LabelPIDNS]
		if !digits.MatchString(p.start) || !bootPattern.MatchString(p.boot) || !pidNSPattern.MatchString(p.pidNS) {
			return p, fmt.Errorf("labels %s, %s, %s: %q, %q, %q are not what lab writes", LabelPIDStart, LabelBoot, LabelPIDNS, p.start, p.boot, p.pidNS)
		}
	}
	if p.lock = l[LabelLock]; p.lock != "" {
		if !filepath.IsAbs(p.lock) || filepath.Clean(p.lock) != p.lock || filepath.Base(p.lock) != runID+".lock" {
			return p, fmt.Errorf("label %s=%q: not the absolute path of %s.lock", LabelLock, p.lock, runID)
		}
	}
	return p, nil
}

func atoiLabel(l map[string]string, key string) (int, error) {
	v, ok := l[key]
	if !ok {
		return 0, fmt.Errorf("label %s missing", key)
	}
	if !digits.MatchString(v) {
		return 0, fmt.Errorf("label %s=%q: not a number", key, v)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("label %s=%q: %w", key, v, err)
	}
	return n, nil
}
