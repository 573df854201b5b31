package tui

import (
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ecslab/lab/lab"
)

// Messages the forwarder sends into the program, one per Observer call.
type (
	startedMsg   struct{ info lab.RunInfo }
	snapshotMsg  struct{ snap lab.Snapshot }
	eventMsg     struct{ ev lab.Event }
	entryDoneMsg struct{ entry lab.EntrySummary }
	doneMsg      struct{ summary lab.Summary }
	// runEndedMsg is lab.Run's error, given to Dashboard.Wait; it follows
	// doneMsg.
	runEndedMsg struct{ err error }
)

// forwarder is the lab.Observer that hands what a run publishes to the
// program without ever blocking the run: the run's calls only append to
// a queue, and a pump goroutine sends the queue on. When the program
// lags, a snapshot still waiting in the queue is replaced by the next one
// of the same entry; events, entry results and the end are never dropped.
type forwarder struct {
	mu      sync.Mutex
	queue   []tea.Msg
	snapAt  int  // index in queue of a snapshot that a newer one may replace, or -1
	stopped bool // the program has ended: drop everything
	wake    chan struct{}
}

var _ lab.Observer = (*forwarder)(nil)

func newForwarder() *forwarder {
	return &forwarder{snapAt: -1, wake: make(chan struct{}, 1)}
}

func (f *forwarder) Started(info lab.RunInfo)      { f.push(startedMsg{info}) }
func (f *forwarder) Event(ev lab.Event)            { f.push(eventMsg{ev}) }
func (f *forwarder) EntryDone(es lab.EntrySummary) { f.push(entryDoneMsg{es}) }
func (f *forwarder) Done(s lab.Summary)            { f.push(doneMsg{s}) }

func (f *forwarder) Snapshot(s lab.Snapshot) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	if i := f.snapAt; i >= 0 {
		old := f.queue[i].(snapshotMsg).snap
		if old.Entry == s.Entry && !old.Finished {
			// Coalesce: the newer snapshot goes last, after the events
			// that came since the older one.
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
		}
	}
	f.snapAt = len(f.queue)
	f.queue = append(f.queue, snapshotMsg{s})
	f.mu.Unlock()
	f.signal()
}

func (f *forwarder) push(msg tea.Msg) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.queue = append(f.queue, msg)
	f.mu.Unlock()
	f.signal()
}

func (f *forwarder) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// take removes and returns what is queued.
func (f *forwarder) take() []tea.Msg {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queue
	f.queue = nil
	f.snapAt = -1
	return q
}

// pump sends queued messages with send (Program.Send, which blocks while
// the program is busy) until stop is closed.
func (f *forwarder) pump(send func(tea.Msg), stop <-chan struct{}) {
	defer func() {
		f.mu.Lock()
		f.stopped = true
		f.queue = nil
		f.mu.Unlock()
	}()
	for {
		select {
		case <-stop:
			return
		case <-f.wake:
		}
		for _, msg := range f.take() {
			select {
			case <-stop:
				return
			default:
			}
			send(msg)
		}
	}
}
