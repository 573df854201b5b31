package app

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time (user + system) the process has used.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestBurnCPUSpendsTheRequestedCPUTime(t *testing.T) {
	const work = 200 * time.Millisecond
	runtime.LockOSThread() // so that the thread clock below is this goroutine's
	defer runtime.UnlockOSThread()
	before, err := threadCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	burnCPU(work)
	after, err := threadCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	if used := after - before; used < work || used > work+20*time.Millisecond {
		t.Errorf("burnCPU(%v) used %v of thread CPU time", work, used)
	}
}

func TestBurnCPUCountsOnlyItsOwnWork(t *testing.T) {
	// Three requests burning at once on a single P: each must still spend
	// its own CPU time, so together they take about three times as long
	// in wall time, as requests do in a throttled container.
	const work, n = 100 * time.Millisecond, 3
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	cpuBefore, start := processCPU(t), time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { burnCPU(work) })
	}
	wg.Wait()
	wall, cpu := time.Since(start), processCPU(t)-cpuBefore

	if cpu < n*work || cpu > n*work*3/2 {
		t.Errorf("%d burns of %v used %v of process CPU time, want about %v", n, work, cpu, n*work)
	}
	if wall < n*work*9/10 {
		t.Errorf("%d burns of %v on one P took %v of wall time, want at least about %v", n, work, wall, n*work)
	}
}

func TestBurnCPUZeroIsFree(t *testing.T) {
	start := time.Now()
	burnCPU(0)
	burnCPU(-time.Second)
	if took := time.Since(start); took > 10*time.Millisecond {
		t.Errorf("burnCPU(0) took %v", took)
	}
}
