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
// it: usage - cache on cgroup v1, usage - inactive_file on cgroup v2.
func residentBytes(m container.MemoryStats) uint64 {
	cache, ok := m.Stats["cache"]
	if !ok {
		cache = m.Stats["inactive_file"]
	}
	if cache > m.Usage {
		return 0
	}
	return m.Usage - cache
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
	var prev *container.StatsResponse
	for {
		var s container.StatsResponse
		if err := dec.Decode(&s); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		u := usage{MemMiB: float64(residentBytes(s.MemoryStats)) / (1 << 20)}
		if prev != nil && s.CPUStats.CPUUsage.TotalUsage >= prev.CPUStats.CPUUsage.TotalUsage {
			cpu := time.Duration(s.CPUStats.CPUUsage.TotalUsage - prev.CPUStats.CPUUsage.TotalUsage)
			u.CPUPct = envelopeCPUPercent(cpu, s.Read.Sub(prev.Read), cpuUnits)
		} else {
			u.CPUPct = w.get().CPUPct
		}
		w.mu.Lock()
		w.latest = u
		w.mu.Unlock()
		prev = &s
	}
}
