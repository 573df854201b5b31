// Command alloc allocates, and writes, memory until the kernel kills it:
// a container that is OOM-killed as soon as it starts.
//
// It waits a moment first: containerd's shim attaches its OOM monitor to
// a container's cgroup only after the process started, and on cgroup v1
// an OOM kill before that has no oom event (nor State.OOMKilled) at all.
// A test of how lab reads Docker's events needs Docker to send them.
package main

import (
	"os"
	"time"
)

func main() {
	time.Sleep(200 * time.Millisecond)
	var kept [][]byte
	for range 1 << 12 { // 64 GiB at most: far past any limit a test sets
		b := make([]byte, 16<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // a page written is a page resident
		}
		kept = append(kept, b)
	}
	os.Exit(len(kept) % 2) // never reached under a memory limit
}
