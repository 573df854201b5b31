package lab

import (
	"fmt"
	"math"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// SchemaVersion is summary.json's schema_version. 2: achieved_rps counts
// only what completed during the load, and latencies include failures.
const SchemaVersion = 2

// Summary is summary.json: the run and one result per matrix entry.
type Summary struct {
	SchemaVersion int       `json:"schema_version"`
	Scenario      string    `json:"scenario"`
	Target        string    `json:"target"`
	RunID         string    `json:"run_id"`
	StartedAt     time.Time `json:"started_at"`
	EndedAt       time.Time `json:"ended_at,omitzero"`
	Interrupted   bool      `json:"interrupted,omitempty"`
	Passed        bool      `json:"passed"`
	// Calibration is the CPU scaling the run applied (--calibrated);
	// absent when the quota was the task size's.
	Calibration *Calibration   `json:"calibration,omitempty"`
	Entries     []EntrySummary `json:"entries"`
	// Cost is what the run was estimated to cost before it created
	// anything, and what it used, priced the same way (ECS only).
	Cost *CostReport `json:"cost,omitempty"`
	// Platform is where the tasks ran, when the target says (local).
	Platform *Platform `json:"platform,omitempty"`
}

// Platform is where a target runs its tasks: the Docker daemon's engine
// version, OS and architecture, cgroup version and driver, and how lab
// reached the tasks; Notes are what a reader of the results must know,
// e.g. that an arm64 core is not a Fargate vCPU.
type Platform struct {
	Docker  string `json:"docker,omitempty"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	Cgroup  string `json:"cgroup,omitempty"`
	Network string `json:"network,omitempty"`
	// Envelope is how a task of several containers was held to its cpu
	// and memory: EnvelopeTask or EnvelopePerContainer; empty for tasks
	// of one container, whose limits are the task's.
	Envelope string   `json:"envelope,omitempty"`
	Notes    []string `json:"notes,omitempty"`
}

// How a task of several containers was held to its size (Platform's
// Envelope).
const (
	// EnvelopeTask: one parent cgroup per task holds its cpu quota and
	// memory limit, all its containers under it, as Fargate does.
	EnvelopeTask = "task"
	// EnvelopePerContainer: lab could not make that parent; each
	// container got a share of the task's cpu and memory, split by the
	// containers' reservations.
	EnvelopePerContainer = "per-container"
)

// PlatformReporter is implemented by a target that knows where its tasks
// run; the run records it in the summary.
type PlatformReporter interface {
	Platform() *Platform
}

// CostReport is a run's estimate and what it actually used.
type CostReport struct {
	Estimate CostEstimate  `json:"estimate"`
	Actual   *CostEstimate `json:"actual,omitempty"`
}

// CostEstimate prices a run item by item.
type CostEstimate struct {
	Currency    string     `json:"currency"`
	Prices      string     `json:"prices"` // the price table, for people
	Items       []CostItem `json:"items"`
	Total       float64    `json:"total"`
	Assumptions []string   `json:"assumptions,omitempty"`
}

// CostItem is one priced quantity, e.g. 0.5 task-hours of 256/512.
type CostItem struct {
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
	Amount   float64 `json:"amount"`
}

// Add appends an item and adds it to the total.
func (c *CostEstimate) Add(item string, quantity float64, unit string, amount float64) {
	c.Items = append(c.Items, CostItem{Item: item, Quantity: round(quantity, 4), Unit: unit, Amount: round(amount, 6)})
	c.Total = round(c.Total+amount, 6)
}

// Calibration is how a run scaled the CPU quota of its tasks so that a
// local core stands for what a Fargate vCPU computes: the quota is the
// task size's x Factor (lab calibrate measures it).
type Calibration struct {
	Factor float64 `json:"factor"`
	// Platform is the Fargate platform compared with: X86_64 or ARM64.
	Platform string `json:"platform"`
	// Source says where the Fargate figure came from: a probe run on
	// Fargate (with its date), or lab's default from public figures.
	Source string `json:"source"`
	// HostScore and FargateScore are the probe's figures: work per CPU
	// second on this host and on a Fargate vCPU.
	HostScore    float64 `json:"host_score"`
	FargateScore float64 `json:"fargate_score"`
}

// EntrySummary is one matrix entry's result, over its load phases only.
type EntrySummary struct {
	Label       string           `json:"label"`
	CPU         int              `json:"cpu"`
	Memory      int              `json:"memory"`
	LoadSeconds float64          `json:"load_seconds"`
	Requests    int64            `json:"requests"`
	OK          int64            `json:"ok"`
	Errors      map[string]int64 `json:"errors"`
	ErrorRate   float64          `json:"error_rate"`
	OfferedRPS  float64          `json:"offered_rps"`
	AchievedRPS float64          `json:"achieved_rps"`
	// IntendedRPS is the rate the profile asked for, averaged over the
	// load (closed model: workers x worker_rate); absent when a phase
	// has workers sending as fast as they can, or no closed phase.
	IntendedRPS float64 `json:"intended_rps,omitempty"`
	// Drain is what completed after the load's end, before the run
	// stopped awaiting the requests still in flight; absent when the
	// load was cut short.
	Drain *Drain `json:"drain,omitempty"`
	// LatencyMS is over every completed request, failures at the time
	// they failed (a timeout at the timeout); LatencyOKMS over the
	// responses counted in OK only (absent in files of older labs).
	LatencyMS   Latency  `json:"latency_ms"`
	LatencyOKMS *Latency `json:"latency_ok_ms,omitempty"`
	// RTTMS is the round trip from the load generator to the endpoint
	// (ECS: the median of a few requests to the ALB before the load),
	// included in LatencyMS; 0 when not measured (local).
	RTTMS float64 `json:"rtt_ms,omitempty"`
	// NetOfRTT says the latency thresholds were judged net of RTTMS.
	NetOfRTT          bool               `json:"net_of_rtt,omitempty"`
	CPUUtilization    Utilization        `json:"cpu_utilization"`
	MemoryUtilization Utilization        `json:"memory_utilization"`
	Tasks             Tasks              `json:"tasks"`
	Scaling           Scaling            `json:"scaling"`
	Thresholds        []ThresholdOutcome `json:"thresholds"`
	Passed            bool               `json:"passed"`
	Interrupted       bool               `json:"interrupted,omitempty"`
	// Generators says how the load's generators did when load.generators
	// split the load; absent for lab's own in-process generator.
	Generators *Generators `json:"generators,omitempty"`
}

// Generators is how the generators that split an entry's load did.
type Generators struct {
	Count int `json:"count"`
	// Lost are the generators (from 0) that ended before their load was
	// over (each has a generator_lost event).
	Lost []int `json:"lost,omitempty"`
	// Late are the generators (from 0) that began after the common start
	// (each has a generator_late event); the seconds they skipped are
	// under-sent.
	Late []int `json:"late,omitempty"`
	// UnderSentSeconds are the seconds of load (from 0) for which some
	// generator reported nothing: its share of them was not sent, and
	// the figures of those seconds are short of it.
	UnderSentSeconds []int `json:"under_sent_seconds,omitempty"`
	// ClockOffsetMS is how far the generators' clock was measured ahead
	// of lab's when lab gave them the common start (ECS: AWS's clock, from
	// the Date of its API responses); absent where they share lab's clock.
	ClockOffsetMS *float64 `json:"clock_offset_ms,omitempty"`
	// ClockErrorMS bounds that measurement's error, and the generators'
	// own clocks' as their hosts reported it (Fargate's ClockDrift).
	ClockErrorMS *float64 `json:"clock_error_ms,omitempty"`
}

// Drain is the tail after an entry's load phases: requests sent during
// the load that completed after its end. They count in requests, ok,
// errors and the latencies, not in achieved_rps.
type Drain struct {
	Seconds  float64 `json:"seconds"`  // from the load's end to the last completion
	Requests int64   `json:"requests"` // completed after the load's end, ok or not
	OK       int64   `json:"ok"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Utilization of the service's envelope, in percent. On ECS it comes from
// CloudWatch (Source "cloudwatch"), one datapoint a minute: Datapoints
// says how many the entry had, and NoData that it had none (Avg and Max
// are then 0 and mean nothing).
type Utilization struct {
	Avg        float64 `json:"avg"`
	Max        float64 `json:"max"`
	Source     string  `json:"source,omitempty"`
	Datapoints int     `json:"datapoints,omitempty"`
	NoData     bool    `json:"no_data,omitempty"`
}

// String is the average and the peak for people, or "no data".
func (u Utilization) String() string {
	if u.NoData {
		return "no data"
	}
	return fmt.Sprintf("%.0f%% (peak %.0f%%)", u.Avg, u.Max)
}

// Tasks counts task starts and the stops lab did not cause itself.
type Tasks struct {
	Started        int            `json:"started"`
	Stopped        int            `json:"stopped"`
	StoppedReasons map[string]int `json:"stopped_reasons"`
}

// Scaling summarises the desired count over the entry.
type Scaling struct {
	MinCount  int `json:"min_count"`
	MaxCount  int `json:"max_count"`
	ScaleOuts int `json:"scale_outs"`
	ScaleIns  int `json:"scale_ins"`
	Decisions int `json:"decisions"`
}

// ThresholdOutcome is one threshold evaluated on an entry; Value is in the
// expression's unit. Reason says why a threshold failed without being
// judged: "no data" (the entry sent no request, or its metric had no
// datapoint) or "interrupted"; Value then means nothing.
type ThresholdOutcome struct {
	Expr   string  `json:"expr"`
	OK     bool    `json:"ok"`
	Value  float64 `json:"value"`
	Reason string  `json:"reason,omitempty"`
}

// Reasons a threshold fails without being judged.
const (
	ReasonNoData      = "no data"
	ReasonInterrupted = "interrupted"
)

// utilizationAcc accumulates per-second utilization into avg and max.
type utilizationAcc struct {
	sum, max float64
	n        int
}

func (u *utilizationAcc) add(v float64) {
	u.sum += v
	u.n++
	u.max = math.Max(u.max, v)
}

func (u *utilizationAcc) result() Utilization {
	if u.n == 0 {
		return Utilization{}
	}
	return Utilization{Avg: round(u.sum/float64(u.n), 1), Max: round(u.max, 1)}
}

func newEntrySummary(e scenarios.Entry) EntrySummary {
	return EntrySummary{
		Label:  e.Label,
		CPU:    e.Size.CPU,
		Memory: e.Size.Memory,
		Errors: map[string]int64{},
		Tasks:  Tasks{StoppedReasons: map[string]int{}},
		Scaling: Scaling{
			MinCount: e.Count,
			MaxCount: e.Count,
		},
		Thresholds: []ThresholdOutcome{},
	}
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
