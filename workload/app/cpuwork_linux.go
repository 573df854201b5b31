package app

import (
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// burnCPU busy-computes until the calling goroutine has used d of CPU
// time, measured on its thread's own CPU clock. The goroutine is locked to
// its thread meanwhile, so that the clock counts this request's work and
// nothing else. Time spent waiting for a CPU (CFS throttling under a
// container's CPU limit, other requests) is not counted, so a throttled
// container takes proportionally longer in wall time: at 0.25 vCPU, 80ms
// of CPU takes at least 320ms.
func burnCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, err := threadCPUTime()
	if err != nil {
		burnWall(d)
		return
	}
	x := uint64(start) | 1
	for {
		x = spin(x, burnChunk)
		now, err := threadCPUTime()
		if err != nil || now-start >= d {
			break
		}
	}
	burnSink.Add(x)
}

// threadCPUTime returns the CPU time the calling thread has used.
//
// It is a raw system call: clock_gettime never blocks, and telling the Go
// scheduler about it (as unix.ClockGettime does) costs dearly in a
// throttled container. There a thread often freezes for the rest of a CFS
// period in the middle of the call; the runtime's sysmon then sees a P
// "in a system call" for too long, hands it to another thread and keeps
// polling at its fastest rate. Measured at 0.25 vCPU, that spent about 4%
// of the container's CPU outside the requests' clocks.
func threadCPUTime() (time.Duration, error) {
	var ts unix.Timespec
	_, _, errno := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_THREAD_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, errno
	}
	return time.Duration(ts.Nano()), nil
}
