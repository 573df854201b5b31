package generators

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/lab/load/wire"
)

// fakeProcess is a generator that has already written its output.
type fakeProcess struct {
	out     *bytes.Buffer
	code    int
	removed bool
}

func (p *fakeProcess) Output() io.Reader                 { return p.out }
func (p *fakeProcess) Wait(context.Context) (int, error) { return p.code, nil }
func (p *fakeProcess) Remove(context.Context) error      { p.removed = true; return nil }

// fakeLauncher makes each generator write windows of 10 OK requests of
// 1 ms for seconds 0 to seconds-1 and done, but for the generators in
// dies, which stop after their window of that second and exit 137.
type fakeLauncher struct {
	seconds int
	dies    map[int]int // generator -> its last second
	late    map[int]int // generator -> the first second it sends in
	clock   *wire.Clock // what each generator's host says of its clock
	mu      sync.Mutex
	procs   map[int]*fakeProcess
	configs map[int]generate.Config
}

func (l *fakeLauncher) Launch(_ context.Context, gen int, config []byte) (Process, error) {
	var cfg generate.Config
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, err
	}
	p := &fakeProcess{out: &bytes.Buffer{}}
	write := func(line wire.Line) {
		line.V, line.Gen = wire.Version, gen
		data, _ := line.Encode()
		p.out.Write(data)
	}
	from := l.late[gen]
	write(wire.Line{Type: wire.TypeStart, Start: cfg.Start, From: from, LateNanos: int64(from) * int64(time.Second) * 3 / 4, Clock: l.clock})
	for s := from; s < l.seconds; s++ {
		h := load.NewHistogram()
		for range 10 {
			h.RecordValue(1000)
		}
		line, _ := wire.WindowLine(gen, s, load.Record{Sent: 10, OK: 10, MaxNanos: 1e6, Hist: h})
		write(line)
		if last, ok := l.dies[gen]; ok && s == last {
			p.code = 137
			break
		}
	}
	if p.code == 0 {
		write(wire.Line{Type: wire.TypeDone, Seconds: l.seconds - from})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.procs[gen], l.configs[gen] = p, cfg
	return p, nil
}

