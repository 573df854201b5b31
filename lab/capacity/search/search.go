// Package search finds the highest arrival rate at which a service holds
// its SLO, as a pure state machine: given the verdict of the last step
// (held or broke, why, and the envelope CPU it used) it returns the next
// rate to try, or that it is done and the bracket it found. It never
// sleeps, sends a request or reads a clock: the runner (package capacity)
// does, the way vegeta's attack loop sleeps while its Pacer computes.
//
// # How the next rate is chosen
//
//  1. The first step is a probe at a low rate (Config.Start).
//  2. While nothing has broken, a step that held and used C% of its CPU
//     envelope at rate r predicts a knee near r x 100 / C, if the service
//     is CPU-bound and its CPU grows with the rate. The next step jumps to
//     just below that knee (by half the precision), at most MaxGrowth
//     times higher. With no CPU figure the rate doubles; when the CPU says
//     the knee is reached but the step held, the rate creeps up by the
//     precision, then twice that, four times, ... (galloping).
//  3. Once a step has broken and one has held, the knee lies in the
//     bracket [highest held, lowest broken]. Inside it the next rate is
//     the knee the highest held step's CPU predicts, when that falls
//     inside; otherwise a gallop from the side of the last verdict (just
//     below the rate that broke, or just above the one that held), never
//     farther than the bracket's geometric middle. Every step lies at
//     least half the precision inside the bracket, so each one shrinks it.
//  4. It stops when the bracket is within the precision (High / Low - 1 <=
//     Precision), when a step held at Max, when steps broke down to Min,
//     after MaxSteps, or when the runner says so (Stop).
//
// When the CPU figure predicts the knee well (a CPU-bound service), the
// search needs a probe, a step just below the knee and one just above it.
package search

import (
	"errors"
	"fmt"
	"math"
)

// Defaults for the zero values of Config.
const (
	DefaultPrecision = 0.03
	DefaultMaxGrowth = 4.0
	DefaultMaxSteps  = 16
	// DefaultMinDivisor sets Min to Start / DefaultMinDivisor.
	DefaultMinDivisor = 16.0
)

// minCPUForEstimate is the least envelope CPU (percent) whose figure
// predicts a knee: below it an idle service's own CPU (health checks, the
// runtime) weighs as much as the requests', and the prediction is noise.
const minCPUForEstimate = 2.0

// Reason says why a step broke.
type Reason string

// Reasons, in the words capacity.json uses (limited_by).
const (
	ReasonLatency Reason = "latency" // a latency bound of the SLO broke, or latency kept rising, with CPU to spare
	ReasonErrors  Reason = "errors"  // the error rate bound broke
	ReasonCPU     Reason = "cpu"     // the CPU envelope was saturated while latency broke or kept rising
	ReasonOOM     Reason = "oom"     // a task was killed for memory (or restarted) during the step
)

// Kind says how a step's rate was chosen.
type Kind string

// Kinds of step.
const (
	KindProbe  Kind = "probe"  // the first step
	KindJump   Kind = "jump"   // to just below the knee the CPU per request predicts
	KindGrow   Kind = "grow"   // higher, nothing broke yet and no usable prediction
	KindBack   Kind = "back"   // lower: every step so far broke
	KindBisect Kind = "bisect" // inside the bracket
)

// End says how a search ended.
type End string

// Ends.
const (
	EndConverged  End = "converged"    // the bracket is within the precision
	EndNeverBroke End = "never_broke"  // a step held at Max
	EndBrokeAtMin End = "broke_at_min" // steps broke down to Min: nothing is sustainable
	EndOutOfSteps End = "out_of_steps" // MaxSteps ran
	EndBudget     End = "budget"       // the runner's time ran out (Stop)
	EndStopped    End = "stopped"      // the runner stopped it otherwise (Stop), e.g. interrupted
)

