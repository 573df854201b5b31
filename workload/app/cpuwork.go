package app

import (
	"sync/atomic"
	"time"
)

// burnChunk is the number of spin rounds between two reads of the clock:
// tens of microseconds of work (30-80µs on the hosts measured), so that a
// burn overshoots its target by at most that much, and reading the clock
// (about 1µs in a VM) stays a small part of the work. Both count as CPU
// time spent, so neither makes the burn inaccurate.
const burnChunk = 1 << 14

// burnSink receives every burn's result, so that the compiler cannot
// prove the work useless and remove it.
var burnSink atomic.Uint64

// spin does n rounds of xorshift on x. Each round depends on the previous
// one, so the work cannot be vectorised or skipped.
func spin(x uint64, n int) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// burnWall busy-computes until d of wall time has passed. It is the
// fallback where no per-thread CPU clock is available: it spends the
// requested CPU time only when the CPU is not contended.
func burnWall(d time.Duration) {
	start := time.Now()
	x := uint64(start.UnixNano()) | 1
	for time.Since(start) < d {
		x = spin(x, burnChunk)
	}
	burnSink.Add(x)
}
