package capacity

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/scenarios"
)

// queueTarget is a lab.Target whose tasks are a local HTTP server with
// one worker per task: a request holds a worker for the size's service
// time and waits for one otherwise, as a CPU-bound app at its CFS quota
// does. Its CPU is the workers' busy time over the envelope.
type queueTarget struct {
	t       *testing.T
	srv     *httptest.Server
	service func(scenarios.Size) time.Duration
	// oomAfter, when set, kills the task for memory after that many
	// requests (a leak), and replaces it.
	oomAfter int

	mu       sync.Mutex
	workers  chan struct{}
	size     scenarios.Size
	count    int
	busy     time.Duration
	lastObs  time.Time
	served   int
	emit     func(lab.Event)
	deployed int
}

var _ lab.Target = (*queueTarget)(nil)

func newQueueTarget(t *testing.T, service func(scenarios.Size) time.Duration) *queueTarget {
	q := &queueTarget{t: t, service: service}
	q.srv = httptest.NewServer(http.HandlerFunc(q.serve))
	t.Cleanup(q.srv.Close)
	return q
}

func (q *queueTarget) serve(w http.ResponseWriter, r *http.Request) {
	q.mu.Lock()
	workers, d := q.workers, q.service(q.size)
	q.mu.Unlock()
	select {
	case workers <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	held := time.Now()
	time.Sleep(d)
	d = time.Since(held)
	<-workers
	q.mu.Lock()
	q.busy += d
	q.served++
	oom := q.oomAfter > 0 && q.served >= q.oomAfter
	if oom {
		q.served = 0
	}
	emit := q.emit
	q.mu.Unlock()
	if oom {
		emit(lab.Event{Data: lab.TaskStopped{Task: "t1", Reason: lab.StopReasonOOM, Exit: &lab.Exit{Code: 137, OOM: true}}})
		emit(lab.Event{Data: lab.TaskStarted{Task: "t2", Size: q.size.String()}})
		http.Error(w, "killed", http.StatusBadGateway)
		return
	}
	w.Write([]byte("ok"))
}

func (q *queueTarget) Name() string { return "local" }

func (q *queueTarget) Deploy(ctx context.Context, e scenarios.Entry, emit func(lab.Event)) error {
	q.mu.Lock()
	q.size, q.count, q.emit = e.Size, e.Count, emit
	q.workers = make(chan struct{}, e.Count)
	q.busy, q.lastObs, q.served = 0, time.Now(), 0
	q.deployed++
	q.mu.Unlock()
	for i := range e.Count {
		emit(lab.Event{Data: lab.TaskStarted{Task: "t" + string(rune('1'+i)), Size: e.Size.String()}})
	}
	return nil
}

func (q *queueTarget) Endpoint() string { return q.srv.URL }

func (q *queueTarget) Observe() lab.Observation {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	cpu := 0.0
	if wall := now.Sub(q.lastObs); wall > 0 && q.count > 0 {
		cpu = math.Min(100, 100*float64(q.busy)/float64(wall)/float64(q.count))
	}
	q.busy, q.lastObs = 0, now
	return lab.Observation{Desired: q.count, Running: q.count, Healthy: q.count, CPUPct: cpu, MemPct: 5}
}

func (q *queueTarget) Scale(context.Context, int) error { return errors.New("not here") }
func (q *queueTarget) Resize(context.Context, scenarios.Size) error {
	return errors.New("not here")
}
func (q *queueTarget) KillTask(context.Context, int) error { return errors.New("not here") }
func (q *queueTarget) StopTask(context.Context, int) error { return errors.New("not here") }
func (q *queueTarget) Teardown(context.Context) error      { return nil }
func (q *queueTarget) Close(context.Context) error         { return nil }

// recorder is a lab.Observer that keeps what it hears.
type recorder struct {
	mu        sync.Mutex
	started   bool
	snapshots int
	notes     []string
	entries   []lab.EntrySummary
	done      *lab.Summary
}

var _ lab.Observer = (*recorder)(nil)

func (r *recorder) Started(lab.RunInfo) { r.mu.Lock(); r.started = true; r.mu.Unlock() }
func (r *recorder) Snapshot(s lab.Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snapshots++
	r.notes = append(r.notes, s.Note)
}
func (r *recorder) Event(lab.Event) {}
func (r *recorder) EntryDone(e lab.EntrySummary) {
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
}
func (r *recorder) Done(s lab.Summary) { r.mu.Lock(); r.done = &s; r.mu.Unlock() }

// fastOptions are a search compressed to fit a unit test: 100 ms ticks,
// a second of steady window.
func fastOptions(t *testing.T, sizes ...scenarios.Size) Options {
	sc := &scenarios.Scenario{Name: "test", Load: scenarios.LoadSpec{Path: "/", Timeout: 5 * time.Second}}
	var entries []scenarios.Entry
	for i, s := range sizes {
		entries = append(entries, scenarios.Entry{Index: i, Label: s.String(), Size: s, Count: 1})
	}
	return Options{
		RunID: "test", Scenario: sc, Sizes: entries,
		SLO: thresholds(t, "p99 < 150ms", "error_rate < 1%"), SLOFrom: "flag",
		Warmup: 200 * time.Millisecond, MinSteady: 700 * time.Millisecond, MaxSteady: time.Second,
		MinRequests: 60, Cooldown: 100 * time.Millisecond, Tick: 100 * time.Millisecond,
		StartRate: 20, Dir: t.TempDir(),
		Prices: Prices{X86: func(s scenarios.Size) float64 { return s.VCPU() * 0.04 }, Name: "test prices"},
	}
}

// 10 ms per request at 256 cpu units, half that at 512.
func serviceTime(s scenarios.Size) time.Duration {
	return time.Duration(float64(10*time.Millisecond) * 256 / float64(s.CPU))
}

// A search on a server with a known capacity (one worker, 10 ms a
// request: 100 req/s, a little less with the sleeps' overshoot) finds it,
// writes capacity.json as it goes and publishes to the observers.
func TestRunFindsTheKnee(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of load")
	}
	q := newQueueTarget(t, serviceTime)
	o := fastOptions(t, scenarios.Size{CPU: 256, Memory: 512})
	rec := &recorder{}
	o.Observers = []lab.Observer{rec}
	var progress []Progress
	o.Progress = func(p Progress) { progress = append(progress, p) }
	rep, err := Run(context.Background(), q, o)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Sizes[0]
	t.Logf("sustainable %g, bracket %v, end %s, limited by %s (%s), %d steps", s.SustainableRPS, s.Bracket, s.End, s.LimitedBy, s.Broke, len(s.Steps))
	for _, st := range s.Steps {
		t.Logf("step %d %s %.1f req/s: ok %v %s, p99 %.0f ms, cpu %.0f%%, %.1f s (%s)", st.N, st.Kind, st.Rate, st.OK, st.Broke, st.P99MS, st.CPUUtilization.Avg, st.Seconds, st.Why)
	}
	if s.End != string(search.EndConverged) {
		t.Fatalf("end %s, want converged: %+v", s.End, s.Steps)
	}
	if s.SustainableRPS < 70 || s.SustainableRPS > 102 {
		t.Errorf("sustainable %g req/s, want 70..102 (1 worker x 10 ms)", s.SustainableRPS)
	}
	if s.LimitedBy != string(search.ReasonCPU) && s.LimitedBy != string(search.ReasonLatency) {
		t.Errorf("limited by %q, want cpu or latency", s.LimitedBy)
	}
	if s.Steps[0].Kind != "probe" || s.Steps[1].Kind != "jump" {
		t.Errorf("steps %s then %s, want a probe then a jump near the knee", s.Steps[0].Kind, s.Steps[1].Kind)
	}
	if s.CostPerMillion.X86 == nil || s.LatencyMS.P99 == 0 || s.CPUUtilization.Avg < 50 {
		t.Errorf("figures at the sustainable rate missing: %+v", s)
	}
	onDisk, err := Read(o.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk.Sizes) != 1 || len(onDisk.Sizes[0].Steps) != len(s.Steps) || onDisk.EndedAt.IsZero() {
		t.Errorf("capacity.json on disk: %+v", onDisk)
	}
	if !rec.started || rec.done == nil || len(rec.entries) != 1 || !rec.entries[0].Passed || rec.snapshots == 0 {
		t.Errorf("observers heard: started %v, %d snapshots, entries %+v, done %v", rec.started, rec.snapshots, rec.entries, rec.done != nil)
	}
	if !strings.Contains(strings.Join(rec.notes, "\n"), "step 2 (jump) at 80 req/s · held up to 20") {
		t.Errorf("no snapshot note tells the search's step: %q", rec.notes[:min(5, len(rec.notes))])
	}
	if len(progress) != len(s.Steps)+1 || progress[len(progress)-1].Result == nil {
		t.Errorf("%d progress calls for %d steps, want one per step and one for the size", len(progress), len(s.Steps))
	}
}

