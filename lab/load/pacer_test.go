package load

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

func TestCurveHits(t *testing.T) {
	tests := []struct {
		name  string
		curve Curve
		at    time.Duration
		want  float64
	}{
		{"constant before start", Constant{Rate: 5}, -s, 0},
		{"constant at start", Constant{Rate: 5}, 0, 0},
		{"constant 5/s over 60s", Constant{Rate: 5}, 60 * s, 300},
		{"constant idle", Constant{}, 60 * s, 0},
		{"ramp 0->20 over 60s", Ramp{From: 0, To: 20, Duration: 60 * s}, 60 * s, 600},
		{"ramp 0->20 half way", Ramp{From: 0, To: 20, Duration: 60 * s}, 30 * s, 150},
		{"ramp clamps past its end", Ramp{From: 0, To: 20, Duration: 60 * s}, 90 * s, 600},
		{"ramp down 20->0", Ramp{From: 20, To: 0, Duration: 60 * s}, 60 * s, 600},
		{"ramp down half way", Ramp{From: 20, To: 0, Duration: 60 * s}, 30 * s, 450},
		{"flat ramp", Ramp{From: 7, To: 7, Duration: 10 * s}, 10 * s, 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.curve.Hits(tt.at); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Hits(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

// At is the inverse of Hits, to the nanosecond.
func TestCurveAtInvertsHits(t *testing.T) {
	curves := []struct {
		curve   Curve
		d       time.Duration
		maxRate float64
	}{
		{Constant{Rate: 10000}, 2 * s, 10000},
		{Constant{Rate: 3}, 10 * s, 3},
		{Ramp{From: 0, To: 20, Duration: 60 * s}, 60 * s, 20},
		{Ramp{From: 20, To: 0, Duration: 60 * s}, 60 * s, 20},
		{Ramp{From: 5, To: 50, Duration: 7 * s}, 7 * s, 50},
		{Ramp{From: 4, To: 4, Duration: 3 * s}, 3 * s, 4},
	}
	for _, c := range curves {
		total := c.curve.Hits(c.d)
		tolerance := c.maxRate*1e-9 + 1e-9 // one nanosecond's worth of hits
		for h := 0.0; h <= total; h += total / 97 {
			at := c.curve.At(h)
			if got := c.curve.Hits(at); math.Abs(got-h) > tolerance {
				t.Errorf("%+v: Hits(At(%v)=%v) = %v", c.curve, h, at, got)
			}
		}
	}
}

func TestScheduleTotal(t *testing.T) {
	tests := []struct {
		name   string
		phases []Phase
		want   int64
	}{
		{"constant 5/s over 60s", []Phase{{Duration: 60 * s, Rate: 5}}, 300},
		{"ramp 0->20 over 60s", []Phase{{Duration: 60 * s, Ramp: true, To: 20}}, 600},
		{"ramp 20->0 over 60s", []Phase{{Duration: 60 * s, Ramp: true, From: 20}}, 600},
		{"fractional total rounds up", []Phase{{Duration: 1100 * ms, Rate: 5}}, 6}, // at 0, .2, .4, .6, .8, 1.0
		{
			"back to back continue the schedule",
			[]Phase{{Duration: 1100 * ms, Rate: 5}, {Duration: 900 * ms, Rate: 5}},
			10,
		},
		{
			"DESIGN example: closed, open, ramp",
			[]Phase{{Duration: 60 * s, Workers: 5, WorkerRate: 1}, {Duration: 60 * s, Rate: 5}, {Duration: 120 * s, Ramp: true, From: 5, To: 20}},
			300 + 1500,
		},
		{"idle phase", []Phase{{Duration: s}}, 0},
		{"closed only", []Phase{{Duration: s, Workers: 3}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewSchedule(tt.phases).Total(); got != tt.want {
				t.Errorf("Total() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestScheduleAt(t *testing.T) {
	sched := NewSchedule([]Phase{
		{Duration: 1100 * ms, Rate: 5},       // requests 0..5 at 0, 200ms, ..., 1000ms; 5.5 hits
		{Duration: 1 * s, Workers: 2},        // the open schedule holds still
		{Duration: 1 * s, Rate: 10},          // request 6 at 2100 + 50ms (half a hit carried over)
		{Duration: 2 * s, Ramp: true, To: 4}, // 4 hits from 3100ms: at sqrt(h) seconds after
	})
	tests := []struct {
		i    int64
		want time.Duration
	}{
		{0, 0},
		{1, 200 * ms},
		{5, 1000 * ms},
		{6, 2150 * ms},
		{7, 2250 * ms},
		{15, 3050 * ms},
		{16, 3100*ms + time.Duration(math.Sqrt(0.5)*1e9)},
		{19, 3100*ms + time.Duration(math.Sqrt(3.5)*1e9)},
	}
	for _, tt := range tests {
		got, ok := sched.At(tt.i)
		if d := got - tt.want; !ok || d < -1 || d > 1 {
			t.Errorf("At(%d) = %v, %v; want %v, true", tt.i, got, ok, tt.want)
		}
	}
	if got := sched.Total(); got != 20 {
		t.Errorf("Total() = %d, want 20", got)
	}
	if _, ok := sched.At(20); ok {
		t.Errorf("At(20) = _, true; want false past the total")
	}
}

func TestScheduleDue(t *testing.T) {
	sched := NewSchedule([]Phase{
		{Duration: 1100 * ms, Rate: 5},
		{Duration: 1 * s, Workers: 2},
		{Duration: 1 * s, Rate: 10},
	})
	tests := []struct {
		at   time.Duration
		want int64
	}{
		{-ms, 0},
		{0, 1}, // the first request is due at once
		{199 * ms, 1},
		{200 * ms, 2},
		{1099 * ms, 6},
		{1500 * ms, 6}, // closed phase: nothing more is due
		{2149 * ms, 6},
		{2150 * ms, 7},
		{3099 * ms, 16},
		{3100 * ms, 16},
		{time.Hour, 16},
	}
	for _, tt := range tests {
		if got := sched.Due(tt.at); got != tt.want {
			t.Errorf("Due(%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
}

// Due(e) counts the requests with At(i) <= e, for every schedule shape.
func TestScheduleDueMatchesAt(t *testing.T) {
	schedules := [][]Phase{
		{{Duration: 2 * s, Rate: 1000}},
		{{Duration: 3 * s, Ramp: true, To: 20}, {Duration: 2 * s, Rate: 20}, {Duration: 3 * s, Ramp: true, From: 20, To: 3}},
		{{Duration: 700 * ms, Rate: 7}, {Duration: 300 * ms}, {Duration: s, Workers: 1}, {Duration: 1300 * ms, Rate: 3}},
	}
	for _, phases := range schedules {
		sched := NewSchedule(phases)
		for i := range sched.Total() {
			at, ok := sched.At(i)
			if !ok {
				t.Fatalf("%v: At(%d) not ok below Total %d", phases, i, sched.Total())
			}
			if at >= sched.End() {
				t.Errorf("%v: At(%d) = %v, not before the end %v", phases, i, at, sched.End())
			}
			if got := sched.Due(at); got <= i {
				t.Errorf("%v: Due(At(%d)=%v) = %d, want > %d", phases, i, at, got, i)
			}
			if got := sched.Due(at - 1); got > i {
				t.Errorf("%v: Due(At(%d)-1ns) = %d, want <= %d", phases, i, got, i)
			}
			if i > 0 {
				if prev, _ := sched.At(i - 1); prev > at {
					t.Errorf("%v: At(%d) = %v before At(%d) = %v", phases, i, at, i-1, prev)
				}
			}
		}
	}
}

// Back-to-back phases at the same rate make one regular schedule: no gap and
// no burst at the boundary.
func TestScheduleBoundaryIsSeamless(t *testing.T) {
	split := NewSchedule([]Phase{{Duration: 1030 * ms, Rate: 10}, {Duration: 970 * ms, Rate: 10}})
	whole := NewSchedule([]Phase{{Duration: 2 * s, Rate: 10}})
	var a, b []time.Duration
	for i := range whole.Total() {
		x, _ := split.At(i)
		y, _ := whole.At(i)
		a, b = append(a, x), append(b, y)
	}
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("split schedule differs from the whole one (-whole +split):\n%s", diff)
	}
	if split.Total() != whole.Total() {
		t.Errorf("Total: split %d, whole %d", split.Total(), whole.Total())
	}
}

func TestNextSend(t *testing.T) {
	tests := []struct {
		name          string
		prev, arrival time.Duration
		rate          float64
		want          time.Duration
	}{
		{"fast response waits for the slot", 0, 10 * ms, 2, 500 * ms},
		{"slow response: sent right after it, no burst to catch up", 0, 700 * ms, 2, 700 * ms},
		{"slot counted from the actual send", 700 * ms, 1400 * ms, 2, 1400 * ms},
		{"slot from a late send", 700 * ms, 720 * ms, 2, 1200 * ms},
		{"as fast as possible", 0, 3 * ms, 0, 3 * ms},
		{"response exactly at the slot", 0, 500 * ms, 2, 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextSend(tt.prev, tt.arrival, tt.rate); got != tt.want {
				t.Errorf("NextSend(%v, %v, %v) = %v, want %v", tt.prev, tt.arrival, tt.rate, got, tt.want)
			}
		})
	}
}

// The closed-model rule, replayed: a worker at 2 req/s against a server that
// takes 700ms sends at 0, 0.7s, 1.4s; against one that takes 10ms, at 0,
// 0.5s, 1s, 1.5s.
func TestNextSendSequence(t *testing.T) {
	replay := func(service, phase time.Duration, rate float64) []time.Duration {
		var sends []time.Duration
		for at := time.Duration(0); at < phase; at = NextSend(at, at+service, rate) {
			sends = append(sends, at)
		}
		return sends
	}
	if diff := cmp.Diff([]time.Duration{0, 700 * ms, 1400 * ms}, replay(700*ms, 2*s, 2)); diff != "" {
		t.Errorf("slow server (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{0, 500 * ms, 1000 * ms, 1500 * ms}, replay(10*ms, 2*s, 2)); diff != "" {
		t.Errorf("fast server (-want +got):\n%s", diff)
	}
}

func TestPhaseAt(t *testing.T) {
	phases := []Phase{{Duration: s}, {Duration: 2 * s}}
	for _, tt := range []struct {
		at   time.Duration
		want int
	}{{-s, 0}, {0, 0}, {999 * ms, 0}, {s, 1}, {2999 * ms, 1}, {3 * s, 2}} {
		if got := PhaseAt(phases, tt.at); got != tt.want {
			t.Errorf("PhaseAt(%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
}