func TestFleetMergesAndReportsTheLost(t *testing.T) {
	l := &fakeLauncher{seconds: 4, dies: map[int]int{2: 1}, procs: map[int]*fakeProcess{}, configs: map[int]generate.Config{}}
	var lost []Lost
	var mu sync.Mutex
	f, err := Start(context.Background(), l, Config{
		Count: 3, Phases: []load.Phase{{Duration: 4 * time.Second, Rate: 30}},
		Mix: []load.Request{{URL: "http://balancer:80/"}}, Lead: time.Millisecond,
		OnLost: func(x Lost) { mu.Lock(); lost = append(lost, x); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cfg := range l.configs {
		if cfg.Gen != i || cfg.Of != 3 || !cfg.Start.Equal(f.Start()) {
			t.Errorf("generator %d told gen %d of %d from %v; want of 3 from %v", i, cfg.Gen, cfg.Of, cfg.Start, f.Start())
		}
	}
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := f.Window(); w.Sent != 10*(4+4+2) || w.Latency.Count != 100 {
		t.Errorf("window after the end: sent %d over %d responses; want 100, every window", w.Sent, w.Latency.Count)
	}
	if tot := f.Totals(); tot.Requests != 100 || tot.Latency.P99 != 1 {
		t.Errorf("totals: %d requests, p99 %v ms; want 100, 1", tot.Requests, tot.Latency.P99)
	}
	want := []Lost{{Gen: 2, Second: 2, Reason: "exited with code 137"}}
	if diff := cmp.Diff(want, lost); diff != "" {
		t.Errorf("lost (-want +got):\n%s", diff)
	}
	r := f.Report(4 * time.Second)
	if diff := cmp.Diff(Report{Count: 3, Lost: want, UnderSent: []int{2, 3}}, r); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	f.Remove(context.Background())
	for i, p := range l.procs {
		if !p.removed {
			t.Errorf("generator %d not removed", i)
		}
	}
}

// A generator that began late is reported, with how late, and the
// seconds it skipped are under-sent; the fleet gives the generators
// their common start on their own clock, and reports the largest bound
// their hosts gave for their clocks.
func TestFleetReportsLateGenerators(t *testing.T) {
	l := &fakeLauncher{seconds: 4, late: map[int]int{1: 2}, clock: &wire.Clock{ErrorBoundMS: 0.5, Status: "SYNCHRONIZED"},
		procs: map[int]*fakeProcess{}, configs: map[int]generate.Config{}}
	var late []Late
	var mu sync.Mutex
	const offset = 1234 * time.Millisecond
	f, err := Start(context.Background(), l, Config{
		Count: 2, Phases: []load.Phase{{Duration: 4 * time.Second, Rate: 20}}, Lead: time.Millisecond, Offset: &Offset{By: offset},
		OnLate: func(x Late) { mu.Lock(); late = append(late, x); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cfg := range l.configs {
		if d := cfg.Start.Sub(f.Start()); d != offset {
			t.Errorf("generator %d starts %v after lab's start, want %v (on its own clock)", i, d, offset)
		}
	}
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []Late{{Gen: 1, From: 2, By: 1500 * time.Millisecond}}
	if diff := cmp.Diff(want, late); diff != "" {
		t.Errorf("late (-want +got):\n%s", diff)
	}
	r := f.Report(4 * time.Second)
	wantReport := Report{Count: 2, LateStarts: want, UnderSent: []int{0, 1}, Offset: &Offset{By: offset}, ClockErrorBound: 500 * time.Microsecond, ClockKnown: true}
	if diff := cmp.Diff(wantReport, r); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

// The dashboard does not wait for the windows of seconds a late
// generator said it skipped.
func TestWindowDoesNotWaitForSkippedSeconds(t *testing.T) {
	f := &Fleet{cfg: Config{Count: 2}, procs: make([]Process, 2), merger: wire.NewMerger(2),
		ended: make([]bool, 2), done: make([]bool, 2), from: make([]int, 2), clocks: make([]*wire.Clock, 2), last: -1, changed: make(chan struct{})}
	line := func(l wire.Line) []byte {
		l.V = wire.Version
		data, _ := l.Encode()
		return data
	}
	win := func(gen, s int) []byte {
		l, _ := wire.WindowLine(gen, s, load.Record{Hist: load.NewHistogram()})
		return line(l)
	}
	f.take(0, win(0, 0))
	f.take(0, win(0, 1))
	if got := f.readyTo(2); got != 0 {
		t.Fatalf("ready to %d before generator 1 said anything, want 0", got)
	}
	if _, l := f.take(1, line(wire.Line{Type: wire.TypeStart, Gen: 1, From: 2, LateNanos: int64(1200 * time.Millisecond)})); l == nil || l.From != 2 {
		t.Fatalf("start line from 2 taken as %+v", l)
	}
	if got := f.readyTo(2); got != 2 {
		t.Errorf("ready to %d once generator 1 said it begins at 2, want 2", got)
	}
}

// A fleet whose every generator dies fails.
func TestFleetFailsWhenAllAreLost(t *testing.T) {
	l := &fakeLauncher{seconds: 3, dies: map[int]int{0: 0, 1: 0}, procs: map[int]*fakeProcess{}, configs: map[int]generate.Config{}}
	f, err := Start(context.Background(), l, Config{Count: 2, Phases: []load.Phase{{Duration: 3 * time.Second, Rate: 1}}, Lead: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Run(context.Background()); err == nil {
		t.Error("Run = nil with every generator lost")
	}
}

// With a lag (windows that come through CloudWatch Logs), Window shows a
// second only once the lag has passed since its end, even when every
// generator's window of it is in: the seconds shown trail the clock.
func TestFleetWindowTrailsByTheLag(t *testing.T) {
	for _, c := range []struct {
		lag  time.Duration
		sent int
	}{{0, 40}, {10 * time.Second, 0}} {
		l := &fakeLauncher{seconds: 2, procs: map[int]*fakeProcess{}, configs: map[int]generate.Config{}}
		f, err := Start(context.Background(), l, Config{Count: 2, Phases: []load.Phase{{Duration: 2 * time.Second, Rate: 40}}, Lead: time.Millisecond, Lag: c.lag})
		if err != nil {
			t.Fatal(err)
		}
		f.start = time.Now().Add(-2500 * time.Millisecond) // seconds 0 and 1 are over
		for i, p := range l.procs {
			for _, line := range bytes.Split(bytes.TrimSpace(p.out.Bytes()), []byte("\n")) {
				f.take(i, line)
			}
		}
		if w := f.Window(); w.Sent != c.sent {
			t.Errorf("lag %s: the first window sent %d; want %d", c.lag, w.Sent, c.sent)
		}
	}
}

// reasonedProcess is a generator whose launcher can say why it stopped,
// as ECS does for a task.
type reasonedProcess struct {
	*fakeProcess
	reason string
}

func (p reasonedProcess) StopReason() string { return p.reason }

type reasonedLauncher struct {
	fakeLauncher
	reason string
}

func (l *reasonedLauncher) Launch(ctx context.Context, gen int, config []byte) (Process, error) {
	p, err := l.fakeLauncher.Launch(ctx, gen, config)
	if err != nil {
		return nil, err
	}
	return reasonedProcess{p.(*fakeProcess), l.reason}, nil
}

// A lost generator's reason carries what its launcher says beyond the
// exit code.
func TestLostGeneratorSaysWhyItStopped(t *testing.T) {
	l := &reasonedLauncher{reason: "Essential container in task exited",
		fakeLauncher: fakeLauncher{seconds: 2, dies: map[int]int{0: 0}, procs: map[int]*fakeProcess{}, configs: map[int]generate.Config{}}}
	f, err := Start(context.Background(), l, Config{
		Count: 2, Phases: []load.Phase{{Duration: 2 * time.Second, Rate: 20}},
		Mix: []load.Request{{URL: "http://balancer:80/"}}, Lead: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []Lost{{Gen: 0, Second: 1, Reason: "exited with code 137: Essential container in task exited"}}
	if diff := cmp.Diff(want, f.Report(2*time.Second).Lost); diff != "" {
		t.Errorf("lost (-want +got):\n%s", diff)
	}
}
