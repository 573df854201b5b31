package lab

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load/generate"
)

// generatorTarget runs each generator of a split load in this process,
// as the workload program's generate mode would in a container; the
// generator numbered kill is killed after killAfter.
type generatorTarget struct {
	*fakeTarget
	kill      int
	killAfter time.Duration
	late      int                // the generator that comes up late, when lateBy is set
	lateBy    time.Duration      // how long after the common start it comes up
	clock     *generators.Offset // what GeneratorClockOffset says; nil: not measured
	mu        sync.Mutex
	removed   int
}

func (g *generatorTarget) GeneratorClockOffset() (time.Duration, time.Duration, bool) {
	if g.clock == nil {
		return 0, 0, false
	}
	return g.clock.By, g.clock.Bound, true
}

func (g *generatorTarget) GeneratorEndpoint() (string, error) { return g.srv.URL, nil }

func (g *generatorTarget) Launch(_ context.Context, gen int, config []byte) (generators.Process, error) {
	var cfg generate.Config
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if gen == g.kill {
		time.AfterFunc(time.Until(cfg.Start.Add(g.killAfter)), cancel)
	}
	pr, pw := io.Pipe()
	p := &inProcess{out: pr, cancel: cancel, exit: make(chan int, 1), target: g}
	go func() {
		if gen == g.late && g.lateBy > 0 { // a task that came up late
			time.Sleep(time.Until(cfg.Start.Add(g.lateBy)))
		}
		err := generate.Run(ctx, cfg, pw)
		pw.Close()
		if err != nil {
			p.exit <- 137
		} else {
			p.exit <- 0
		}
	}()
	return p, nil
}

type inProcess struct {
	out    io.Reader
	cancel context.CancelFunc
	exit   chan int
	target *generatorTarget
	once   sync.Once
}

func (p *inProcess) Output() io.Reader { return p.out }
func (p *inProcess) Wait(ctx context.Context) (int, error) {
	select {
	case code := <-p.exit:
		return code, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
func (p *inProcess) Remove(context.Context) error {
	p.once.Do(func() {
		p.cancel()
		p.target.mu.Lock()
		p.target.removed++
		p.target.mu.Unlock()
	})
	return nil
}

// Three generators split a load; one is killed 0.7 s in. The run merges
// the others' windows into its snapshots and summary, reports the lost
// one, lists the seconds it left under-sent, and removes all three.
func TestRunWithGeneratorsReportsALostOne(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load:
  path: /x
  generators: 3
  phases: [{duration: 2s, rate: 90}]
`)
	target := &generatorTarget{fakeTarget: newFakeTarget(t, func(http.ResponseWriter, *http.Request) {}), kill: 1, killAfter: 700 * time.Millisecond, late: -1}
	rec := &recorder{}
	s, err := Run(context.Background(), sc, target, Options{ID: "test", Observers: []Observer{rec}, GeneratorLead: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entries[0]
	// 90 req/s for 2 s, less generator 1's share from 0.7 s on.
	if e.Requests < 125 || e.Requests > 160 || e.OK != e.Requests {
		t.Errorf("%d requests, %d ok; want about 140, all ok", e.Requests, e.OK)
	}
	// What completed during the load is in the windows of its 2 s, which
	// arrive after the load's end: all of them count.
	if e.AchievedRPS < 0.95*float64(e.OK)/2 {
		t.Errorf("achieved %v req/s with %d OK over 2 s: the last second's windows are missing", e.AchievedRPS, e.OK)
	}
	want := &Generators{Count: 3, Lost: []int{1}, UnderSentSeconds: []int{0, 1}}
	if diff := cmp.Diff(want, e.Generators); diff != "" {
		t.Errorf("generators (-want +got):\n%s", diff)
	}
	if rec.count(EventGeneratorLost) != 1 {
		t.Errorf("%d generator_lost events, want 1", rec.count(EventGeneratorLost))
	}
	var sent int
	for _, snap := range rec.snapshots {
		sent += snap.Load.Sent
	}
	if int64(sent) < e.Requests {
		t.Errorf("snapshots show %d sent, the summary %d requests", sent, e.Requests)
	}
	if target.removed != 3 {
		t.Errorf("%d generators removed, want 3", target.removed)
	}
}

// A target that cannot run generators says so.
func TestRunWithGeneratorsNeedsAHost(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, generators: 2, phases: [{duration: 1s, rate: 1}]}
`)
	_, err := Run(context.Background(), sc, newFakeTarget(t, func(http.ResponseWriter, *http.Request) {}), Options{ID: "test"})
	if err == nil || !strings.Contains(err.Error(), "cannot run generators") {
		t.Errorf("Run = %v, want an error saying the target cannot run generators", err)
	}
}

// Of two generators one comes up 1.2 s after the common start: it sends
// nothing of seconds 0 and 1 (no burst), the run says so in an event and
// lists them as under-sent, and the summary has the clock as measured.
func TestRunWithGeneratorsReportsALateOne(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load:
  path: /x
  generators: 2
  phases: [{duration: 3s, rate: 60}]
`)
	target := &generatorTarget{fakeTarget: newFakeTarget(t, func(http.ResponseWriter, *http.Request) {}),
		kill: -1, late: 1, lateBy: 1200 * time.Millisecond, clock: &generators.Offset{Bound: 3 * time.Millisecond}}
	rec := &recorder{}
	s, err := Run(context.Background(), sc, target, Options{ID: "test", Observers: []Observer{rec}, GeneratorLead: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := s.Entries[0]
	// 60 req/s for 3 s, less generator 1's share of seconds 0 and 1.
	if e.Requests != 120 || e.OK != e.Requests {
		t.Errorf("%d requests, %d ok; want 180 less 60, all ok", e.Requests, e.OK)
	}
	want := &Generators{Count: 2, Late: []int{1}, UnderSentSeconds: []int{0, 1}, ClockOffsetMS: ptr(0.0), ClockErrorMS: ptr(3.0)}
	if diff := cmp.Diff(want, e.Generators); diff != "" {
		t.Errorf("generators (-want +got):\n%s", diff)
	}
	if rec.count(EventGeneratorLate) != 1 {
		t.Errorf("%d generator_late events, want 1", rec.count(EventGeneratorLate))
	}
}
