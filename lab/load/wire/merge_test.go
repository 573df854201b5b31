package wire

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab/load"
)

// sample is one request's outcome: a status (or an error kind) and its latency.
type sample struct {
	code    string // "" for OK
	latency time.Duration
}

// samples makes a generator's requests of one second: mostly OK, some
// 503s and timeouts, latencies spread over four orders of magnitude.
func samples(rng *rand.Rand, n int) []sample {
	out := make([]sample, n)
	for i := range out {
		lat := time.Duration(50+rng.ExpFloat64()*float64(2*time.Millisecond)) + time.Duration(rng.IntN(3))*time.Duration(rng.IntN(800))*time.Millisecond
		switch r := rng.IntN(100); {
		case r < 3:
			out[i] = sample{code: "503", latency: lat}
		case r < 4:
			out[i] = sample{code: load.KindTimeout, latency: 2 * time.Second} // at the timeout
		default:
			out[i] = sample{latency: lat}
		}
	}
	return out
}

// recordOf records samples as a generator's recorder does: latencies of
// every completed request in Hist (a timeout at the timeout), of the OK
// ones in HistOK, in microseconds.
func recordOf(ss []sample) load.Record {
	r := emptyRecord()
	for _, s := range ss {
		r.Sent++
		switch s.code {
		case "":
			r.OK++
		default:
			r.Errors[s.code]++
		}
		us := max(int64(s.latency/time.Microsecond), 1)
		r.MaxNanos = max(r.MaxNanos, int64(s.latency))
		if err := r.Hist.RecordValue(us); err != nil {
			panic(err)
		}
		if s.code == "" {
			r.MaxOKNanos = max(r.MaxOKNanos, int64(s.latency))
			if err := r.HistOK.RecordValue(us); err != nil {
				panic(err)
			}
		}
	}
	return r
}

// fleet is gens generators' windows over secs seconds, as encoded lines,
// with one record per second of everything they recorded and one of
// the whole run.
type fleet struct {
	lines    [][]byte
	bySecond []load.Record
	all      load.Record
}

func newFleet(t *testing.T, gens, secs int) fleet {
	rng := rand.New(rand.NewPCG(1, 2))
	f := fleet{all: emptyRecord()}
	var every []sample
	for s := range secs {
		var second []sample
		for g := range gens {
			ss := samples(rng, 200+rng.IntN(400))
			second = append(second, ss...)
			l, err := WindowLine(g, s, recordOf(ss))
			if err != nil {
				t.Fatal(err)
			}
			data, err := l.Encode()
			if err != nil {
				t.Fatal(err)
			}
			f.lines = append(f.lines, data)
		}
		f.bySecond = append(f.bySecond, recordOf(second))
		every = append(every, second...)
	}
	f.all = recordOf(every)
	return f
}

func feed(t *testing.T, m *Merger, lines ...[]byte) {
	t.Helper()
	for _, data := range lines {
		l, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Add(l); err != nil {
			t.Fatal(err)
		}
	}
}

func totalsOf(r load.Record) load.Totals {
	m := NewMerger(1)
	m.total = r
	return m.Totals()
}