// A task killed for memory breaks the step it happens in, with the reason.
func TestRunOOM(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of load")
	}
	q := newQueueTarget(t, serviceTime)
	q.oomAfter = 150
	o := fastOptions(t, scenarios.Size{CPU: 256, Memory: 512})
	o.MaxDuration = 5 * time.Second
	rep, err := Run(context.Background(), q, o)
	if err != nil {
		t.Fatal(err)
	}
	var oom *StepRecord
	for i, st := range rep.Sizes[0].Steps {
		if st.Reason == string(search.ReasonOOM) {
			oom = &rep.Sizes[0].Steps[i]
			break
		}
	}
	if oom == nil || !oom.StoppedEarly || !strings.Contains(oom.Broke, "killed for memory") {
		t.Fatalf("no step broke for memory, stopped early: %+v", rep.Sizes[0].Steps)
	}
}

// The budget stops the search with what it found; an interrupt too, and
// says so.
func TestRunBudgetAndInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of load")
	}
	q := newQueueTarget(t, serviceTime)
	o := fastOptions(t, scenarios.Size{CPU: 256, Memory: 512}, scenarios.Size{CPU: 512, Memory: 1024})
	o.MaxDuration = 3 * time.Second
	start := time.Now()
	rep, err := Run(context.Background(), q, o)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %s with a budget of 3s", d)
	}
	for _, s := range rep.Sizes {
		if s.End != string(search.EndBudget) {
			t.Errorf("size %s ended %s, want budget", s.Label, s.End)
		}
	}
	if rep.Interrupted {
		t.Error("a search cut short by its budget says interrupted; the sizes' end says budget instead")
	}

	ctx, cancel := context.WithCancel(context.Background())
	o = fastOptions(t, scenarios.Size{CPU: 256, Memory: 512})
	o.Progress = func(p Progress) {
		if p.Step != nil && p.Step.N == 2 {
			cancel()
		}
	}
	rep, err = Run(ctx, q, o)
	if !errors.Is(err, lab.ErrInterrupted) {
		t.Fatalf("error %v, want interrupted", err)
	}
	onDisk, rerr := Read(o.Dir)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !onDisk.Interrupted || len(onDisk.Sizes[0].Steps) != 2 || onDisk.Sizes[0].End != string(search.EndStopped) {
		t.Errorf("capacity.json after an interrupt: interrupted %v, %d steps, end %s", onDisk.Interrupted, len(onDisk.Sizes[0].Steps), onDisk.Sizes[0].End)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "."+File+".tmp")); !os.IsNotExist(err) {
		t.Errorf("a temporary file is left: %v", err)
	}
	_ = rep
}

