package app

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/ecslab/lab/workload/knobs"
)

// residentBytes returns the process's resident set size.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	fields := strings.Fields(string(b))
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

func TestLeakIsResident(t *testing.T) {
	const per, n = 8 << 20, 8
	app := New(Config{LeakPerRequest: per})
	debug.FreeOSMemory() // so that the leak cannot reuse pages that are resident already
	before := residentBytes(t)
	for range n {
		app.leak(per)
	}
	grown := residentBytes(t) - before
	if grown < n*per*3/4 {
		t.Errorf("leaking %s grew the resident set by %s only", knobs.FormatSize(n*per), knobs.FormatSize(grown))
	}
	runtime.KeepAlive(app)
}
