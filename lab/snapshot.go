package lab

import (
	"time"

	"github.com/ecslab/lab/lab/load"
)

// Snapshot is the run at one tick. It is a value: observers may keep it.
type Snapshot struct {
	Time    time.Time
	T       float64 // seconds since the entry's load started
	Entry   int     // 1-based
	Entries int     // how many entries the run has
	Label   string  // the entry's size, e.g. "256/512"
	Phase   string  // phase number from 1, or "tail" while awaiting in-flight requests
	Elapsed time.Duration
	Total   time.Duration // the entry's load duration
	Offered float64       // the rate the load profile asks for now (req/s; closed model: its cap)
	// Intended says Offered is a closed model's intended rate (workers x
	// worker_rate): its workers send it only as fast as the service
	// answers, Load.Sent is what they sent.
	Intended bool
	Load     load.Window // what the generator saw in the last second
	Service  Observation
	// Summary is the entry's summary so far, over the load phases: tasks
	// started and stopped (with their reasons), scaling, requests, rates,
	// utilization, and the thresholds evaluated on it. Its latency
	// percentiles are the highest of the one-second windows', an upper
	// bound of the entry's; Passed and Interrupted are known at the end
	// only (Observer.EntryDone).
	Summary  EntrySummary
	Paused   bool
	Finished bool // the entry's last snapshot
	// Note is a line about where the run is that the snapshot's figures
	// do not say, e.g. a capacity search's step and bracket; empty for a
	// scenario's run.
	Note string
}