// With a peak, the cheapest fleet is chosen and, when the host has the
// cores, run at the peak.
func TestRunPeakVerified(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of load")
	}
	q := newQueueTarget(t, serviceTime)
	o := fastOptions(t, scenarios.Size{CPU: 256, Memory: 512})
	o.Peak, o.HostCPUs = 150, 4
	rep, err := Run(context.Background(), q, o)
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Fleet
	if f == nil || f.Choice == nil || f.Choice.Count < 2 {
		t.Fatalf("fleet %+v, want 2 or more tasks of 256/512 for 150 req/s", f)
	}
	t.Logf("%s %s", f.Sentence, f.Why)
	if f.Verification == nil || f.Verification.Tasks != f.Choice.Count || f.Verification.Rate != 150 {
		t.Fatalf("verification %+v, want a run of the choice at 150 req/s", f.Verification)
	}
	if f.Verified != f.Verification.Held || !strings.Contains(f.Why, "verified") {
		t.Errorf("verified %v, why %q", f.Verified, f.Why)
	}
	if q.deployed != 2 {
		t.Errorf("%d deployments, want the size's and the fleet's", q.deployed)
	}
}

// A fleet that needs more cores than the host has is a projection, and
// says why.
func TestVerifyProjection(t *testing.T) {
	o := fastOptions(t, scenarios.Size{CPU: 1024, Memory: 2048})
	o.defaults()
	o.HostCPUs = 2
	r := &runner{o: o, target: newQueueTarget(t, serviceTime)}
	f := Fleet{PeakRPS: 100, Choice: &FleetOption{Label: "1024/2048", CPU: 1024, Memory: 2048, Count: 2}}
	if err := r.verify(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	want := "a projection from one task: 2 x 1024/2048 take 2 vCPU, and lab's load generator and balancer about 0.5 more, but this host has 2 cores"
	if f.Verified || f.Verification != nil || !strings.HasPrefix(f.Why, want) {
		t.Errorf("verified %v, why %q; want a projection: %q", f.Verified, f.Why, want)
	}
}
