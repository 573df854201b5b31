package generators

import (
	"time"

	"github.com/ecslab/lab/lab/load"
)

// windowWait is how long Window waits for the generators' windows of the
// second that just ended: they write them at its end, and lab reads them
// through Docker (or CloudWatch Logs) a little later.
const windowWait = 400 * time.Millisecond

// staleAfter is how many seconds Window waits at most for a generator
// that is behind: a second older than that is shown with what arrived,
// and what arrives later still counts in the totals.
const staleAfter = 2

// Window returns the merged windows of the seconds that ended since the
// last call, as the in-process generator's Window does: it waits up to
// windowWait for every generator still running to report the second
// that just ended. Once every generator has ended it returns all that is
// left.
func (f *Fleet) Window() load.Window {
	deadline := time.Now().Add(windowWait)
	for {
		f.mu.Lock()
		// Seconds [0, ended) are over, and their windows due: with a lag,
		// the seconds shown trail the clock by it.
		ended := int((time.Since(f.start) - f.cfg.Lag) / time.Second)
		to := f.readyTo(ended)
		switch {
		case f.finished:
			to = max(f.last+1, f.merger.Taken())
		case to < ended && time.Now().Before(deadline):
			ch := f.changed
			f.mu.Unlock()
			t := time.NewTimer(time.Until(deadline))
			select {
			case <-ch:
			case <-t.C:
			}
			t.Stop()
			continue
		default:
			to = max(to, ended-staleAfter)
		}
		w := f.merger.Take(to)
		f.mu.Unlock()
		return w
	}
}

// readyTo is the end of the run of seconds from the first not yet taken
// that every generator reported or will never report; f.mu must be held.
func (f *Fleet) readyTo(ended int) int {
	s := f.merger.Taken()
	for ; s < ended; s++ {
		for g := range f.procs {
			if !f.ended[g] && s >= f.from[g] && !f.merger.Has(g, s) {
				return s
			}
		}
	}
	return s
}
