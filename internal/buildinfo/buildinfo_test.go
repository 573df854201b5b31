package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestMergePrefersWhatMakeSet(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/ecslab/lab", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "CGO_ENABLED", Value: "1"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-12-06T18:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := merge(Info{}, bi)
	want := Info{Version: "v1.4.0", Commit: "0123456789abcdef", Time: "2026-12-06T18:00:00Z", Modified: true, GoVersion: "go1.26.8", CGO: true}
	if got != want {
		t.Errorf("from the build info alone:\n%+v\nwant\n%+v", got, want)
	}
	got = merge(Info{Version: "v1.4.0-3-gabc1234", Commit: "abc1234"}, bi)
	if got.Version != "v1.4.0-3-gabc1234" || got.Commit != "abc1234" {
		t.Errorf("-ldflags values were replaced: %+v", got)
	}
}

func TestReadNamesThisBuild(t *testing.T) {
	info := Read()
	if info.Version == "" || info.GoVersion == "" || info.Platform == "" {
		t.Errorf("Read() = %+v: version, Go version and platform must be known", info)
	}
}
