//go:build !linux

package app

import (
	"errors"
	"time"
)

var errNoThreadClock = errors.New("no per-thread CPU clock on this platform")

// burnCPU busy-computes for d of wall time. Only Linux has the per-thread
// CPU clock the workload relies on (the workload image is always a Linux
// binary); elsewhere, as when the app runs natively in a test on macOS,
// this is an approximation that holds while the CPU is not contended.
func burnCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	burnWall(d)
}

// threadCPUTime is unavailable here: the probe measures wall time.
func threadCPUTime() (time.Duration, error) { return 0, errNoThreadClock }
