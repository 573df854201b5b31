package local

import (
	"strings"
	"testing"

	"github.com/ecslab/lab/scenarios"
)

func TestPlatformNoteOnlyForArm64(t *testing.T) {
	if note := (Daemon{Arch: "amd64"}).PlatformNote(); note != "" {
		t.Errorf("amd64 daemon: note %q, want none", note)
	}
	note := Daemon{Arch: "arm64"}.PlatformNote()
	for _, want := range []string{"Fargate's default is x86_64", "a local arm64 core is not a Fargate vCPU", "thread CPU clock", "calibration"} {
		if !strings.Contains(note, want) {
			t.Errorf("arm64 note %q does not say %q", note, want)
		}
	}
}

func TestGoArch(t *testing.T) {
	for in, want := range map[string]string{"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "amd64": "amd64"} {
		if got := goArch(in); got != want {
			t.Errorf("goArch(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestMemoryWarning(t *testing.T) {
	sc := &scenarios.Scenario{Name: "big",
		Service: scenarios.Service{CPU: 1024, Memory: 2048, Count: 2},
		Matrix:  []scenarios.Override{{CPU: 1024, Memory: 2048}, {CPU: 2048, Memory: 4096, Count: 1}},
	}
	if mib, tasks := PeakMemory(sc); mib != 4096 || tasks != 2 {
		t.Errorf("PeakMemory = %d MiB over %d tasks, want 4096 over 2", mib, tasks)
	}
	sc.Autoscaling = &scenarios.Autoscaling{Min: 1, Max: 5}
	if mib, tasks := PeakMemory(sc); mib != 5*4096 || tasks != 5 {
		t.Errorf("with autoscaling to 5: %d MiB over %d tasks, want 20480 over 5", mib, tasks)
	}
	desktop := Daemon{MemTotal: 8 << 30} // Docker Desktop's VM, often 8 GB
	w := desktop.MemoryWarning(sc)
	if !strings.Contains(w, "up to 5 task(s) of big ask for 20.0 GiB, more than the 8.0 GiB Docker has") {
		t.Errorf("warning %q", w)
	}
	if w := (Daemon{MemTotal: 24 << 30}).MemoryWarning(sc); w != "" {
		t.Errorf("24 GiB daemon: warning %q, want none", w)
	}
}

func TestNetworkPathFromEnv(t *testing.T) {
	for v, want := range map[string]NetworkPath{"": PathAuto, "auto": PathAuto, "direct": PathDirect, "published": PathPublished} {
		t.Setenv(EnvContainerNetwork, v)
		if got, err := NetworkPathFromEnv(); err != nil || got != want {
			t.Errorf("%s=%q: %q, %v; want %q", EnvContainerNetwork, v, got, err, want)
		}
	}
	t.Setenv(EnvContainerNetwork, "host")
	if _, err := NetworkPathFromEnv(); err == nil || err.Error() != "LAB_CONTAINER_NETWORK=host: want auto, direct or published" {
		t.Errorf("a bad value: %v", err)
	}
	if PathPublished.TriesDirect() || !PathDirect.TriesDirect() {
		t.Error("published must never try container addresses, direct always")
	}
}