// Config bounds a search. Start is required; the rest have defaults.
type Config struct {
	Start     float64 // the first step's rate, req/s
	Min       float64 // the lowest rate tried (default Start / 16)
	Max       float64 // the highest rate tried (default: no limit)
	Precision float64 // stop when High / Low - 1 <= Precision (default 3%)
	MaxGrowth float64 // the largest factor between a held step and the next (default 4)
	MaxSteps  int     // (default 16)
}

// Step is a rate to try, with how it was chosen.
type Step struct {
	N    int     // from 1
	Rate float64 // req/s
	Kind Kind
	Why  string // how the rate was chosen, for people
}

// Verdict is what the runner measured at a step's rate.
type Verdict struct {
	Held   bool
	Reason Reason  // why it broke; empty when it held
	CPU    float64 // the envelope's CPU in percent over the step; 0 when unknown
}

// Outcome is a step with its verdict.
type Outcome struct {
	Step
	Verdict
}

// Result is what a search found.
type Result struct {
	// Sustainable is the highest rate that held (Low); 0 when none did.
	Sustainable float64
	// Low is the highest rate that held, High the lowest that broke; 0
	// when there is none.
	Low, High float64
	// LimitedBy is why the step at High broke; empty when none broke.
	LimitedBy Reason
	End       End
	Steps     []Outcome
}

// Converged reports whether the bracket is within the precision.
func (r Result) Converged() bool { return r.End == EndConverged }

// Search is one search's state. Use Next to get the step to run and
// Record to give its verdict, until Next reports done.
type Search struct {
	cfg     Config
	steps   []Outcome
	pending *Step
	lo, hi  *Outcome // highest held, lowest broken
	end     End
	upRun   int  // consecutive galloping steps up
	downRun int  // consecutive galloping steps down
	gallop  bool // the pending step is a gallop: aimed near the knee
	// lastGallop: the step just recorded was a gallop.
	lastGallop bool
}

// New validates cfg, fills in its defaults and returns a search whose
// first step is a probe at cfg.Start.
func New(cfg Config) (*Search, error) {
	if cfg.Precision == 0 {
		cfg.Precision = DefaultPrecision
	}
	if cfg.MaxGrowth == 0 {
		cfg.MaxGrowth = DefaultMaxGrowth
	}
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	if cfg.Min == 0 {
		cfg.Min = cfg.Start / DefaultMinDivisor
	}
	if cfg.Max == 0 {
		cfg.Max = math.Inf(1)
	}
	bad := func(f float64) bool { return math.IsNaN(f) || f <= 0 }
	switch {
	case bad(cfg.Start) || math.IsInf(cfg.Start, 0):
		return nil, fmt.Errorf("search: start rate %g must be positive", cfg.Start)
	case bad(cfg.Min) || cfg.Min > cfg.Start:
		return nil, fmt.Errorf("search: min rate %g must be positive and at most the start rate %g", cfg.Min, cfg.Start)
	case bad(cfg.Max) || cfg.Max < cfg.Start:
		return nil, fmt.Errorf("search: max rate %g must be at least the start rate %g", cfg.Max, cfg.Start)
	case bad(cfg.Precision) || cfg.Precision >= 1:
		return nil, fmt.Errorf("search: precision %g must be in (0, 1)", cfg.Precision)
	case bad(cfg.MaxGrowth) || cfg.MaxGrowth <= 1:
		return nil, fmt.Errorf("search: max growth %g must be above 1", cfg.MaxGrowth)
	case cfg.MaxSteps < 1:
		return nil, fmt.Errorf("search: max steps %d must be at least 1", cfg.MaxSteps)
	}
	s := &Search{cfg: cfg}
	s.pending = &Step{N: 1, Rate: cfg.Start, Kind: KindProbe, Why: "first step, at a low rate"}
	return s, nil
}

// Config is the search's configuration with its defaults filled in.
func (s *Search) Config() Config { return s.cfg }

// Next returns the step to run, or false when the search is done.
func (s *Search) Next() (Step, bool) {
	if s.pending == nil {
		return Step{}, false
	}
	return *s.pending, true
}

// ErrDone is returned by Record when there is no step to record.
var ErrDone = errors.New("search: done, no step pending")

