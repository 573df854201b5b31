package calibration

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/workload/app"
)

func measured(where string, score float64) *Measurement {
	return &Measurement{ProbeResult: app.ProbeResult{Probe: app.ProbeName, Score: score, CPUModel: "test CPU"}, Where: where,
		Region: "eu-west-1", MeasuredAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

func TestFor(t *testing.T) {
	var f File
	if _, err := f.For(X86_64); !errors.Is(err, ErrNoHost) {
		t.Errorf("no host measurement: %v, want ErrNoHost", err)
	}
	f.Host = measured("local", 600)

	c, err := f.For(X86_64)
	if err != nil {
		t.Fatal(err)
	}
	// The default: 3.1 GHz at 6 cycles a round, 516.7 rounds per µs.
	if c.FargateScore != 516.7 || c.HostScore != 600 || c.Factor != 0.861 || !strings.Contains(c.Source, "estimate from public figures") {
		t.Errorf("against the default: %+v", c)
	}
	f.Fargate = map[string]*Measurement{X86_64: measured("fargate", 450)}
	if c, _ = f.For(X86_64); c.Factor != 0.75 || !strings.Contains(c.Source, "a probe run on Fargate X86_64 in eu-west-1, 2026-12-01") {
		t.Errorf("against a Fargate run: %+v", c)
	}
	if c, _ = f.For(ARM64); c.FargateScore != 416.7 || c.Factor != 0.695 {
		t.Errorf("ARM64 falls back to its own default: %+v", c)
	}
	if _, err := f.For("SPARC"); err == nil {
		t.Error("an unknown platform is accepted")
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab", "calibration.json")
	f, err := Load(path)
	if err != nil || f.Host != nil {
		t.Fatalf("a missing file: %+v, %v; want an empty one", f, err)
	}
	f.Host = measured("local", 555.5)
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil || back.Host == nil || back.Host.Score != 555.5 || back.Host.Probe != app.ProbeName {
		t.Fatalf("read back %+v, %v", back, err)
	}
}

func TestPath(t *testing.T) {
	t.Setenv("LAB_CALIBRATION", "/x/c.json")
	if p, _ := Path(); p != "/x/c.json" {
		t.Errorf("Path = %s with LAB_CALIBRATION set", p)
	}
	t.Setenv("LAB_CALIBRATION", "")
	t.Setenv("XDG_STATE_HOME", "/state")
	if p, _ := Path(); p != "/state/lab/calibration.json" {
		t.Errorf("Path = %s with XDG_STATE_HOME set", p)
	}
}
