package lab

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// fakeTarget serves the load from an httptest server and records what the
// run asked of it.
type fakeTarget struct {
	srv *httptest.Server

	mu        sync.Mutex
	deployed  []scenarios.Entry
	scaled    []int
	killed    int
	stopped   int
	teardowns int
	closed    bool
	desired   int
	emit      func(Event)
	// selfScaling makes the target scale by itself, reporting reported
	// as it deploys.
	selfScaling bool
	reported    []EventData
}

func newFakeTarget(t *testing.T, h http.HandlerFunc) *fakeTarget {
	f := &fakeTarget{srv: httptest.NewServer(h)}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTarget) Name() string { return "fake" }
func (f *fakeTarget) Deploy(ctx context.Context, e scenarios.Entry, emit func(Event)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployed = append(f.deployed, e)
	f.desired, f.emit = e.Count, emit
	emit(Event{Data: TaskStarted{Task: "t1", Size: e.Size.String()}})
	for _, d := range f.reported {
		emit(Event{Data: d})
	}
	return nil
}
func (f *fakeTarget) ScalesItself() bool { return f.selfScaling }
func (f *fakeTarget) Endpoint() string   { return f.srv.URL }
func (f *fakeTarget) Observe() Observation {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := f.deployed[len(f.deployed)-1].Size
	tasks := []TaskStat{{ID: "t1", Size: size, CPUPct: 50, MemMiB: float64(size.Memory) / 4}}
	cpu, mem := ServiceUtilization(tasks)
	return Observation{Desired: f.desired, Running: 1, Healthy: 1, Tasks: tasks, CPUPct: cpu, MemPct: mem}
}
func (f *fakeTarget) Scale(ctx context.Context, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scaled = append(f.scaled, n)
	f.desired = n
	return nil
}
func (f *fakeTarget) Resize(ctx context.Context, s scenarios.Size) error { return nil }
func (f *fakeTarget) KillTask(ctx context.Context, n int) error {
	f.mu.Lock()
	f.killed += n
	emit := f.emit
	f.mu.Unlock()
	emit(Event{Data: TaskStopped{Task: "t1", Reason: StopReasonExited, Exit: &Exit{Code: 137}}})
	return nil
}
func (f *fakeTarget) StopTask(ctx context.Context, n int) error {
	f.mu.Lock()
	f.stopped += n
	emit := f.emit
	f.mu.Unlock()
	emit(Event{Data: TaskStopped{Task: "t1", Reason: StopTaskReason}})
	return nil
}
func (f *fakeTarget) Teardown(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teardowns++
	f.emit(Event{Data: TaskStoppedByLab("t1", "entry finished")})
	return nil
}
func (f *fakeTarget) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// recorder is an Observer that keeps everything.
type recorder struct {
	started   int
	info      RunInfo
	snapshots []Snapshot
	events    []Event
	entries   []EntrySummary
	done      []Summary
}

func (r *recorder) Started(i RunInfo)        { r.started++; r.info = i }
func (r *recorder) Snapshot(s Snapshot)      { r.snapshots = append(r.snapshots, s) }
func (r *recorder) Event(e Event)            { r.events = append(r.events, e) }
func (r *recorder) EntryDone(e EntrySummary) { r.entries = append(r.entries, e) }
func (r *recorder) Done(s Summary)           { r.done = append(r.done, s) }
func (r *recorder) count(typ string) (n int) {
	for _, e := range r.events {
		if e.Type() == typ {
			n++
		}
	}
	return n
}