// Record gives the verdict of the step Next returned, and chooses the
// next one.
func (s *Search) Record(v Verdict) error {
	if s.pending == nil {
		return ErrDone
	}
	if v.Held {
		v.Reason = ""
	}
	o := Outcome{Step: *s.pending, Verdict: v}
	s.steps = append(s.steps, o)
	last := &s.steps[len(s.steps)-1]
	if v.Held {
		s.lo = last
		s.downRun = 0
	} else {
		s.hi = last
		s.upRun = 0
	}
	s.pending = nil
	if end, ok := s.finished(); ok {
		s.end = end
		return nil
	}
	s.lastGallop, s.gallop = s.gallop, false
	next := s.choose()
	next.N = len(s.steps) + 1
	s.pending = &next
	return nil
}

// Stop ends the search early, e.g. when the runner's time budget is
// spent; the bracket so far is the result.
func (s *Search) Stop(why End) {
	if s.pending == nil {
		return
	}
	s.pending = nil
	s.end = why
}

// Done reports whether the search is over.
func (s *Search) Done() bool { return s.pending == nil }

// Result is what the search found so far (its End is empty while it
// goes on).
func (s *Search) Result() Result {
	r := Result{End: s.end, Steps: append([]Outcome(nil), s.steps...)}
	if s.lo != nil {
		r.Low, r.Sustainable = s.lo.Rate, s.lo.Rate
	}
	if s.hi != nil {
		r.High, r.LimitedBy = s.hi.Rate, s.hi.Reason
	}
	return r
}

// finished decides whether the search is over after a verdict.
func (s *Search) finished() (End, bool) {
	p := s.cfg.Precision
	switch {
	case s.lo != nil && s.hi != nil && s.hi.Rate/s.lo.Rate-1 <= p*(1+1e-9):
		return EndConverged, true
	case s.hi == nil && s.lo.Rate >= s.cfg.Max:
		return EndNeverBroke, true
	case s.lo == nil && s.hi.Rate <= s.cfg.Min:
		return EndBrokeAtMin, true
	case len(s.steps) >= s.cfg.MaxSteps:
		return EndOutOfSteps, true
	}
	return "", false
}

// knee is the rate at which the CPU of the steps that held predicts the
// envelope saturates. With one usable step it assumes the CPU grows in
// proportion to the rate (r x 100 / C); with two far enough apart (the
// lowest and the highest rate that held, at least 1.5x apart) it fits a
// line through them, so that CPU the service spends at rest (a
// runtime's, health checks') does not push the prediction low. far says
// the CPU is too low to predict anything but that the knee is far above.
func (s *Search) knee() (k float64, far, ok bool) {
	hi := s.lo
	if hi == nil || hi.CPU <= 0 {
		return 0, false, false
	}
	if hi.CPU < minCPUForEstimate {
		return 0, true, false
	}
	k = hi.Rate * 100 / hi.CPU
	var low *Outcome
	for i := range s.steps {
		o := &s.steps[i]
		if o.Held && o.CPU >= minCPUForEstimate && o.Rate < hi.Rate && (low == nil || o.Rate < low.Rate) {
			low = o
		}
	}
	if low != nil && hi.Rate >= 1.5*low.Rate && hi.CPU > low.CPU {
		slope := (hi.CPU - low.CPU) / (hi.Rate - low.Rate)
		k = hi.Rate + (100-hi.CPU)/slope
	}
	return k, false, true
}

func (s *Search) choose() Step {
	switch {
	case s.hi == nil:
		return s.grow()
	case s.lo == nil:
		return s.back()
	default:
		return s.bisect()
	}
}

