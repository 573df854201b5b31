package main

import (
	"bytes"
	"testing"
)

// Every line gets the prefix once, however the writes cut it: the image
// preparation writes its line in two parts, Push writes whole lines.
func TestPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	w := &prefixWriter{w: &b, prefix: "lab: "}
	for _, s := range []string{"preparing the workload image... ", "built lab-workload:1\n", "pushing a\nlayer b\n", "", "done", "\n"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	want := "lab: preparing the workload image... built lab-workload:1\nlab: pushing a\nlab: layer b\nlab: done\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
