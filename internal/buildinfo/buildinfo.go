// Package buildinfo says which lab this is: its version and commit (set
// by `make` through -ldflags, else read from the Go build info), the Go
// version that built it and its platform.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by `make build` and `make dist`:
//
//	-ldflags "-X github.com/ecslab/lab/internal/buildinfo.version=v1.2.3 -X github.com/ecslab/lab/internal/buildinfo.commit=abc1234"
var (
	version string
	commit  string
)

// Info describes the running lab.
type Info struct {
	Version   string // e.g. v1.2.3, a git describe, or (devel)
	Commit    string // the VCS revision, when known
	Time      string // the commit's time (RFC 3339), when known
	Modified  bool   // built from a checkout with uncommitted changes
	GoVersion string // e.g. go1.26.8
	Platform  string // GOOS/GOARCH, e.g. darwin/arm64
	CGO       bool   // built with cgo
}

// Read returns the running lab's Info.
func Read() Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return withDefaults(info)
	}
	return withDefaults(merge(info, bi))
}

// merge fills what -ldflags did not set from the build info: the module
// version (`go install ...@v1.2.3`) and the vcs settings (a build in a
// checkout).
func merge(info Info, bi *debug.BuildInfo) Info {
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "CGO_ENABLED":
			info.CGO = s.Value == "1"
		}
	}
	return info
}

func withDefaults(info Info) Info {
	if info.Version == "" {
		info.Version = "(devel)"
	}
	return info
}
