package tui

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ecslab/lab/lab"
)

// publish calls the observer as lab.Run would for the scripted messages.
func publish(o lab.Observer, msgs []tea.Msg) {
	for _, m := range msgs {
		switch m := m.(type) {
		case startedMsg:
			o.Started(m.info)
		case snapshotMsg:
			o.Snapshot(m.snap)
		case eventMsg:
			o.Event(m.ev)
		case entryDoneMsg:
			o.EntryDone(m.entry)
		case doneMsg:
			o.Done(m.summary)
		}
	}
}

// startDashboard runs the real program on a pipe instead of a terminal.
func startDashboard(t *testing.T, ctx context.Context) (*Dashboard, *io.PipeWriter) {
	t.Helper()
	in, keys := io.Pipe()
	st := asciiStyles()
	d := RunDashboard(ctx, DashboardConfig{ResultsDir: "runs/x", Styles: &st, Input: in, Output: io.Discard, NoAltScreen: true})
	t.Cleanup(func() {
		keys.Close()
		select {
		case <-d.Done():
		case <-time.After(5 * time.Second):
			t.Error("the dashboard did not end")
		}
	})
	return d, keys
}

func typeKeys(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

// wait returns what Wait returns, failing after a few seconds.
func wait(t *testing.T, d *Dashboard, runErr error) (Result, error) {
	t.Helper()
	type out struct {
		r   Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		r, err := d.Wait(runErr)
		ch <- out{r, err}
	}()
	select {
	case o := <-ch:
		return o.r, o.err
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return")
		return Result{}, nil
	}
}

func TestDashboardStopsTheRunOnConfirmedQuit(t *testing.T) {
	d, keys := startDashboard(t, context.Background())
	publish(d.Observer(), script(scriptScenario(t), 12))

	// The + key reaches the run as a command, once the snapshots have.
	deadline := time.After(5 * time.Second)
	var got lab.Command
	for sent := false; !sent; {
		typeKeys(t, keys, "+")
		select {
		case got = <-d.Commands():
			sent = true
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no command after +")
		}
	}
	if got.Scale != 2 {
		t.Errorf("+ sent %+v, want Scale 2", got)
	}

	typeKeys(t, keys, "q")
	select {
	case <-d.Context().Done():
		t.Fatal("q alone cancelled the run")
	case <-time.After(100 * time.Millisecond):
	}
	typeKeys(t, keys, "y")
	select {
	case <-d.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("q y did not cancel the run")
	}
	// The run cleans up, publishes its end, and returns.
	publish(d.Observer(), scriptEnd())
	res, err := wait(t, d, fmt.Errorf("entry 256/512: %w", lab.ErrInterrupted))
	if err != nil || !res.Stopped || res.RunAgain {
		t.Errorf("Wait: %+v, %v; want Stopped", res, err)
	}
}

func TestDashboardRunAgain(t *testing.T) {
	d, keys := startDashboard(t, context.Background())
	publish(d.Observer(), script(scriptScenario(t), 5))
	publish(d.Observer(), scriptEnd())
	go func() {
		// r means nothing until the summary shows; keep pressing it.
		for {
			select {
			case <-d.Done():
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := io.WriteString(keys, "r"); err != nil {
					return
				}
			}
		}
	}()
	res, err := wait(t, d, nil)
	if err != nil || !res.RunAgain || res.Stopped {
		t.Errorf("Wait: %+v, %v; want RunAgain", res, err)
	}
	if d.Context().Err() == nil {
		t.Error("the run's context outlives the dashboard")
	}
}

func TestDashboardFollowsASignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	d, _ := startDashboard(t, ctx)
	publish(d.Observer(), script(scriptScenario(t), 5))
	cancel() // SIGINT: lab's context ends
	select {
	case <-d.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the run's context survived its parent")
	}
	publish(d.Observer(), scriptEnd())
	res, err := wait(t, d, lab.ErrInterrupted)
	if err != nil || !res.Stopped {
		t.Errorf("Wait: %+v, %v; want Stopped", res, err)
	}
}
