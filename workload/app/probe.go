package app

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The CPU probe: `lab-workload probe` (or `lab workload probe`), what `lab calibrate` runs in a
// container here and as a task on Fargate, so that the two figures come
// from the same work.

// ProbeName names the probe's work. Figures of another probe are not
// comparable.
const ProbeName = "xorshift64-v1"

// probeRounds is one run's work: 2^28 rounds of xorshift, about half a
// second of CPU on a 3 GHz core. Each round is 3 shifts and 3 xors that
// depend on one another (about 6 cycles on x86-64), so the figure follows
// the core's sustained clock rather than its width or its caches.
const probeRounds = 1 << 28

// probeRuns is how many runs the probe makes; it reports the fastest,
// the least disturbed by whatever else the host runs.
const probeRuns = 3

// ProbeResult is what the probe prints, one JSON line.
type ProbeResult struct {
	Probe  string `json:"probe"`
	Rounds int64  `json:"rounds"`
	// CPUSeconds and WallSeconds are the fastest run's CPU time (the
	// thread's own clock) and wall time.
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// Score is rounds per microsecond of CPU time: how fast one core (a
	// vCPU) computes while it runs. A quota changes the wall time, not
	// the score.
	Score    float64 `json:"score"`
	Arch     string  `json:"arch"`
	CPUModel string  `json:"cpu_model,omitempty"`
	// QuotaCPUs is the CFS quota the probe ran under, in cores, as its
	// cgroup says; 0 when it found none.
	QuotaCPUs float64 `json:"quota_cpus,omitempty"`
}

// RunProbe runs the probe on a thread of its own and returns the fastest
// of its runs. Where no per-thread CPU clock exists, CPU time is taken
// to be the wall time.
func RunProbe() ProbeResult {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	res := ProbeResult{Probe: ProbeName, Rounds: probeRounds, Arch: runtime.GOARCH, CPUModel: cpuModel(), QuotaCPUs: cgroupQuota()}
	for range probeRuns {
		wall0 := time.Now()
		cpu0, cerr := threadCPUTime()
		x := spin(uint64(wall0.UnixNano())|1, probeRounds)
		cpu1, cerr2 := threadCPUTime()
		wall := time.Since(wall0)
		burnSink.Add(x)
		cpu := cpu1 - cpu0
		if cerr != nil || cerr2 != nil {
			cpu = wall
		}
		if score := float64(probeRounds) / float64(cpu.Microseconds()); score > res.Score {
			res.Score, res.CPUSeconds, res.WallSeconds = score, cpu.Seconds(), wall.Seconds()
		}
	}
	return res
}

// WriteProbe runs the probe and writes its result as one JSON line.
func WriteProbe(w io.Writer) error {
	return json.NewEncoder(w).Encode(RunProbe())
}

// cpuModel is the first "model name" of /proc/cpuinfo (x86) or its CPU
// part (arm64); empty elsewhere.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	part := ""
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
		case k == "model name":
			return v
		case k == "CPU part" && part == "":
			part = "CPU part " + v
		}
	}
	return part
}

// cgroupQuota reads the CFS quota of the probe's cgroup, in cores:
// cpu.max (cgroup v2) or cpu.cfs_quota_us / cpu.cfs_period_us (v1).
func cgroupQuota() float64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			return ratio(f[0], f[1])
		}
		return 0
	}
	q, err1 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	p, err2 := os.ReadFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if err1 != nil || err2 != nil {
		return 0
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

func ratio(a, b string) float64 {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || x <= 0 || y <= 0 {
		return 0
	}
	return x / y
}
