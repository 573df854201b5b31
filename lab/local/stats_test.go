package local

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestEnvelopeCPUPercent(t *testing.T) {
	tests := []struct {
		name    string
		cpu     time.Duration
		wall    time.Duration
		units   float64
		wantPct float64
	}{
		{"quarter vCPU fully used", 250 * time.Millisecond, time.Second, 256, 100},
		{"half vCPU, 0.4 used", 400 * time.Millisecond, time.Second, 512, 80},
		{"one vCPU, 0.4 used", 400 * time.Millisecond, time.Second, 1024, 40},
		{"burst over the quota is capped", 300 * time.Millisecond, time.Second, 256, 100},
		{"two vCPU idle", 0, time.Second, 2048, 0},
		{"no wall time", time.Second, 0, 1024, 0},
		{"calibrated quarter vCPU (x 0.9), fully used", 225 * time.Millisecond, time.Second, 230.4, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := envelopeCPUPercent(tt.cpu, tt.wall, tt.units)
			if diff := got - tt.wantPct; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("envelopeCPUPercent(%v, %v, %g) = %v, want %v", tt.cpu, tt.wall, tt.units, got, tt.wantPct)
			}
		})
	}
}

func TestResidentBytes(t *testing.T) {
	v1 := container.MemoryStats{Usage: 300 << 20, Stats: map[string]uint64{"cache": 100 << 20, "inactive_file": 50 << 20}}
	if got := residentBytes(v1); got != 200<<20 {
		t.Errorf("cgroup v1: got %d MiB, want 200 (usage - cache)", got>>20)
	}
	v2 := container.MemoryStats{Usage: 300 << 20, Stats: map[string]uint64{"anon": 250 << 20, "inactive_file": 50 << 20}}
	if got := residentBytes(v2); got != 250<<20 {
		t.Errorf("cgroup v2: got %d MiB, want 250 (usage - inactive_file)", got>>20)
	}
	if got := residentBytes(container.MemoryStats{Usage: 1, Stats: map[string]uint64{"cache": 5}}); got != 0 {
		t.Errorf("cache above usage: got %d, want 0", got)
	}
}

// Stats payloads recorded from real daemons, in testdata:
//
//   - stats-v1-cgroupfs-busy.json: this project's build machine (Docker
//     20.10.24, cgroup v1, cgroupfs), GET /containers/{id}/stats?stream=false
//     of the built-in app at --cpus 0.25 -m 512m, 48 MiB leaked and 40
//     /cpu_intensive requests in flight.
//   - stats-v2-shm-full.json: a cgroup v2 daemon, recorded by the
//     OpenTelemetry Collector's docker_stats receiver for its tests
//     (open-telemetry/opentelemetry-collector-contrib,
//     receiver/dockerstatsreceiver/testdata/mock/cgroups_v2/stats.json):
//     a 256 MiB container that filled /dev/shm to its limit, a stream's
//     first sample (no precpu_stats).
//   - stats-v2-docker-desktop-memory.json: memory_stats of Docker Desktop
//     on macOS (cgroup v2), as a user posted it to
//     Docker's issue tracker (moby/moby) in a report on its memory figures.

func readStats(t *testing.T, name string) container.StatsResponse {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var s container.StatsResponse
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestUsageOfACgroupV1Payload(t *testing.T) {
	s := readStats(t, "stats-v1-cgroupfs-busy.json")
	if cgroupV2(s.MemoryStats) {
		t.Fatal("a cgroup v1 payload taken for v2")
	}
	u, ok := usageOf(s, 256)
	if !ok {
		t.Fatal("no CPU figure from a payload with precpu_stats")
	}
	// 203.4 ms of CPU (total_usage 1613702236 - 1410300822 ns) in 1.0067 s
	// (read - preread) is 0.202 of a core: 80.8% of 0.25 vCPU.
	if math.Abs(u.CPUPct-80.81) > 0.01 {
		t.Errorf("CPU %.2f%% of the envelope, want 80.81", u.CPUPct)
	}
	// usage 83320832 - cache 22351872: the leaked buffers and the runtime,
	// not the page cache of the binary.
	if want := float64(83320832-22351872) / (1 << 20); math.Abs(u.MemMiB-want) > 1e-9 {
		t.Errorf("memory %.2f MiB, want %.2f", u.MemMiB, want)
	}
	if u.OOMEvents != 0 {
		t.Errorf("v1 failcnt %d counted as OOM events", s.MemoryStats.Failcnt)
	}
}

func TestUsageOfCgroupV2Payloads(t *testing.T) {
	s := readStats(t, "stats-v2-shm-full.json")
	if !cgroupV2(s.MemoryStats) {
		t.Fatal("a cgroup v2 payload taken for v1")
	}
	u, ok := usageOf(s, 1024)
	if ok {
		t.Errorf("a stream's first sample (no precpu_stats) gave a CPU figure: %.1f%%", u.CPUPct)
	}
	// /dev/shm is shmem, counted in inactive_anon, not inactive_file (0
	// here): all of usage stays, the container is at its limit.
	if want := float64(234647552) / (1 << 20); math.Abs(u.MemMiB-want) > 1e-9 {
		t.Errorf("memory %.2f MiB, want %.2f (usage, shared memory is not reclaimable)", u.MemMiB, want)
	}
	if u.OOMEvents != 1 {
		t.Errorf("OOM events %d, want 1 (memory.events oom, as failcnt)", u.OOMEvents)
	}

	d := readStats(t, "stats-v2-docker-desktop-memory.json")
	if !cgroupV2(d.MemoryStats) || residentBytes(d.MemoryStats) != 692224 {
		t.Errorf("Docker Desktop: v2 %v, resident %d; want v2 and usage 692224 less inactive_file 0",
			cgroupV2(d.MemoryStats), residentBytes(d.MemoryStats))
	}
}

func TestOOMFromCgroupV2StatsNeedsASIGKILL(t *testing.T) {
	v2 := container.MemoryStats{Usage: 512 << 20, Failcnt: 3, Stats: map[string]uint64{"anon": 500 << 20, "inactive_file": 0}}
	if oomEvents(v2) != 3 {
		t.Errorf("v2 failcnt 3: %d OOM events, want 3", oomEvents(v2))
	}
	v1 := container.MemoryStats{Usage: 512 << 20, Failcnt: 3, Stats: map[string]uint64{"cache": 1 << 20, "rss": 500 << 20}}
	if oomEvents(v1) != 0 {
		t.Errorf("v1 failcnt (limit hits, reclaimed or not) taken as OOM events: %d", oomEvents(v1))
	}
}