func testScenario(t *testing.T, yaml string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestRunSummarisesEachEntry(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load:
  path: /x
  phases: [{duration: 2s, rate: 20}]
matrix: [{cpu: 256, memory: 512}, {cpu: 512, memory: 1024}]
thresholds: ["achieved_rps >= 15", "error_rate < 1%", "p99 < 1s"]
`)
	var n sync.Mutex
	calls := 0
	target := newFakeTarget(t, func(w http.ResponseWriter, r *http.Request) {
		n.Lock()
		calls++
		fail := calls%10 == 0
		n.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	rec := &recorder{}
	s, err := Run(context.Background(), sc, target, Options{ID: "test", Observers: []Observer{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 2 || len(rec.entries) != 2 || len(rec.done) != 1 || rec.started != 1 {
		t.Fatalf("entries %d, EntryDone %d, Done %d, Started %d; want 2, 2, 1, 1", len(s.Entries), len(rec.entries), len(rec.done), rec.started)
	}
	for _, e := range s.Entries {
		// 20 req/s for 2 s.
		if e.Requests < 38 || e.Requests > 42 {
			t.Errorf("%s: %d requests, want about 40", e.Label, e.Requests)
		}
		if e.Requests != e.OK+e.Errors["503"] {
			t.Errorf("%s: requests %d != ok %d + 503s %d", e.Label, e.Requests, e.OK, e.Errors["503"])
		}
		if e.Errors["503"] == 0 || e.ErrorRate < 0.05 {
			t.Errorf("%s: errors %v rate %v, want about 10%% 503s", e.Label, e.Errors, e.ErrorRate)
		}
		if e.LoadSeconds != 2 || e.AchievedRPS != float64(e.OK)/2 {
			t.Errorf("%s: load seconds %v achieved %v, want 2 and ok/2", e.Label, e.LoadSeconds, e.AchievedRPS)
		}
		if e.CPUUtilization.Avg != 50 || e.MemoryUtilization.Avg != 25 {
			t.Errorf("%s: utilization cpu %v mem %v, want 50 and 25", e.Label, e.CPUUtilization, e.MemoryUtilization)
		}
		if e.Tasks.Started != 1 || e.Tasks.Stopped != 0 {
			t.Errorf("%s: tasks %+v, want 1 started and the teardown not counted", e.Label, e.Tasks)
		}
		if len(e.Thresholds) != 3 || e.Thresholds[0].OK != (e.AchievedRPS >= 15) || e.Thresholds[1].OK || !e.Thresholds[2].OK {
			t.Errorf("%s: thresholds %+v", e.Label, e.Thresholds)
		}
		if e.Passed {
			t.Errorf("%s: passed with a failed threshold", e.Label)
		}
	}
	if s.Passed {
		t.Error("run passed although no entry met every threshold")
	}
	if s.Entries[1].CPU != 512 || len(target.deployed) != 2 || target.teardowns != 2 || !target.closed {
		t.Errorf("deployed %v, teardowns %d, closed %v", target.deployed, target.teardowns, target.closed)
	}
	// One row per second of load, and the phase of the second that ended.
	var rows int
	for _, snap := range rec.snapshots {
		if snap.Entry == 1 {
			rows++
			if snap.T < 2.4 && snap.Phase != "1" {
				t.Errorf("snapshot at %.2fs has phase %q, want 1", snap.T, snap.Phase)
			}
		}
	}
	if rows < 2 || rows > 4 {
		t.Errorf("entry 1 published %d snapshots, want 2 or 3", rows)
	}
	if got := rec.count(EventThreshold); got != 6 {
		t.Errorf("%d threshold events, want 6", got)
	}

	// Each snapshot carries the entry's summary so far.
	var last Snapshot
	for _, snap := range rec.snapshots {
		if snap.Entry == 1 {
			last = snap
		}
	}
	live, final := last.Summary, s.Entries[0]
	if live.Label != final.Label || live.Tasks.Started != 1 || live.LoadSeconds != 2 {
		t.Errorf("last snapshot's summary %+v, want entry 1's with its task and 2 s of load", live)
	}
	if live.Requests < final.Requests-2 || live.Requests > final.Requests || live.Errors["503"] == 0 || live.OK+live.Errors["503"] != live.Requests {
		t.Errorf("last snapshot's summary: %d requests (%d ok, errors %v); the entry's: %d", live.Requests, live.OK, live.Errors, final.Requests)
	}
	if len(live.Thresholds) != 3 || live.Thresholds[1].OK || live.LatencyMS.P99 < final.LatencyMS.P99 {
		t.Errorf("last snapshot's thresholds %+v and p99 %v, want 3, error_rate failed, p99 at least the entry's %v",
			live.Thresholds, live.LatencyMS.P99, final.LatencyMS.P99)
	}
}

func TestRunEventsBeforeTheLoadHaveNegativeTimes(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 1s, rate: 5}]}
`)
	rec := &recorder{}
	if _, err := Run(context.Background(), sc, newFakeTarget(t, func(http.ResponseWriter, *http.Request) {}),
		Options{ID: "test", Observers: []Observer{rec}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.events {
		if e.Type() == EventTaskStarted && e.T > 0 {
			t.Errorf("task_started during deploy has t=%v, want <= 0", e.T)
		}
		if e.Type() == EventPhaseStarted && e.T != 0 {
			t.Errorf("phase 1 starts at t=%v, want 0", e.T)
		}
	}
}

func TestRunAppliesScheduledActionsAndCountsCrashes(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 2s, rate: 5}]}
actions: [{at: 500ms, scale: 3}, {at: 1s, kill_task: 1}, {at: 1500ms, stop_task: 1}]
thresholds: ["tasks_stopped == 2"]
`)
	target := newFakeTarget(t, func(http.ResponseWriter, *http.Request) {})
	rec := &recorder{}
	s, err := Run(context.Background(), sc, target, Options{ID: "test", Observers: []Observer{rec}, Tick: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(target.scaled) != 1 || target.scaled[0] != 3 || target.killed != 1 || target.stopped != 1 {
		t.Errorf("scaled %v killed %d stopped %d, want [3], 1 and 1", target.scaled, target.killed, target.stopped)
	}
	e := s.Entries[0]
	if e.Tasks.Stopped != 2 || e.Tasks.StoppedReasons[StopReasonExited] != 1 || e.Tasks.StoppedReasons[StopTaskReason] != 1 {
		t.Errorf("tasks %+v, want one crash and one stop counted", e.Tasks)
	}
	if e.Scaling.MaxCount != 3 || !e.Passed {
		t.Errorf("scaling %+v passed %v, want max count 3 and the threshold met", e.Scaling, e.Passed)
	}
	if got := rec.count(EventAction); got != 3 {
		t.Errorf("%d action events, want 3", got)
	}
	// The stops show in the snapshots' summary once they happened, and
	// the threshold on them with them.
	var before, after bool
	for _, snap := range rec.snapshots {
		live := snap.Summary
		switch {
		case snap.T < 0.9:
			before = before || live.Tasks.Stopped == 0 && len(live.Thresholds) == 1 && !live.Thresholds[0].OK
		case snap.T > 1.8:
			after = live.Tasks.Stopped == 2 && live.Tasks.StoppedReasons[StopReasonExited] == 1 &&
				live.Tasks.StoppedReasons[StopTaskReason] == 1 && live.Thresholds[0].OK
		}
	}
	if !before || !after {
		t.Errorf("snapshots' summaries before the stops ok %v, after them %v", before, after)
	}
}

func TestRunInterruptedKeepsWhatRan(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 30s, rate: 10}]}
matrix: [{cpu: 256, memory: 512}, {cpu: 512, memory: 1024}]
thresholds: ["p99 < 10s"]
`)
	target := newFakeTarget(t, func(http.ResponseWriter, *http.Request) {})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	start := time.Now()
	s, err := Run(ctx, sc, target, Options{ID: "test"})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %s after the interrupt", took)
	}
	if err == nil || !s.Interrupted {
		t.Fatalf("err %v interrupted %v, want ErrInterrupted", err, s.Interrupted)
	}
	if len(s.Entries) != 1 || !s.Entries[0].Interrupted || s.Entries[0].Requests < 10 {
		t.Errorf("entries %+v, want the first, interrupted, with its requests", s.Entries)
	}
	if e := s.Entries[0]; e.Passed || len(e.Thresholds) != 1 || e.Thresholds[0].OK || e.Thresholds[0].Reason != ReasonInterrupted {
		t.Errorf("passed %v thresholds %+v, want p99 failed as interrupted", e.Passed, e.Thresholds)
	}
	if s.Entries[0].LoadSeconds > 2 {
		t.Errorf("load seconds %v, want the time that ran (about 1.5)", s.Entries[0].LoadSeconds)
	}
	if !target.closed || target.teardowns != 1 {
		t.Errorf("closed %v teardowns %d, want cleaned up", target.closed, target.teardowns)
	}
}

