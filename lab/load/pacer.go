package load

import (
	"math"
	"sort"
	"time"
)

// This file holds the schedules as pure functions of elapsed time: no clock,
// no sleeping. The generator owns the clock and asks them what is due.

// Curve is an open-model arrival rate over one phase, as its integral.
type Curve interface {
	// Hits returns the number of arrivals the curve expects between the
	// start of its phase and t (the integral of the rate over [0, t]).
	// It is continuous and non-decreasing; fractional values are meaningful.
	Hits(t time.Duration) float64
	// At is the inverse of Hits: the earliest t at which Hits(t) reaches
	// hits, rounded to the nanosecond. hits is in [0, Hits(phase end)].
	At(hits float64) time.Duration
}

var (
	_ Curve = Constant{}
	_ Curve = Ramp{}
)

// Constant is a constant arrival rate in requests per second.
type Constant struct {
	Rate float64
}

// Hits returns Rate x t.
func (c Constant) Hits(t time.Duration) float64 {
	if t <= 0 || c.Rate <= 0 {
		return 0
	}
	return c.Rate * t.Seconds()
}

// At returns hits / Rate.
func (c Constant) At(hits float64) time.Duration {
	if hits <= 0 || c.Rate <= 0 {
		return 0
	}
	return roundDuration(hits / c.Rate)
}

// Ramp is an arrival rate that changes linearly from From to To requests per
// second over Duration.
type Ramp struct {
	From, To float64
	Duration time.Duration
}

// Hits integrates the linear rate: From*t + (To-From)*t²/(2*Duration), with t
// clamped to [0, Duration]. A ramp from 0 to 20 over 60s expects 600 hits.
func (r Ramp) Hits(t time.Duration) float64 {
	if t <= 0 || r.Duration <= 0 {
		return 0
	}
	t = min(t, r.Duration)
	s, d := t.Seconds(), r.Duration.Seconds()
	return r.From*s + (r.To-r.From)*s*s/(2*d)
}

// At solves Hits(t) = hits for t. The quadratic's root is written as
// 2h / (a + sqrt(a² + 2(b-a)h/D)), which stays exact when From is 0 or
// From == To and does not cancel catastrophically when the ramp goes down.
func (r Ramp) At(hits float64) time.Duration {
	if hits <= 0 || r.Duration <= 0 {
		return 0
	}
	a, b, d := r.From, r.To, r.Duration.Seconds()
	disc := a*a + 2*(b-a)*hits/d
	den := a + math.Sqrt(max(disc, 0))
	if den <= 0 {
		return r.Duration
	}
	return min(roundDuration(2*hits/den), r.Duration)
}

// roundDuration converts seconds to a Duration, to the nearest nanosecond.
func roundDuration(seconds float64) time.Duration {
	return time.Duration(math.Round(seconds * float64(time.Second)))
}

// eps absorbs floating-point noise when counts are compared with integers:
// 5 req/s over 60s is 300 requests, not 301 because of 300.0000000001.
const eps = 1e-9

func floorCount(x float64) int64 { return int64(math.Floor(x + eps)) }
func ceilCount(x float64) int64  { return int64(math.Ceil(x - eps)) }

// segment is one phase placed on the run's time line.
type segment struct {
	start, end time.Duration
	curve      Curve   // nil for a closed-model phase
	cumStart   float64 // open-model hits expected before this phase
	cumEnd     float64 // ... and by its end
}

// Schedule is the open-model arrival schedule of a whole run: request i
// (counting from 0 across all phases) is due at the time at which the
// integral of the rate reaches i. So a constant rate sends its first request
// at the start of its phase and then one every 1/rate seconds, a ramp sends
// the integral of its rate, and consecutive open phases continue one
// another's schedule with no gap and no burst at the boundary. Closed-model
// phases hold the open schedule still. A request belongs to the phase in
// which it is due; requests due at or after the end of the last phase are
// not sent.
type Schedule struct {
	segs  []segment
	total int64
}

