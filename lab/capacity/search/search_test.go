package search

import (
	"math"
	"math/rand/v2"
	"testing"
)

// server answers a step the way a service under test would.
type server interface {
	step(rate float64) Verdict
}

var (
	_ server = cpuBound{}
	_ server = &noisy{}
	_ server = oomAbove{}
)

// cpuBound is a service that holds up to its knee, with CPU in proportion
// to the rate (plus an idle floor) until it saturates.
type cpuBound struct {
	knee   float64
	idle   float64 // CPU percent at rest
	noCPU  bool    // the target reports no CPU figure
	cpuErr float64 // the CPU figure is off by this factor (1.05: 5% high)
}

func (c cpuBound) step(rate float64) Verdict {
	cpu := math.Min(100, c.idle+(100-c.idle)*rate/c.knee)
	if c.cpuErr != 0 {
		cpu = math.Min(100, cpu*c.cpuErr)
	}
	if c.noCPU {
		cpu = 0
	}
	if rate <= c.knee {
		return Verdict{Held: true, CPU: cpu}
	}
	return Verdict{Reason: ReasonCPU, CPU: cpu}
}

// noisy is cpuBound with a random verdict near the knee (a step within
// spread of it goes either way) and noise on the CPU figure.
type noisy struct {
	cpuBound
	spread   float64 // relative
	cpuNoise float64 // relative standard deviation
	rng      *rand.Rand
}

func (n *noisy) step(rate float64) Verdict {
	v := n.cpuBound.step(rate)
	v.CPU = math.Min(100, v.CPU*(1+n.cpuNoise*n.rng.NormFloat64()))
	if math.Abs(rate/n.knee-1) <= n.spread {
		v.Held = n.rng.IntN(2) == 0
		if v.Held {
			v.Reason = ""
		} else {
			v.Reason = ReasonCPU
		}
	}
	return v
}

// oomAbove is a service killed for memory above a rate, with little CPU.
type oomAbove struct{ rate float64 }

func (o oomAbove) step(rate float64) Verdict {
	if rate <= o.rate {
		return Verdict{Held: true, CPU: 5}
	}
	return Verdict{Reason: ReasonOOM, CPU: 6}
}

// run drives a search against a server to its end.
func run(t *testing.T, cfg Config, srv server) Result {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		st, ok := s.Next()
		if !ok {
			break
		}
		if i > 100 {
			t.Fatalf("no end after %d steps", i)
		}
		if err := s.Record(srv.step(st.Rate)); err != nil {
			t.Fatal(err)
		}
	}
	return s.Result()
}

func TestConvergesOnTheKnee(t *testing.T) {
	tests := []struct {
		name     string
		start    float64
		srv      cpuBound
		maxSteps int // the most steps it may take
	}{
		{"CPU predicts the knee", 1, cpuBound{knee: 3.125}, 3},
		{"CPU at rest", 1, cpuBound{knee: 3.125, idle: 5}, 4},
		{"CPU figure 6% high: prediction low", 1, cpuBound{knee: 12.5, cpuErr: 1.06}, 6},
		{"CPU figure 6% low: prediction high", 1, cpuBound{knee: 6.25, cpuErr: 0.94}, 6},
		{"knee far above the start", 1, cpuBound{knee: 900}, 7},
		{"no CPU figure", 1, cpuBound{knee: 50, noCPU: true}, 12},
		{"start just below the knee", 3, cpuBound{knee: 3.125}, 4},
		{"start above the knee", 10, cpuBound{knee: 3.125}, 6},
		{"start far above the knee", 100, cpuBound{knee: 3.125}, 8},
		{"start far above the knee, no CPU figure", 100, cpuBound{knee: 3.125, noCPU: true}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, Config{Start: tt.start, Min: 0.1}, tt.srv)
			if r.End != EndConverged {
				t.Fatalf("end %s, want converged; steps %+v", r.End, r.Steps)
			}
			if r.Low > tt.srv.knee || r.High <= tt.srv.knee {
				t.Errorf("bracket [%g, %g] misses the knee %g", r.Low, r.High, tt.srv.knee)
			}
			if w := r.High/r.Low - 1; w > DefaultPrecision+1e-9 {
				t.Errorf("bracket [%g, %g] is %.1f%% wide, want at most 3%%", r.Low, r.High, 100*w)
			}
			if r.Sustainable != r.Low || r.LimitedBy != ReasonCPU {
				t.Errorf("sustainable %g limited by %q, want %g and cpu", r.Sustainable, r.LimitedBy, r.Low)
			}
			if len(r.Steps) > tt.maxSteps {
				t.Errorf("%d steps, want at most %d: %+v", len(r.Steps), tt.maxSteps, r.Steps)
			}
		})
	}
}

