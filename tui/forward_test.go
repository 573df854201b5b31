package tui

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ecslab/lab/lab"
)

func snap(entry int, t float64, finished bool) lab.Snapshot {
	return lab.Snapshot{Entry: entry, T: t, Finished: finished}
}

// describeMsgs names messages for comparison: "s1@2" is entry 1's
// snapshot at 2s, "e:x" an event of type x.
func describeMsgs(msgs []tea.Msg) []string {
	var out []string
	for _, m := range msgs {
		switch m := m.(type) {
		case snapshotMsg:
			s := fmt.Sprintf("s%d@%g", m.snap.Entry, m.snap.T)
			if m.snap.Finished {
				s += "!"
			}
			out = append(out, s)
		case eventMsg:
			out = append(out, "e:"+m.ev.Type())
		case entryDoneMsg:
			out = append(out, "entry-done")
		case doneMsg:
			out = append(out, "done")
		case startedMsg:
			out = append(out, "started")
		case runEndedMsg:
			out = append(out, "run-ended")
		default:
			out = append(out, fmt.Sprintf("%T", m))
		}
	}
	return out
}

func TestForwarderCoalescesSnapshotsOnly(t *testing.T) {
	f := newForwarder()
	f.Started(lab.RunInfo{})
	f.Snapshot(snap(1, 1, false))
	f.Event(lab.Event{Data: lab.UnknownEvent{Type: "a"}})
	f.Snapshot(snap(1, 2, false)) // replaces 1@1, after the event
	f.Snapshot(snap(1, 3, true))  // replaces 1@2; the entry's last
	f.Snapshot(snap(2, 1, false)) // does not replace the last one
	f.Event(lab.Event{Data: lab.UnknownEvent{Type: "b"}})
	f.EntryDone(lab.EntrySummary{})
	f.Snapshot(snap(2, 2, false)) // replaces 2@1, after what came since
	f.Done(lab.Summary{})
	got := fmt.Sprint(describeMsgs(f.take()))
	want := "[started e:a s1@3! e:b entry-done s2@2 done]"
	if got != want {
		t.Errorf("queue %s, want %s", got, want)
	}
	f.Snapshot(snap(2, 3, false))
	f.Snapshot(snap(2, 4, false))
	if got := fmt.Sprint(describeMsgs(f.take())); got != "[s2@4]" {
		t.Errorf("after take: %s", got)
	}
}

// TestForwarderNeverBlocksTheRun publishes a run's worth of messages
// while the program takes none, then lets it read: the run's calls all
// return at once, and every event arrives, in order.
func TestForwarderNeverBlocksTheRun(t *testing.T) {
	f := newForwarder()
	gate := make(chan struct{})
	got := make(chan tea.Msg, 1000)
	stop := make(chan struct{})
	defer close(stop)
	go f.pump(func(m tea.Msg) {
		<-gate // the program is busy
		got <- m
	}, stop)

	published := make(chan struct{})
	go func() {
		for i := range 300 {
			f.Snapshot(snap(1, float64(i), false))
			f.Event(lab.Event{Data: lab.UnknownEvent{Type: fmt.Sprint(i)}})
		}
		f.Done(lab.Summary{})
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("the run blocked on a busy program")
	}
	close(gate)
	var events, snaps int
	for done := false; !done; {
		select {
		case m := <-got:
			switch m := m.(type) {
			case eventMsg:
				if m.ev.Type() != fmt.Sprint(events) {
					t.Fatalf("event %s arrived as number %d", m.ev.Type(), events)
				}
				events++
			case snapshotMsg:
				snaps++
			case doneMsg:
				done = true
			}
		case <-time.After(5 * time.Second):
			t.Fatal("done never arrived")
		}
	}
	if events != 300 {
		t.Errorf("%d events arrived, want 300", events)
	}
	if snaps >= 300 || snaps < 1 {
		t.Errorf("%d snapshots arrived; want them coalesced to fewer than 300, at least 1", snaps)
	}
}

func TestForwarderDropsAfterStop(t *testing.T) {
	f := newForwarder()
	stop := make(chan struct{})
	ended := make(chan struct{})
	go func() { f.pump(func(tea.Msg) {}, stop); close(ended) }()
	close(stop)
	<-ended
	f.Event(lab.Event{Data: lab.UnknownEvent{Type: "late"}})
	f.Snapshot(snap(1, 1, false))
	if q := f.take(); len(q) != 0 {
		t.Errorf("queued after the program ended: %v", describeMsgs(q))
	}
}
