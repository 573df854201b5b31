package app

import (
	"bytes"
	"encoding/json"
	"runtime"
	"testing"
)

// The probe does its fixed work and reports a score that is rounds per
// microsecond of the CPU time it took.
func TestProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of CPU")
	}
	var out bytes.Buffer
	if err := WriteProbe(&out); err != nil {
		t.Fatal(err)
	}
	var r ProbeResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("not one JSON line: %q: %v", out.String(), err)
	}
	if r.Probe != ProbeName || r.Rounds != probeRounds || r.Arch != runtime.GOARCH {
		t.Errorf("probe %+v", r)
	}
	if r.CPUSeconds <= 0 || r.WallSeconds < r.CPUSeconds*0.99 {
		t.Errorf("cpu %.3f s, wall %.3f s: wall time cannot be shorter than a thread's CPU time", r.CPUSeconds, r.WallSeconds)
	}
	if got := float64(r.Rounds) / (r.CPUSeconds * 1e6); got < r.Score*0.99 || got > r.Score*1.01 {
		t.Errorf("score %.1f, but %d rounds in %.3f s of CPU is %.1f", r.Score, r.Rounds, r.CPUSeconds, got)
	}
}

func TestRatio(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{{"50000", "100000", 0.5}, {"-1", "100000", 0}, {"max", "100000", 0}, {"25000", "0", 0}} {
		if got := ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("ratio(%s, %s) = %g, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}