// Observers (the results writer, the dashboard) are given the scenario
// and its entries without env or header values, which may be secrets;
// the target gets them all.
func TestRunGivesObserversNoEnvOrHeaderValue(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true, env: {CPU_WORK: 1ms, API_TOKEN: planted-env}}
service: {cpu: 256, memory: 512}
load:
  requests: [{path: /x, headers: {X-Api-Key: planted-header}}]
  phases: [{duration: 1s, rate: 5}]
matrix: [{label: a, env: {DB_PASSWORD: planted-matrix}}]
`)
	f := newFakeTarget(t, func(w http.ResponseWriter, r *http.Request) {})
	rec := &recorder{}
	if _, err := Run(context.Background(), sc, f, Options{Observers: []Observer{rec}}); err != nil {
		t.Fatal(err)
	}
	data, err := rec.info.Scenario.YAML()
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprintf("%s %+v", data, rec.info.Entries)
	for _, planted := range []string{"planted-env", "planted-header", "planted-matrix"} {
		if strings.Contains(shown, planted) {
			t.Errorf("observers are given %q:\n%s", planted, shown)
		}
	}
	for _, kept := range []string{"API_TOKEN: <redacted>", "X-Api-Key: <redacted>", "DB_PASSWORD: <redacted>", "CPU_WORK: 1ms"} {
		if !strings.Contains(string(data), kept) {
			t.Errorf("the scenario observers are given does not hold %q:\n%s", kept, data)
		}
	}
	if got := f.deployed[0].Env["API_TOKEN"]; got != "planted-env" {
		t.Errorf("the target deployed API_TOKEN=%q, want the scenario's value", got)
	}
}

// A target that scales by itself reports its platform's scaling
// decisions, and the summary counts them; lab counts no decision reported
// by a target it scales itself.
func TestRunCountsTheScalingOfASelfScalingTarget(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 1s, rate: 5}]}
`)
	reported := []EventData{
		ScalingDecision{Direction: ScaleOut, From: 1, To: 3, Policy: "p", Metric: "aws"},
		ScalingHeld{ScalingDecision: ScalingDecision{Direction: ScaleIn, From: 3, To: 2}, Reason: "cooldown"},
		ScalingDecision{Direction: ScaleIn, From: 3, To: 2, Policy: "p", Metric: "aws"},
	}
	for _, self := range []bool{true, false} {
		target := newFakeTarget(t, func(http.ResponseWriter, *http.Request) {})
		target.selfScaling, target.reported = self, reported
		s, err := Run(context.Background(), sc, target, Options{ID: "test"})
		if err != nil {
			t.Fatal(err)
		}
		want := Scaling{MinCount: 1, MaxCount: 1}
		if self {
			want.ScaleOuts, want.ScaleIns, want.Decisions = 1, 1, 2
		}
		if got := s.Entries[0].Scaling; got != want {
			t.Errorf("scales itself %v: scaling %+v, want %+v", self, got, want)
		}
	}
}

