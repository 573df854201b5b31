package local

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// usage is one task's resource use, as the last two stats samples show it.
type usage struct {
	CPUPct float64 // percent of the task's cpu envelope
	MemMiB float64 // resident memory, page cache excluded
	// OOMEvents counts the times the task's memory hit its limit with
	// nothing left to reclaim (cgroup v2 only; 0 on v1).
	OOMEvents uint64
}

// envelopeCPUPercent converts a container's CPU time over a wall-clock
// interval into percent of its Fargate envelope, as ECS reports it:
// 100 * cpu ns used / wall ns / vCPUs, capped at 100 because a task-level
// limit caps the metric (reference/ecs-semantics.md). docker stats would
// instead report percent of one host core.
func envelopeCPUPercent(cpuDelta, wallDelta time.Duration, cpuUnits float64) float64 {
	if wallDelta <= 0 || cpuUnits <= 0 || cpuDelta < 0 {
		return 0
	}
	vcpu := cpuUnits / 1024
	pct := 100 * float64(cpuDelta) / float64(wallDelta) / vcpu
	return min(pct, 100)
}

// residentBytes is memory usage less page cache, as the ECS agent counts
// it: usage - cache on cgroup v1, usage - inactive_file on cgroup v2
// (the key docker stats subtracts there too). Shared memory (tmpfs,
// /dev/shm) is not page cache that can be dropped: v2 counts it as
// inactive_anon, so it stays in.
func residentBytes(m container.MemoryStats) uint64 {
	key := "cache"
	if cgroupV2(m) {
		key = "inactive_file"
	}
	cache := m.Stats[key]
	if cache > m.Usage {
		return 0
	}
	return m.Usage - cache
}

// cgroupV2 reports whether memory stats come from cgroup v2, whose
// memory.stat names differ from v1's: anon and file instead of rss and
// cache.
func cgroupV2(m container.MemoryStats) bool {
	_, v1 := m.Stats["cache"]
	_, anon := m.Stats["anon"]
	_, file := m.Stats["file"]
	return !v1 && (anon || file)
}

// oomEvents is how many times the container's memory hit its limit with
// nothing left to reclaim, on cgroup v2: Docker reports memory.events'
// oom counter as failcnt there. On v1 failcnt counts every time usage
// touched the limit, reclaim or not, so it says nothing about kills.
func oomEvents(m container.MemoryStats) uint64 {
	if !cgroupV2(m) {
		return 0
	}
	return m.Failcnt
}

// usageOf is a task's use in one stats sample: CPU over the interval
// since the daemon's previous sample (precpu_stats, preread; a stream's
// first sample has none, and ok is false), and resident memory.
func usageOf(s container.StatsResponse, cpuUnits float64) (u usage, ok bool) {
	u.MemMiB = float64(residentBytes(s.MemoryStats)) / (1 << 20)
	u.OOMEvents = oomEvents(s.MemoryStats)
	cur, pre := s.CPUStats.CPUUsage.TotalUsage, s.PreCPUStats.CPUUsage.TotalUsage
	if s.PreRead.IsZero() || pre == 0 || cur < pre {
		return u, false
	}
	u.CPUPct = envelopeCPUPercent(time.Duration(cur-pre), s.Read.Sub(s.PreRead), cpuUnits)
	return u, true
}

// statsSource opens a container's stats stream; the Docker client does it.
type statsSource interface {
	ContainerStats(ctx context.Context, containerID string, stream bool) (container.StatsResponseReader, error)
}

// watchStats decodes a container's stats stream until ctx ends or the
// stream closes, and keeps the latest usage. One goroutine per task, as
// docker stats does it.
type watchStats struct {
	mu     sync.Mutex
	latest usage
}

func (w *watchStats) get() usage {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest
}

func (w *watchStats) run(ctx context.Context, src statsSource, id string, cpuUnits float64) error {
	resp, err := src.ContainerStats(ctx, id, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		u, ok := usageOf(s, cpuUnits)
		w.mu.Lock()
		if !ok {
			u.CPUPct = w.latest.CPUPct
		}
		w.latest = u
		w.mu.Unlock()
	}
}