// NewSchedule places phases back to back from elapsed time 0. The phases are
// assumed valid (see New).
func NewSchedule(phases []Phase) Schedule {
	var s Schedule
	var at time.Duration
	var cum float64
	for _, p := range phases {
		seg := segment{start: at, end: at + p.Duration, cumStart: cum}
		if !p.closed() {
			seg.curve = p.curve()
			cum += seg.curve.Hits(p.Duration)
		}
		seg.cumEnd = cum
		s.segs = append(s.segs, seg)
		at = seg.end
	}
	s.total = ceilCount(cum)
	return s
}

// Total is the number of open-model requests the schedule sends.
func (s Schedule) Total() int64 { return s.total }

// End is the elapsed time at which the last phase ends.
func (s Schedule) End() time.Duration {
	if len(s.segs) == 0 {
		return 0
	}
	return s.segs[len(s.segs)-1].end
}

// Due returns how many open-model requests are due by elapsed time e, that is
// the number of i with At(i) <= e.
func (s Schedule) Due(e time.Duration) int64 {
	if e < 0 || len(s.segs) == 0 {
		return 0
	}
	if e >= s.End() {
		return s.total
	}
	seg := s.segs[s.segmentAt(e)]
	lo, hi := ceilCount(seg.cumStart), ceilCount(seg.cumEnd)
	if seg.curve == nil {
		return lo
	}
	// The integral gives the count up to rounding; At, which the sender
	// sleeps by, has the last word, so that Due and At never disagree.
	n := min(max(floorCount(seg.cumStart+seg.curve.Hits(e-seg.start))+1, lo), hi)
	for n > lo && seg.at(n-1) > e {
		n--
	}
	for n < hi && seg.at(n) <= e {
		n++
	}
	return n
}

// at is the due time of request i, which this open segment holds.
func (seg segment) at(i int64) time.Duration {
	at := seg.start + seg.curve.At(max(float64(i)-seg.cumStart, 0))
	return min(at, seg.end-1) // rounding never pushes a request into the next phase
}

// At returns the elapsed time at which open-model request i is due, and
// false when the schedule has no request i.
func (s Schedule) At(i int64) (time.Duration, bool) {
	if i < 0 || i >= s.total {
		return s.End(), false
	}
	h := float64(i)
	// The first segment whose hits reach past i holds it: cumStart <= i < cumEnd.
	k := sort.Search(len(s.segs), func(k int) bool { return s.segs[k].cumEnd > h+eps })
	if k == len(s.segs) || s.segs[k].curve == nil {
		return s.End(), false // unreachable for i < total
	}
	return s.segs[k].at(i), true
}

// segmentAt returns the index of the segment that holds elapsed time e
// (start <= e < end), or the last one.
func (s Schedule) segmentAt(e time.Duration) int {
	k := sort.Search(len(s.segs), func(k int) bool { return s.segs[k].end > e })
	return min(k, len(s.segs)-1)
}

// PhaseAt returns the index of the phase that holds elapsed time e when the
// phases run back to back from 0: 0 before the start, and len(phases) at or
// after the end of the last one.
func PhaseAt(phases []Phase, e time.Duration) int {
	if e < 0 {
		return 0
	}
	var at time.Duration
	for i, p := range phases {
		at += p.Duration
		if e < at {
			return i
		}
	}
	return len(phases)
}

// NextSend is the closed-model rule for one worker: having sent its previous
// request at prevSend and received the response at arrival, the worker sends
// its next one at max(prevSend + 1/rate, arrival). A rate of 0 means as fast
// as possible (next = arrival). A slot that passes while the request is in
// flight is not made up for beyond sending as soon as the response arrives;
// this is what `hey -c W -q R` does.
func NextSend(prevSend, arrival time.Duration, rate float64) time.Duration {
	return max(prevSend+Interval(rate), arrival)
}

// Interval is 1/rate as a Duration, and 0 for a rate of 0 (no pacing).
func Interval(rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / rate)
}