// achieved_rps counts what completed during the load, not the requests
// that completed after it divided by its length: a server that takes
// 700 ms answers those sent in the last 0.7 s of a 1 s load after it, in
// the drain.
func TestRunAchievedCountsTheLoadNotTheDrain(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 1s, rate: 20}]}
`)
	target := newFakeTarget(t, func(http.ResponseWriter, *http.Request) { time.Sleep(700 * time.Millisecond) })
	s, err := Run(context.Background(), sc, target, Options{ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entries[0]
	// At most the 6 sent in the first 0.3 s completed within the load.
	if e.OK < 18 || e.AchievedRPS > 8 || e.OfferedRPS < 18 {
		t.Errorf("ok %d, achieved %v, offered %v: want about 20 ok, 20 offered, at most 6 achieved", e.OK, e.AchievedRPS, e.OfferedRPS)
	}
	if d := e.Drain; d == nil || d.OK < 12 || d.Requests != d.OK || d.Seconds < 0.5 ||
		float64(d.OK)+e.AchievedRPS*e.LoadSeconds != float64(e.OK) {
		t.Errorf("drain %+v, want the rest of the %d ok after the load, about 0.7 s", d, e.OK)
	}
	if e.IntendedRPS != 0 {
		t.Errorf("intended %v for an open model, want none", e.IntendedRPS)
	}
}

// A closed model sends less than it intends when the service is slower
// than the workers' rate: the summary says both.
func TestRunClosedModelSaysTheRateItIntended(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 1s, workers: 2, worker_rate: 5}]}
`)
	target := newFakeTarget(t, func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) })
	s, err := Run(context.Background(), sc, target, Options{ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	// Each worker waits 300 ms for each answer: at most 4 sends each.
	if e := s.Entries[0]; e.IntendedRPS != 10 || e.OfferedRPS > 8 || e.AchievedRPS > e.OfferedRPS {
		t.Errorf("intended %v, offered %v, achieved %v: want 10 intended, at most 8 sent", e.IntendedRPS, e.OfferedRPS, e.AchievedRPS)
	}
}

// Failed requests count in the latency percentiles at the time they
// failed: timeouts at the timeout. The OK responses' are apart.
func TestRunLatencyIncludesFailures(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, timeout: 200ms, phases: [{duration: 1s, rate: 20}]}
thresholds: ["p99 < 150ms"]
`)
	var mu sync.Mutex
	calls := 0
	target := newFakeTarget(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		hang := calls%4 == 0
		mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}
	})
	s, err := Run(context.Background(), sc, target, Options{ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entries[0]
	if e.Errors["timeout"] < 3 {
		t.Fatalf("errors %v, want timeouts", e.Errors)
	}
	if e.LatencyMS.P99 < 200 || e.LatencyMS.Max < 200 {
		t.Errorf("latency %+v, want the timeouts at 200 ms in p99", e.LatencyMS)
	}
	// The OK responses come at once (their median well under the
	// timeout even on a loaded host); the timeouts are not among them.
	if ok := e.LatencyOKMS; ok == nil || ok.P50 >= 200 || ok.P50 == 0 || ok.P50 >= e.LatencyMS.P99 {
		t.Errorf("latency of the ok responses %+v, want them apart, below the timeout", ok)
	}
	if e.Passed || e.Thresholds[0].OK {
		t.Errorf("thresholds %+v passed on the ok responses alone", e.Thresholds)
	}
}

// The rate a profile intends: a closed phase's workers x worker_rate,
// averaged with the open phases' rates over the load; none for workers
// that send as fast as they can, or a profile with no closed phase.
func TestIntendedRate(t *testing.T) {
	closed := load.Phase{Duration: 10 * time.Second, Workers: 5, WorkerRate: 1}
	open := load.Phase{Duration: 10 * time.Second, Rate: 2}
	ramp := load.Phase{Duration: 10 * time.Second, Ramp: true, From: 0, To: 4}
	asFast := load.Phase{Duration: 10 * time.Second, Workers: 5}
	for _, c := range []struct {
		name    string
		ps      []load.Phase
		seconds float64
		want    float64
	}{
		{"closed", []load.Phase{closed}, 10, 5},
		{"closed, interrupted", []load.Phase{closed}, 4, 5},
		{"closed then open", []load.Phase{closed, open}, 20, 3.5},
		{"ramp then closed", []load.Phase{ramp, closed}, 20, 3.5},
		{"open only", []load.Phase{open, ramp}, 20, 0},
		{"as fast as they can", []load.Phase{closed, asFast}, 20, 0},
	} {
		if got := intendedRPS(c.ps, c.seconds); got != c.want {
			t.Errorf("%s: intendedRPS = %v, want %v", c.name, got, c.want)
		}
	}
	ps := []load.Phase{open, closed}
	if closedAt(ps, 5*time.Second) || !closedAt(ps, 15*time.Second) || closedAt(ps, 25*time.Second) {
		t.Error("closedAt: want true in the closed phase only")
	}
}