// grow picks the next rate while every step has held.
func (s *Search) grow() Step {
	p, lo := s.cfg.Precision, s.lo
	top := math.Min(lo.Rate*s.cfg.MaxGrowth, s.cfg.Max)
	k, far, ok := s.knee()
	switch {
	case far:
		s.upRun = 0
		return Step{Rate: top, Kind: KindJump,
			Why: fmt.Sprintf("CPU %.1f%% at %s req/s: the knee is far above, x%g", lo.CPU, rateText(lo.Rate), s.cfg.MaxGrowth)}
	case ok && k*(1-p/2) >= lo.Rate*(1+p):
		s.upRun = 0
		rate := math.Min(k*(1-p/2), top)
		why := fmt.Sprintf("CPU %.0f%% at %s req/s predicts a knee near %s req/s", lo.CPU, rateText(lo.Rate), rateText(k))
		if rate < k*(1-p/2) {
			why += fmt.Sprintf("; at most x%g per step", s.cfg.MaxGrowth)
		}
		return Step{Rate: rate, Kind: KindJump, Why: why}
	case !ok:
		return Step{Rate: math.Min(lo.Rate*2, top), Kind: KindGrow, Why: "no CPU figure to predict the knee: double"}
	}
	f := p * math.Pow(2, float64(s.upRun))
	s.upRun++
	s.gallop = true
	rate := math.Min(lo.Rate*(1+f), top)
	return Step{Rate: rate, Kind: KindGrow, Why: fmt.Sprintf("held at CPU %.0f%%, at the predicted knee: %.0f%% higher", lo.CPU, 100*f)}
}

// back picks the next rate while every step has broken.
func (s *Search) back() Step {
	rate := math.Max(s.hi.Rate/2, s.cfg.Min)
	return Step{Rate: rate, Kind: KindBack, Why: fmt.Sprintf("broke (%s) at %s req/s: halve", s.hi.Reason, rateText(s.hi.Rate))}
}

// bisect picks the next rate inside the bracket [lo, hi]: the knee the
// CPU predicts when it lies inside; else a gallop up from lo when the
// CPU says lo is at the knee, or from the bound the last step moved when
// that step was aimed near the knee (a jump, a gallop); else the
// geometric middle.
func (s *Search) bisect() Step {
	p, lo, hi := s.cfg.Precision, s.lo.Rate, s.hi.Rate
	lower, upper := lo*(1+p/2), hi/(1+p/2)
	mid := math.Sqrt(lo * hi)
	clamp := func(r float64) float64 {
		if lower > upper {
			return mid
		}
		return math.Min(math.Max(r, lower), upper)
	}
	inside := fmt.Sprintf("inside [%s, %s]", rateText(lo), rateText(hi))
	k, _, ok := s.knee()
	aim := k * (1 - p/2)
	if ok && aim >= lower && aim <= upper {
		s.gallop = true
		return Step{Rate: aim, Kind: KindBisect,
			Why: fmt.Sprintf("CPU %.0f%% at %s req/s predicts a knee near %s req/s, %s", s.lo.CPU, rateText(lo), rateText(k), inside)}
	}
	// A prediction below the bracket says lo is at the knee; one above
	// it was proven wrong by the step that broke: the knee lies just
	// below that step.
	last := s.steps[len(s.steps)-1]
	aimed := last.Kind == KindJump || s.lastGallop
	above := ok && aim > upper
	up := ok && aim < lower || last.Held && aimed && !above
	down := !up && (above || !last.Held && aimed)
	switch {
	case up:
		s.gallop = true
		f := p * math.Pow(2, float64(s.upRun))
		s.upRun++
		return Step{Rate: clamp(math.Min(lo*(1+f), mid)), Kind: KindBisect,
			Why: fmt.Sprintf("held at %s req/s: %.0f%% higher, %s", rateText(lo), 100*f, inside)}
	case down:
		s.gallop = true
		f := p * math.Pow(2, float64(s.downRun))
		s.downRun++
		return Step{Rate: clamp(math.Max(hi/(1+f), mid)), Kind: KindBisect,
			Why: fmt.Sprintf("broke at %s req/s: %.0f%% lower, %s", rateText(hi), 100*f, inside)}
	}
	s.upRun, s.downRun = 0, 0
	return Step{Rate: clamp(mid), Kind: KindBisect, Why: "the middle, " + inside}
}

// rateText formats a rate with three significant digits.
func rateText(r float64) string { return fmt.Sprintf("%.3g", r) }
