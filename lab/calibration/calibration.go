// Package calibration compares this host's CPU with a Fargate vCPU, so
// that a local run of a user's image computes, per task, what the task
// would on Fargate. The same probe (package workload's, `lab workload
// probe`: a fixed chain of integer work) runs here in a container under a
// known CFS quota and, with `lab calibrate --target ecs`, as a Fargate
// task; the ratio of their scores scales the quota of lab's tasks
// (--calibrated). Without a Fargate run a default per platform, an
// estimate from public figures, stands in, and says so.
//
// The built-in app needs none of this: its CPU_WORK is CPU time on the
// thread's clock, which a faster core spends just the same.
package calibration

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ecslab/lab/internal/atomicfile"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/workload/app"
)

// Fargate platforms (a task definition's runtimePlatform.cpuArchitecture).
const (
	X86_64 = "X86_64"
	ARM64  = "ARM64"
)

// cyclesPerRound is what one round of the probe (3 shifts and 3 xors,
// each depending on the one before) takes on the cores Fargate runs: a
// shift and an xor, one cycle each, per line on x86-64, and an xor with
// a shifted operand, 2 cycles, on Arm Neoverse N1 (Graviton2): 6 either
// way.
const cyclesPerRound = 6

// Default is a Fargate platform's probe score when no probe has run there:
// an estimate from public figures, not a measurement.
type Default struct {
	Score  float64
	Source string
}

// Defaults are the estimates per platform: the sustained clock AWS
// publishes for the processors Fargate tasks report, in rounds per
// microsecond (MHz / cycles per round).
var Defaults = map[string]Default{
	X86_64: {Score: 3100.0 / cyclesPerRound, Source: "lab's default for Fargate X86_64, an estimate from public figures: " +
		"Intel Xeon Platinum 8175M/8259CL (what x86 Fargate tasks report), up to 3.1 GHz sustained as AWS lists them for M5, at 6 cycles per probe round"},
	ARM64: {Score: 2500.0 / cyclesPerRound, Source: "lab's default for Fargate ARM64, an estimate from public figures: " +
		"AWS Graviton2 (Neoverse N1) at 2.5 GHz, at 6 cycles per probe round"},
}

// Measurement is one probe run and where it ran.
type Measurement struct {
	app.ProbeResult
	// Where is "local" (this host, in a container) or "fargate".
	Where      string    `json:"where"`
	Platform   string    `json:"platform,omitempty"` // Fargate's: X86_64 or ARM64
	Region     string    `json:"region,omitempty"`
	MeasuredAt time.Time `json:"measured_at"`
}

// File is what lab calibrate keeps: the host's last probe, and the last
// Fargate probe per platform.
type File struct {
	Host    *Measurement            `json:"host,omitempty"`
	Fargate map[string]*Measurement `json:"fargate,omitempty"`
}

// Path is where the file lives: $LAB_CALIBRATION, else
// $XDG_STATE_HOME/lab/calibration.json, else
// ~/.local/state/lab/calibration.json.
func Path() (string, error) {
	if p := os.Getenv("LAB_CALIBRATION"); p != "" {
		return p, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "lab", "calibration.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("calibration: no home directory: set LAB_CALIBRATION (%w)", err)
	}
	return filepath.Join(home, ".local", "state", "lab", "calibration.json"), nil
}

// Load reads the file at path; a missing file is an empty one.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("calibration: %s: %w", path, err)
	}
	return &f, nil
}

// Save writes the file at path, atomically.
func (f *File) Save(path string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	return nil
}

// ErrNoHost says that the host has not been probed yet.
var ErrNoHost = errors.New("this host has not been calibrated: run `lab calibrate` first")

// For is the calibration against a Fargate platform: the factor that
// scales a task's CPU quota here (Fargate's score / the host's), and where
// the Fargate figure came from: a probe run on Fargate, else the default.
func (f *File) For(platform string) (lab.Calibration, error) {
	if f.Host == nil || f.Host.Score <= 0 {
		return lab.Calibration{}, ErrNoHost
	}
	def, ok := Defaults[platform]
	if !ok {
		return lab.Calibration{}, fmt.Errorf("calibration: unknown Fargate platform %q (want %s or %s)", platform, X86_64, ARM64)
	}
	c := lab.Calibration{Platform: platform, HostScore: round(f.Host.Score), FargateScore: round(def.Score), Source: def.Source}
	if m := f.Fargate[platform]; m != nil && m.Score > 0 {
		c.FargateScore = round(m.Score)
		c.Source = fmt.Sprintf("a probe run on Fargate %s in %s, %s (%s)", platform, m.Region, m.MeasuredAt.UTC().Format(time.DateOnly), m.CPUModel)
	}
	c.Factor = math.Round(c.FargateScore/c.HostScore*1000) / 1000
	return c, nil
}

// round keeps a score's first decimal.
func round(v float64) float64 { return math.Round(v*10) / 10 }
