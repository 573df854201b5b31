package main

import (
	"bytes"
	"testing"

	"github.com/ecslab/lab/internal/buildinfo"
)

func TestPrintVersion(t *testing.T) {
	var b bytes.Buffer
	info := buildinfo.Info{Version: "v1.4.0", Commit: "0123456789abcdef0123", Time: "2026-12-06T18:00:00Z", Modified: true,
		GoVersion: "go1.26.8", Platform: "darwin/arm64", CGO: true}
	if err := printVersion(&b, info); err != nil {
		t.Fatal(err)
	}
	want := "lab v1.4.0\ncommit:   0123456789ab 2026-12-06T18:00:00Z (with uncommitted changes)\ngo:       go1.26.8\nplatform: darwin/arm64 (cgo)\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
