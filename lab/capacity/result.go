package capacity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ecslab/lab/internal/atomicfile"
	"github.com/ecslab/lab/lab"
)

// File is the name of a capacity search's results in its results
// directory.
const File = "capacity.json"

// SchemaVersion is capacity.json's schema_version: fields may be added
// without changing it; a renamed or removed field, or a changed meaning,
// raises it.
const SchemaVersion = 1

// Limits: what broke first above a size's sustainable rate
// (capacity.json's limited_by).
const (
	LimitedByNone = "none" // nothing broke up to the highest rate tried
)

// Report is capacity.json: what the search found for each size, and the
// fleet for a peak.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Scenario      string    `json:"scenario"`
	Target        string    `json:"target"`
	RunID         string    `json:"run_id"`
	StartedAt     time.Time `json:"started_at"`
	EndedAt       time.Time `json:"ended_at,omitzero"`
	// Interrupted: the search was stopped (Ctrl-C, SIGTERM, SIGHUP)
	// before its end. --max-duration does not set it: the search ends on
	// its own, and each size it cut short says so with End "budget".
	Interrupted bool `json:"interrupted,omitempty"`
	// SLO is the thresholds a step must hold; SLOFrom says where they
	// came from: "scenario", "flag" (--slo) or "default".
	SLO     []string `json:"slo"`
	SLOFrom string   `json:"slo_from"`
	// Headroom is the fraction of the sustainable rate kept spare when
	// pricing and sizing a fleet (0.3: run at 70% of it).
	Headroom float64 `json:"headroom"`
	// Precision is the bracket's relative width at which a search stops.
	Precision float64 `json:"precision"`
	// Steps is how each step was run.
	Steps StepSettings `json:"step_settings"`
	// Calibration is the CPU scaling applied (--calibrated); absent when
	// the quota was the size's.
	Calibration *lab.Calibration `json:"calibration,omitempty"`
	// Prices names the price table of the costs.
	Prices string       `json:"prices"`
	Sizes  []SizeResult `json:"sizes"`
	Fleet  *Fleet       `json:"fleet,omitempty"`
}

// StepSettings is how long each step ran.
type StepSettings struct {
	Warmup      float64 `json:"warmup_s"`       // discarded at the start of each step
	MinSteady   float64 `json:"min_steady_s"`   // the steady window is at least this long...
	MinRequests int     `json:"min_requests"`   // ...and long enough for this many requests...
	MaxSteady   float64 `json:"max_steady_s"`   // ...but no longer than this
	Cooldown    float64 `json:"min_cooldown_s"` // the least pause between steps
}

// SizeResult is one size's search.
type SizeResult struct {
	Label  string `json:"label"`
	CPU    int    `json:"cpu"`
	Memory int    `json:"memory"`
	// SustainableRPS is the highest rate per task that held the SLO; 0
	// when none did.
	SustainableRPS float64 `json:"sustainable_rps"`
	// Bracket is [highest rate that held, lowest that broke]; a bound is
	// 0 when no step gave it.
	Bracket [2]float64 `json:"bracket"`
	// End says how the search ended (converged, never_broke,
	// broke_at_min, out_of_steps, budget, stopped).
	End string `json:"end"`
	// LatencyMS, CPUUtilization and MemoryUtilization are measured at
	// the sustainable rate.
	LatencyMS         StepLatency     `json:"latency_ms"`
	CPUUtilization    lab.Utilization `json:"cpu_utilization"`
	MemoryUtilization lab.Utilization `json:"memory_utilization"`
	// LimitedBy is what broke first above the sustainable rate: latency,
	// errors, cpu, oom, or none; Broke says it in words.
	LimitedBy string `json:"limited_by"`
	Broke     string `json:"broke,omitempty"`
	// CostPerMillion is what a million requests cost at (1 - headroom)
	// x the sustainable rate, per platform; absent when nothing was
	// sustainable (and ARM64 when the price table has no ARM64 prices).
	CostPerMillion PlatformCost `json:"cost_per_million"`
	Seconds        float64      `json:"seconds"` // the search's length, deployment included
	Steps          []StepRecord `json:"steps"`
}

// PlatformCost is a cost in USD on each Fargate platform.
type PlatformCost struct {
	X86   *float64 `json:"x86_64,omitempty"`
	ARM64 *float64 `json:"arm64,omitempty"`
}

// StepLatency is a step's latency percentiles, in ms.
type StepLatency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// StepRecord is one step: its rate, how it was chosen, and its verdict
// over the steady window.
type StepRecord struct {
	N    int     `json:"n"`
	Rate float64 `json:"rate"`
	// Kind is how the rate was chosen: probe, jump, grow, back or bisect;
	// Why says it in words.
	Kind string `json:"kind"`
	Why  string `json:"why"`
	OK   bool   `json:"ok"`
	// Reason is why it broke (latency, errors, cpu, oom); Broke says
	// what, in words.
	Reason string `json:"reason,omitempty"`
	Broke  string `json:"broke,omitempty"`
	// Seconds is the steady window measured: shorter than planned when
	// the step was decided early (StoppedEarly) or interrupted.
	Seconds      float64 `json:"seconds"`
	StoppedEarly bool    `json:"stopped_early,omitempty"`
	// Repeated: the step broke on latency with its CPU far from
	// saturated, so it ran again at the same rate; the next record is
	// the verdict that counted.
	Repeated          bool            `json:"repeated,omitempty"`
	Requests          int64           `json:"requests"`
	AchievedRPS       float64         `json:"achieved_rps"`
	P50MS             float64         `json:"p50_ms"`
	P99MS             float64         `json:"p99_ms"`
	ErrorRate         float64         `json:"error_rate"`
	CPUUtilization    lab.Utilization `json:"cpu_utilization"`
	MemoryUtilization lab.Utilization `json:"memory_utilization"`
}

// Write replaces dir/capacity.json atomically and durably (see
// atomicfile): a reader (or a crash) never sees half a file.
func (r *Report) Write(dir string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", File, err)
	}
	return atomicfile.Write(filepath.Join(dir, File), append(data, '\n'), 0o644)
}

// Read reads dir/capacity.json. It refuses a schema_version newer than
// this lab's.
func Read(dir string) (*Report, error) {
	data, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, File), err)
	}
	if r.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d is newer than this lab knows (%d): upgrade lab",
			filepath.Join(dir, File), r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
