package capacity

import (
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// What the search publishes to lab's observers (the results writer, the
// dashboard): a size is an entry, a step a phase, a snapshot a tick.

func (r *runner) publish(f func(lab.Observer)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ob := range r.o.Observers {
		f(ob)
	}
}

// beginSize starts a size's clock and counters: its events and snapshots
// are timed from now.
func (r *runner) beginSize(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entry = i + 1
	r.t0 = time.Now()
	r.tasks = lab.Tasks{StoppedReasons: map[string]int{}}
	r.stops = nil
}

// startStep starts counting the task stops of a step.
func (r *runner) startStep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stops = nil
}

// stepStops is the reasons of the tasks that stopped, not by lab's
// doing, since the step started.
func (r *runner) stepStops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stops...)
}

func (r *runner) sizeTasks() lab.Tasks {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tasks
}

// emit stamps an event with the size and its clock, counts task stops
// against the step, and hands it to the observers. The target calls it
// from any goroutine.
func (r *runner) emit(ev lab.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Entry = r.entry
	ev.T = ev.Time.Sub(r.t0).Seconds()
	switch d := ev.Data.(type) {
	case lab.TaskStarted:
		r.tasks.Started++
	case lab.TaskStopped:
		if !d.ByLab {
			r.tasks.Stopped++
			r.tasks.StoppedReasons[d.Reason]++
			r.stops = append(r.stops, d.Reason)
		}
	}
	for _, ob := range r.o.Observers {
		ob.Event(ev)
	}
}

// snapshot fills in the size and its clock, and publishes.
func (r *runner) snapshot(s lab.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Entry = r.entry
	s.Entries = len(r.o.Sizes)
	if r.entry >= 1 && r.entry <= len(r.o.Sizes) {
		s.Label = r.o.Sizes[r.entry-1].Label
	}
	s.T = s.Time.Sub(r.t0).Seconds()
	for _, ob := range r.o.Observers {
		ob.Snapshot(s)
	}
}

func newEntrySummary(e scenarios.Entry) lab.EntrySummary {
	return lab.EntrySummary{
		Label: e.Label, CPU: e.Size.CPU, Memory: e.Size.Memory,
		Errors:     map[string]int64{},
		Tasks:      lab.Tasks{StoppedReasons: map[string]int{}},
		Scaling:    lab.Scaling{MinCount: e.Count, MaxCount: e.Count},
		Thresholds: []lab.ThresholdOutcome{},
	}
}

// entryAt is a size's summary.json entry: the figures of its step at the
// sustainable rate (best), or of the last step when none held.
func entryAt(e scenarios.Entry, best, last *stepRun, slo []scenarios.Threshold) lab.EntrySummary {
	es := newEntrySummary(e)
	run := best
	if run == nil {
		run = last
	}
	t, secs := run.m.Totals, run.m.Steady.Seconds()
	es.LoadSeconds = round(secs, 3)
	es.Requests, es.OK = t.Requests, t.OK
	for k, v := range t.Errors {
		es.Errors[k] = v
	}
	es.ErrorRate = round(t.ErrorRate(), 6)
	if secs > 0 {
		es.OfferedRPS = round(float64(t.Requests)/secs, 3)
		es.AchievedRPS = round(float64(t.OK)/secs, 3)
	}
	es.LatencyMS = lab.Latency{P50: round(t.Latency.P50, 1), P90: round(t.Latency.P90, 1), P95: round(t.Latency.P95, 1),
		P99: round(t.Latency.P99, 1), Max: round(t.Latency.Max, 1)}
	es.CPUUtilization = roundUtil(run.verdict.CPU)
	es.MemoryUtilization = roundUtil(run.verdict.Memory)
	es.Thresholds = lab.Evaluate(es, slo)
	es.Passed = best != nil
	return es
}

// summary is summary.json for the search: one entry per size, at its
// sustainable rate; it passed when some size sustained a rate.
func (r *runner) summary(started time.Time) lab.Summary {
	s := lab.Summary{
		SchemaVersion: lab.SchemaVersion,
		Scenario:      r.o.Scenario.Name,
		Target:        r.target.Name(),
		RunID:         r.o.RunID,
		StartedAt:     started.UTC().Truncate(time.Second),
		EndedAt:       time.Now().UTC().Truncate(time.Second),
		Interrupted:   r.report.Interrupted,
		Calibration:   r.o.Calibration,
		Entries:       append([]lab.EntrySummary{}, r.sums...),
	}
	for _, e := range s.Entries {
		s.Passed = s.Passed || e.Passed
	}
	return s
}