// Windows delivered shuffled, some twice, some after their second was
// taken, merge into the totals of one histogram of every sample: the
// percentiles are equal to the bit.
func TestMergeEqualsOneHistogram(t *testing.T) {
	const gens, secs = 4, 6
	f := newFleet(t, gens, secs)
	rng := rand.New(rand.NewPCG(3, 4))
	order := rng.Perm(len(f.lines))
	m := NewMerger(gens)
	var held [][]byte // arrive after their second was taken
	for i, k := range order {
		switch {
		case i%7 == 0:
			held = append(held, f.lines[k])
		case i%5 == 0:
			feed(t, m, f.lines[k], f.lines[k]) // twice
		default:
			feed(t, m, f.lines[k])
		}
	}
	m.Take(secs)
	feed(t, m, held...)
	feed(t, m, held[0]) // and one of them twice
	if m.Late() != len(held) {
		t.Errorf("Late = %d, want %d", m.Late(), len(held))
	}
	want := totalsOf(f.all)
	if diff := cmp.Diff(want, m.Totals()); diff != "" {
		t.Errorf("merged totals differ from one histogram's (-want +got):\n%s", diff)
	}
	if want.Latency.Count == 0 || want.Latency.P99 == want.Latency.P50 || want.LatencyOK.Count == 0 || want.LatencyOK.Max == want.Latency.Max {
		t.Fatalf("degenerate samples: %+v, ok %+v", want.Latency, want.LatencyOK)
	}
	if req, ok := m.CompletedBefore(secs); req != want.Requests || ok != want.OK {
		t.Errorf("CompletedBefore(%d) = %d, %d; want every request, %d, %d OK", secs, req, ok, want.Requests, want.OK)
	}
	first := totalsOf(f.bySecond[0])
	if req, ok := m.CompletedBefore(1); req != first.Requests || ok != first.OK {
		t.Errorf("CompletedBefore(1) = %d, %d; want second 0's %d, %d", req, ok, first.Requests, first.OK)
	}
	if got := m.Missing(secs); got != nil {
		t.Errorf("Missing = %v, want none", got)
	}
}

// Each second taken when complete is that second's one histogram.
func TestMergeBySecond(t *testing.T) {
	const gens, secs = 3, 4
	f := newFleet(t, gens, secs)
	m := NewMerger(gens)
	// Seconds arrive out of order: the last first.
	for i := len(f.lines) - 1; i >= 0; i-- {
		feed(t, m, f.lines[i])
	}
	for s := range secs {
		if !m.Complete(s) {
			t.Fatalf("second %d not complete", s)
		}
		got, want := m.Take(s+1), window(f.bySecond[s])
		got.InFlight = 0
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("second %d (-want +got):\n%s", s, diff)
		}
	}
}

// A generator that dies leaves its seconds missing from then on.
func TestMissingSeconds(t *testing.T) {
	const gens, secs = 3, 5
	f := newFleet(t, gens, secs)
	m := NewMerger(gens)
	for i, data := range f.lines {
		gen, sec := i%gens, i/gens
		if gen == 1 && sec >= 2 {
			continue // generator 1 died during second 2
		}
		feed(t, m, data)
	}
	if diff := cmp.Diff([]int{2, 3, 4}, m.Missing(secs)); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	// A generator stopped during second 0 says so: that second was
	// under-sent too, though its window arrived.
	l, err := Decode(f.lines[0])
	if err != nil {
		t.Fatal(err)
	}
	l.Second, l.Partial = 7, true
	if _, err := m.Add(l); err != nil {
		t.Fatal(err)
	}
	if got := m.Missing(8); !slices.Contains(got, 7) {
		t.Errorf("Missing = %v, want the partial second 7 among them", got)
	}
	if m.Complete(2) || !m.Complete(1) {
		t.Errorf("Complete(1), Complete(2) = %v, %v; want true, false", m.Complete(1), m.Complete(2))
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, line := range []string{
		`not json`,
		`{"v":2,"type":"window","gen":0,"second":0}`,
		`{"v":1,"type":"gossip","gen":0}`,
		`{"v":1,"type":"window","gen":-1,"second":0}`,
	} {
		if _, err := Decode([]byte(line)); err == nil {
			t.Errorf("Decode(%s) = nil error", line)
		}
	}
	_, err := Decode([]byte(`{"v":2,"type":"done","gen":0}`))
	if !errors.Is(err, ErrVersion) {
		t.Errorf("version 2: %v, want ErrVersion", err)
	}
	m := NewMerger(2)
	if _, err := m.Add(Line{V: Version, Type: TypeWindow, Gen: 2}); err == nil {
		t.Error("merged generator 2 of 2")
	}
	if _, err := m.Add(Line{V: Version, Type: TypeWindow, Gen: 0, Hist: "bm90IGEgaGlzdG9ncmFt"}); err == nil {
		t.Error("merged a window with no histogram in hist")
	}
}