// The steps the CPU prediction saves: a probe, a jump to just below the
// knee, one step just above.
func TestJumpsNearTheKnee(t *testing.T) {
	r := run(t, Config{Start: 1}, cpuBound{knee: 3.125})
	kinds := []Kind{}
	for _, o := range r.Steps {
		kinds = append(kinds, o.Kind)
	}
	want := []Kind{KindProbe, KindJump, KindGrow}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
	if got := r.Steps[1].Rate; math.Abs(got-3.125*0.985) > 1e-9 {
		t.Errorf("jump to %g, want half the precision below the knee, %g", got, 3.125*0.985)
	}
}

func TestPrecision(t *testing.T) {
	for _, p := range []float64{0.01, 0.03, 0.1} {
		r := run(t, Config{Start: 1, Precision: p}, cpuBound{knee: 17, cpuErr: 1.2})
		if r.End != EndConverged || r.High/r.Low-1 > p+1e-9 || r.Low > 17 || r.High <= 17 {
			t.Errorf("precision %g: end %s, bracket [%g, %g]", p, r.End, r.Low, r.High)
		}
	}
}

// With noise on the verdicts near the knee and on the CPU figure, the
// search still ends, lands within the noise of the knee, and mostly needs
// few steps.
func TestNoise(t *testing.T) {
	const knee, spread, seeds = 6.25, 0.02, 500
	few := 0
	for seed := range uint64(seeds) {
		srv := &noisy{cpuBound: cpuBound{knee: knee, idle: 1}, spread: spread, cpuNoise: 0.05, rng: rand.New(rand.NewPCG(seed, 1))}
		r := run(t, Config{Start: 1}, srv)
		if r.End != EndConverged {
			t.Fatalf("seed %d: end %s, steps %+v", seed, r.End, r.Steps)
		}
		lo, hi := knee*(1-spread)/(1+DefaultPrecision), knee*(1+spread)
		if r.Sustainable < lo || r.Sustainable > hi {
			t.Errorf("seed %d: sustainable %g outside [%g, %g]", seed, r.Sustainable, lo, hi)
		}
		if len(r.Steps) > 12 {
			t.Errorf("seed %d: %d steps", seed, len(r.Steps))
		}
		if len(r.Steps) <= 8 {
			few++
		}
	}
	if few < seeds*9/10 {
		t.Errorf("%d of %d searches took 8 steps or fewer, want 90%%", few, seeds)
	}
}

func TestNeverBreaks(t *testing.T) {
	r := run(t, Config{Start: 1, Max: 200}, cpuBound{knee: 1e6})
	if r.End != EndNeverBroke || r.Sustainable != 200 || r.High != 0 || r.LimitedBy != "" {
		t.Fatalf("end %s, sustainable %g, high %g, limited by %q; want never_broke at 200", r.End, r.Sustainable, r.High, r.LimitedBy)
	}
	for i := 1; i < len(r.Steps); i++ {
		if f := r.Steps[i].Rate / r.Steps[i-1].Rate; f > DefaultMaxGrowth+1e-9 {
			t.Errorf("step %d grew x%g, more than x%g", i+1, f, DefaultMaxGrowth)
		}
	}
}

