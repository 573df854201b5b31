// Command alloc allocates, and writes, memory until the kernel kills it:
// a container that is OOM-killed as soon as it starts.
package main

import "os"

func main() {
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
