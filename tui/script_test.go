package tui

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// asciiStyles are the styles rendered without colour, for golden files.
func asciiStyles() Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return DefaultStyles(r)
}

var scriptStart = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// scriptScenario is testdata/scripted.yaml, a copy of the built-in
// cpu-target-tracking (phases, autoscaling, thresholds) that does not
// change when the built-in does.
func scriptScenario(t testing.TB) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Load(filepath.Join(testdata, "scripted.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func scriptInfo(sc *scenarios.Scenario) lab.RunInfo {
	return lab.RunInfo{ID: "k3x9", Scenario: sc, Entries: sc.Entries(), Target: "local", StartedAt: scriptStart}
}

// script is what a run of sc publishes over its first n seconds, as the
// forwarder would send it: the load climbs, CPU follows, a scaling
// decision adds a task at 20s, t1 is OOM-killed at 30s and replaced.
func script(sc *scenarios.Scenario, n int) []tea.Msg {
	msgs := []tea.Msg{startedMsg{scriptInfo(sc)}}
	live := scriptSummary{sc: sc}
	ev := func(t float64, d lab.EventData) {
		e := lab.Event{T: t, Time: scriptStart.Add(time.Duration(t * float64(time.Second))), Entry: 1, Data: d}
		live.event(d)
		msgs = append(msgs, eventMsg{e})
	}
	size := scenarios.Size{CPU: 256, Memory: 512}
	ev(-4.2, lab.EntryStarted{Label: "256/512", Count: 1})
	ev(-4.1, lab.TaskStarted{Task: "t1", Size: "256/512"})
	ev(-1.0, lab.HealthChanged{Task: "t1", Healthy: true})
	ev(0, lab.PhaseStarted{Phase: 1})

	type task struct {
		id      string
		from    int
		healthy int
		reqs    int64
		mem     float64
	}
	tasks := []*task{{id: "t1", from: -5, healthy: -1, mem: 80}}
	desired := 1
	for s := 1; s <= n; s++ {
		t := float64(s)
		rate := 3.0
		if s > 12 {
			rate = 6
		}
		switch s {
		case 13:
			ev(12, lab.PhaseStarted{Phase: 2})
		case 18:
			ev(17.5, lab.ScalingHeld{ScalingDecision: lab.ScalingDecision{Direction: lab.ScaleOut, From: 1, To: 2, Policy: "cpu-target-tracking",
				Metric: "cpu", Evaluation: &lab.Evaluation{Unit: "%", Datapoints: []float64{71, 88}, Target: 50}, Formula: "ceil(1 x 88 / 50) = 2"}, Reason: "cooldown"})
		case 20:
			desired = 2
			ev(20, lab.ScalingDecision{Direction: lab.ScaleOut, From: 1, To: 2, Policy: "cpu-target-tracking",
				Metric: "cpu", Evaluation: &lab.Evaluation{Unit: "%", Datapoints: []float64{88, 92, 95}, Target: 50}, Formula: "ceil(1 x 95 / 50) = 2"})
			ev(20.1, lab.TaskStarted{Task: "t2", Size: "256/512"})
			tasks = append(tasks, &task{id: "t2", from: 20, healthy: 24, mem: 70})
		case 24:
			ev(23.9, lab.HealthChanged{Task: "t2", Healthy: true})
		case 30:
			ev(29.6, lab.TaskStopped{Task: "t1", Reason: lab.StopReasonOOM, Exit: &lab.Exit{Code: 137, OOM: true}})
			tasks = tasks[1:]
			ev(29.8, lab.TaskStarted{Task: "t3", Size: "256/512"})
			tasks = append(tasks, &task{id: "t3", from: 30, healthy: 34, mem: 70})
		case 34:
			ev(33.9, lab.HealthChanged{Task: "t3", Healthy: true})
		}

		var stats []lab.TaskStat
		healthy := 0
		for _, tk := range tasks {
			st := lab.TaskStat{ID: tk.id, Size: size, State: "pending", MemMiB: tk.mem}
			if s >= tk.healthy {
				st.State, st.Healthy = "running", true
				healthy++
			}
			tk.mem += 12
			st.MemMiB = tk.mem
			st.MemPct = 100 * tk.mem / float64(size.Memory)
			stats = append(stats, st)
		}
		errs := map[string]int{}
		ok := int(rate)
		if s == 30 || s == 31 {
			errs["502"] = 1
			ok--
		}
		perTask := float64(ok) / float64(max(1, healthy))
		for i := range stats {
			if stats[i].Healthy {
				stats[i].CPUPct = min(100, 35*perTask+float64(i))
				stats[i].Requests = int64(perTask * float64(s-tasks[i].from))
			}
		}
		cpu, mem := lab.ServiceUtilization(stats)
		p50 := 90 + 40*perTask
		window := load.Window{Sent: int(rate), OK: ok, Errors: errs,
			Latency: load.Percentiles{P50: p50, P90: p50 * 1.4, P95: p50 * 1.6, P99: p50 * 2.1, Max: p50 * 2.4, Count: int64(ok)}}
		msgs = append(msgs, snapshotMsg{lab.Snapshot{
			Time:    scriptStart.Add(time.Duration(s) * time.Second),
			T:       t,
			Entry:   1,
			Entries: 1,
			Label:   "256/512",
			Phase:   fmt.Sprint(1 + btoi(s > 12)),
			Elapsed: time.Duration(s) * time.Second,
			Total:   sc.LoadDuration(),
			Offered: rate,
			Load:    window,
			Service: lab.Observation{Desired: desired, Running: len(tasks), Healthy: healthy, Tasks: stats,
				CPUPct: cpu, MemPct: mem},
			Summary: live.second(window, float64(s), len(tasks), cpu, mem),
		}})
	}
	return msgs
}

// scriptSummary is the entry's summary so far as lab.Run publishes it
// with each snapshot: counts from the events and the windows, a latency
// percentile the highest of the windows', thresholds evaluated on it.
type scriptSummary struct {
	sc       *scenarios.Scenario
	s        lab.EntrySummary
	cpu, mem []float64
}

func (l *scriptSummary) event(d lab.EventData) {
	t := &l.s.Tasks
	switch d := d.(type) {
	case lab.TaskStarted:
		t.Started++
	case lab.TaskStopped:
		if t.StoppedReasons == nil {
			t.StoppedReasons = map[string]int{}
		}
		t.Stopped++
		t.StoppedReasons[d.Reason]++
	}
}

func (l *scriptSummary) second(w load.Window, seconds float64, running int, cpu, mem float64) lab.EntrySummary {
	e := &l.s
	e.Label, e.CPU, e.Memory = "256/512", 256, 512
	e.OK += int64(w.OK)
	e.Requests += int64(w.OK + w.ErrorCount())
	if e.Errors == nil {
		e.Errors = map[string]int64{}
	}
	for k, n := range w.Errors {
		e.Errors[k] += int64(n)
	}
	e.ErrorRate = float64(e.Requests-e.OK) / float64(e.Requests)
	e.LoadSeconds = seconds
	e.OfferedRPS, e.AchievedRPS = float64(e.Requests)/seconds, float64(e.OK)/seconds
	lat := &e.LatencyMS
	lat.P50, lat.P90, lat.P95 = max(lat.P50, w.Latency.P50), max(lat.P90, w.Latency.P90), max(lat.P95, w.Latency.P95)
	lat.P99, lat.Max = max(lat.P99, w.Latency.P99), max(lat.Max, w.Latency.Max)
	if running > 0 {
		l.cpu, l.mem = append(l.cpu, cpu), append(l.mem, mem)
		e.CPUUtilization, e.MemoryUtilization = utilizationOf(l.cpu), utilizationOf(l.mem)
	}
	e.Thresholds = lab.Evaluate(*e, l.sc.Thresholds)
	out := *e
	out.Errors, out.Tasks.StoppedReasons = maps.Clone(e.Errors), maps.Clone(e.Tasks.StoppedReasons)
	return out
}

func utilizationOf(vs []float64) lab.Utilization {
	var u lab.Utilization
	for _, v := range vs {
		u.Avg += v / float64(len(vs))
		u.Max = max(u.Max, v)
	}
	return u
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scriptEnd is the end of the scripted run: the entry's summary and the
// run's.
func scriptEnd() []tea.Msg {
	es := lab.EntrySummary{
		Label: "256/512", CPU: 256, Memory: 512, LoadSeconds: 240, Requests: 2190, OK: 2188,
		Errors: map[string]int64{"502": 2}, ErrorRate: 0.000913, OfferedRPS: 9.125, AchievedRPS: 9.117,
		LatencyMS:         lab.Latency{P50: 180, P90: 260, P95: 300, P99: 820, Max: 1210},
		CPUUtilization:    lab.Utilization{Avg: 52.3, Max: 97.1},
		MemoryUtilization: lab.Utilization{Avg: 41.2, Max: 99.8},
		Tasks:             lab.Tasks{Started: 5, Stopped: 1, StoppedReasons: map[string]int{"OutOfMemoryError: Container killed due to memory usage": 1}},
		Scaling:           lab.Scaling{MinCount: 1, MaxCount: 4, ScaleOuts: 3, Decisions: 3},
		Thresholds:        []lab.ThresholdOutcome{{Expr: "p99 < 1s", OK: true, Value: 0.82}, {Expr: "error_rate < 1%", OK: true, Value: 0.091}},
		Passed:            true,
	}
	sum := lab.Summary{SchemaVersion: 1, Scenario: "cpu-target-tracking", Target: "local", RunID: "k3x9",
		StartedAt: scriptStart, EndedAt: scriptStart.Add(4*time.Minute + 12*time.Second), Passed: true,
		Entries: []lab.EntrySummary{es}}
	return []tea.Msg{entryDoneMsg{es}, doneMsg{sum}}
}