func TestBrokenAtTheLowestRate(t *testing.T) {
	r := run(t, Config{Start: 4, Min: 0.5}, oomAbove{rate: 0.1})
	if r.End != EndBrokeAtMin || r.Sustainable != 0 || r.LimitedBy != ReasonOOM {
		t.Fatalf("end %s, sustainable %g, limited by %q; want broke_at_min, 0, oom", r.End, r.Sustainable, r.LimitedBy)
	}
	if last := r.Steps[len(r.Steps)-1]; last.Rate != 0.5 || last.Kind != KindBack {
		t.Errorf("last step %+v, want a step back at the min rate 0.5", last)
	}
	if len(r.Steps) != 4 { // 4, 2, 1, 0.5
		t.Errorf("%d steps, want 4: %+v", len(r.Steps), r.Steps)
	}
}

// A limit that is not CPU (memory, here) is found by galloping and
// bisecting, without a prediction to lean on.
func TestLimitWithoutCPU(t *testing.T) {
	r := run(t, Config{Start: 1}, oomAbove{rate: 7.3})
	if r.End != EndConverged || r.LimitedBy != ReasonOOM || r.Low > 7.3 || r.High <= 7.3 {
		t.Fatalf("end %s, limited by %q, bracket [%g, %g]", r.End, r.LimitedBy, r.Low, r.High)
	}
}

func TestOutOfSteps(t *testing.T) {
	r := run(t, Config{Start: 1, MaxSteps: 2}, cpuBound{knee: 100, noCPU: true})
	if r.End != EndOutOfSteps || len(r.Steps) != 2 || r.Sustainable != 2 {
		t.Fatalf("end %s after %d steps, sustainable %g", r.End, len(r.Steps), r.Sustainable)
	}
}

func TestStop(t *testing.T) {
	s, err := New(Config{Start: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(Verdict{Held: true, CPU: 30}); err != nil {
		t.Fatal(err)
	}
	s.Stop(EndBudget)
	if _, ok := s.Next(); ok || !s.Done() {
		t.Fatal("a stopped search still has a step")
	}
	if err := s.Record(Verdict{Held: true}); err != ErrDone {
		t.Errorf("Record after Stop: %v, want ErrDone", err)
	}
	r := s.Result()
	if r.End != EndBudget || r.Sustainable != 1 || r.Converged() {
		t.Errorf("result %+v", r)
	}
}

// Every step after the first lies strictly inside what the verdicts so
// far leave open, so none is wasted.
func TestStepsStayInsideTheBracket(t *testing.T) {
	srv := cpuBound{knee: 41, cpuErr: 0.8}
	s, _ := New(Config{Start: 2})
	lo, hi := 0.0, math.Inf(1)
	for {
		st, ok := s.Next()
		if !ok {
			break
		}
		if st.Rate <= lo || st.Rate >= hi {
			t.Fatalf("step %d at %g outside (%g, %g)", st.N, st.Rate, lo, hi)
		}
		v := srv.step(st.Rate)
		if v.Held {
			lo = st.Rate
		} else {
			hi = st.Rate
		}
		s.Record(v)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Start: -1},
		{Start: math.Inf(1)},
		{Start: 1, Min: 2},
		{Start: 2, Max: 1},
		{Start: 1, Precision: 1},
		{Start: 1, MaxGrowth: 1},
		{Start: 1, MaxSteps: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}

// latencyBound breaks above a rate with its CPU far from saturated (a
// limit that is not CPU, or a host that starves the task): the CPU's
// prediction overshoots.
type latencyBound struct{ limit, cpuPerReq float64 }

func (l latencyBound) step(rate float64) Verdict {
	if rate <= l.limit {
		return Verdict{Held: true, CPU: rate * l.cpuPerReq}
	}
	return Verdict{Reason: ReasonLatency, CPU: rate * l.cpuPerReq}
}

// When the CPU predicts a knee above a rate that broke, the knee lies
// just below that rate: the search steps down from it, not up from the
// rate that held.
func TestPredictionAboveTheBracket(t *testing.T) {
	r := run(t, Config{Start: 5.96}, latencyBound{limit: 5.9, cpuPerReq: 8})
	if r.End != EndConverged || r.Low > 5.9 || r.High <= 5.9 {
		t.Fatalf("end %s, bracket [%g, %g]", r.End, r.Low, r.High)
	}
	if len(r.Steps) > 3 {
		t.Errorf("%d steps, want 3 (5.96 broke, 2.98 held, then just below 5.96): %+v", len(r.Steps), r.Steps)
	}
}
