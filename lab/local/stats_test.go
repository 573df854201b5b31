package local

import (
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
	v2 := container.MemoryStats{Usage: 300 << 20, Stats: map[string]uint64{"inactive_file": 50 << 20}}
	if got := residentBytes(v2); got != 250<<20 {
		t.Errorf("cgroup v2: got %d MiB, want 250 (usage - inactive_file)", got>>20)
	}
	if got := residentBytes(container.MemoryStats{Usage: 1, Stats: map[string]uint64{"cache": 5}}); got != 0 {
		t.Errorf("cache above usage: got %d, want 0", got)
	}
}
