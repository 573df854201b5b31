//go:build !linux

package app

import "time"

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
