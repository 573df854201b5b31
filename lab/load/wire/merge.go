package wire

import (
	"fmt"
	"slices"

	"github.com/ecslab/lab/lab/load"
)

// Merger merges the windows of many generators by second. Counts add up
// and histograms merge bucket by bucket, so the merged percentiles are
// those of one histogram of every latency, not an average of the
// generators' percentiles. Windows may arrive in any order, late or
// twice: a second window of a generator for the same second is dropped.
//
// A second's histogram is kept until Take hands the second out (a
// histogram is about 190 KB); a window arriving after that still counts
// in Totals, exactly, and is counted as Late.
type Merger struct {
	gens    int
	seconds map[int]*second
	taken   int // seconds below it were handed out by Take
	total   load.Record
	seen    map[[2]int]bool  // (generator, second)
	partial map[int]bool     // seconds some generator was stopped during
	done    map[int][2]int64 // by second, for good: requests completed and OK
	flight  map[int]int64    // each generator's in-flight requests at its latest window
	latest  map[int]int      // each generator's latest second
	late    int
}

type second struct {
	rec  load.Record
	from int // how many generators it holds
}

// NewMerger merges the windows of gens generators.
func NewMerger(gens int) *Merger {
	return &Merger{
		gens: gens, seconds: map[int]*second{}, total: emptyRecord(),
		seen: map[[2]int]bool{}, partial: map[int]bool{}, done: map[int][2]int64{}, flight: map[int]int64{}, latest: map[int]int{},
	}
}

func emptyRecord() load.Record {
	return load.Record{Errors: map[string]int64{}, Hist: load.NewHistogram(), HistOK: load.NewHistogram()}
}

// Add merges one window line. It reports false for a window it already
// has (a duplicate) and an error for a line that is no window or holds
// a histogram it cannot read.
func (m *Merger) Add(l Line) (bool, error) {
	if l.Type != TypeWindow {
		return false, fmt.Errorf("wire: merge a %s line: only windows merge", l.Type)
	}
	if l.Gen >= m.gens {
		return false, fmt.Errorf("wire: generator %d of %d", l.Gen, m.gens)
	}
	key := [2]int{l.Gen, l.Second}
	if m.seen[key] {
		return false, nil
	}
	r, err := l.Record()
	if err != nil {
		return false, fmt.Errorf("generator %d, second %d: %w", l.Gen, l.Second, err)
	}
	m.seen[key] = true
	d := m.done[l.Second]
	d[0] += r.OK
	for _, n := range r.Errors {
		d[0] += n
	}
	d[1] += r.OK
	m.done[l.Second] = d
	if l.Partial {
		m.partial[l.Second] = true
	}
	add(&m.total, r)
	if prev, ok := m.latest[l.Gen]; !ok || l.Second > prev {
		m.latest[l.Gen], m.flight[l.Gen] = l.Second, r.InFlight
	}
	if l.Second < m.taken {
		m.late++
		return true, nil
	}
	s := m.seconds[l.Second]
	if s == nil {
		s = &second{rec: emptyRecord()}
		m.seconds[l.Second] = s
	}
	add(&s.rec, r)
	s.from++
	return true, nil
}

// add merges src into dst.
func add(dst *load.Record, src load.Record) {
	dst.Sent += src.Sent
	dst.OK += src.OK
	for k, n := range src.Errors {
		dst.Errors[k] += n
	}
	dst.Cancelled += src.Cancelled
	dst.InFlight += src.InFlight
	dst.MaxNanos = max(dst.MaxNanos, src.MaxNanos)
	dst.Hist.Merge(src.Hist)
	dst.MaxOKNanos = max(dst.MaxOKNanos, src.MaxOKNanos)
	if src.HistOK != nil {
		dst.HistOK.Merge(src.HistOK)
	}
}

// Complete reports whether every generator's window of second s arrived.
func (m *Merger) Complete(s int) bool {
	if s < m.taken {
		return true
	}
	sec := m.seconds[s]
	return sec != nil && sec.from == m.gens
}

// Has reports whether generator gen's window of second s arrived.
func (m *Merger) Has(gen, s int) bool { return m.seen[[2]int{gen, s}] }

// Latest is generator gen's latest second, and false before its first.
func (m *Merger) Latest(gen int) (int, bool) {
	s, ok := m.latest[gen]
	return s, ok
}

// Taken is the first second Take has not handed out.
func (m *Merger) Taken() int { return m.taken }

// Take returns the windows of the seconds from Taken() up to to
// (excluded), merged into one, and forgets their histograms. Its
// InFlight is the generators' at their latest windows.
func (m *Merger) Take(to int) load.Window {
	r := emptyRecord()
	for s := m.taken; s < to; s++ {
		if sec := m.seconds[s]; sec != nil {
			add(&r, sec.rec)
			delete(m.seconds, s)
		}
	}
	m.taken = max(m.taken, to)
	r.InFlight = m.inFlight()
	return window(r)
}

// Window is second s's merged window as it stands, without taking it.
func (m *Merger) Window(s int) load.Window {
	r := emptyRecord()
	if sec := m.seconds[s]; sec != nil {
		add(&r, sec.rec)
	}
	return window(r)
}

func (m *Merger) inFlight() int64 {
	var n int64
	for _, f := range m.flight {
		n += f
	}
	return n
}

// Late counts the windows that arrived after Take had handed their
// second out: they are in Totals, not in the window Take returned.
func (m *Merger) Late() int { return m.late }

// Totals is every window merged.
func (m *Merger) Totals() load.Totals {
	var errs int64
	for _, n := range m.total.Errors {
		errs += n
	}
	t := load.Totals{
		Sent: m.total.Sent, Requests: m.total.OK + errs, OK: m.total.OK,
		Errors: map[string]int64{}, Cancelled: m.total.Cancelled,
		Latency:   load.PercentilesOf(m.total.Hist, m.total.MaxNanos),
		LatencyOK: load.PercentilesOf(m.total.HistOK, m.total.MaxOKNanos),
		InFlight:  m.inFlight(),
	}
	for k, n := range m.total.Errors {
		t.Errors[k] = n
	}
	return t
}

// CompletedBefore is how many requests completed, and how many of them
// OK, in the seconds below n: what had completed by the end of an
// n-second load, whatever was taken and whenever its windows arrived.
func (m *Merger) CompletedBefore(n int) (requests, ok int64) {
	for s, d := range m.done {
		if s < n {
			requests, ok = requests+d[0], ok+d[1]
		}
	}
	return requests, ok
}

// Missing lists the seconds below n for which some generator's window
// never arrived, or was partial: the seconds that were under-sent.
func (m *Merger) Missing(n int) []int {
	var out []int
	for s := range n {
		if m.partial[s] {
			out = append(out, s)
			continue
		}
		for g := range m.gens {
			if !m.seen[[2]int{g, s}] {
				out = append(out, s)
				break
			}
		}
	}
	return slices.Clip(out)
}

func window(r load.Record) load.Window {
	w := load.Window{
		Sent: int(r.Sent), OK: int(r.OK), Errors: make(map[string]int, len(r.Errors)),
		Cancelled: int(r.Cancelled), InFlight: int(r.InFlight),
		Latency:   load.PercentilesOf(r.Hist, r.MaxNanos),
		LatencyOK: load.PercentilesOf(r.HistOK, r.MaxOKNanos),
	}
	for k, n := range r.Errors {
		if n > 0 {
			w.Errors[k] = int(n)
		}
	}
	return w
}
