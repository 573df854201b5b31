package lab

import (
	"time"

	"github.com/ecslab/lab/scenarios"
)

// Observer reads what a run publishes. The run calls its methods from one
// goroutine at a time, in order; an observer must not block for long.
type Observer interface {
	Started(RunInfo)
	Snapshot(Snapshot)
	Event(Event)
	EntryDone(EntrySummary)
	Done(Summary)
}

// RunInfo describes a run as it starts. Its scenario and entries are
// redacted (scenarios.Scenario.Redacted): what observers write or show
// holds no env or header value.
type RunInfo struct {
	ID        string
	Scenario  *scenarios.Scenario
	Entries   []scenarios.Entry
	Target    string
	StartedAt time.Time
	// Calibration is the CPU scaling the target applies; nil when none.
	Calibration *Calibration
}
