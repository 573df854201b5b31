package tui

import (
	"fmt"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// runState is where the run is, as the header tells it.
type runState int

const (
	stateStarting  runState = iota // before Started
	stateDeploying                 // an entry's tasks are starting; no snapshot yet
	stateLoading                   // snapshots are coming
	stateClosing                   // every entry is done; the run cleans up
	stateStopping                  // the user stopped the run; clean-up goes on
	stateDone                      // the run has ended
)

// header is the dashboard's top two lines: what runs and how far it is.
type header struct {
	info  lab.RunInfo
	snap  lab.Snapshot
	have  bool // snap is the current entry's
	state runState
	done  int // entries done
}

func (h *header) entryLabel() (n, of int, label string) {
	of = len(h.info.Entries)
	if h.have {
		return h.snap.Entry, max(of, h.snap.Entries), h.snap.Label
	}
	n = min(h.done+1, of)
	if n >= 1 && n <= of {
		label = h.info.Entries[n-1].Label
	}
	return n, of, label
}

func (h *header) view(w int, st Styles) string {
	name, target := "", ""
	phases := 0
	if sc := h.info.Scenario; sc != nil {
		name, phases = sc.Name, len(sc.Load.Phases)
	}
	target = h.info.Target
	n, of, label := h.entryLabel()
	left := st.Title.Render("lab") + " " + st.Bold.Render(name)
	if of > 0 {
		left += fmt.Sprintf(" · entry %d/%d %s", n, of, st.Bold.Render(label))
	}
	if h.have && h.state == stateLoading {
		if h.snap.Note != "" {
			// A capacity search: its step and bracket say more than a
			// phase number.
			left += " · " + h.snap.Note
		} else if h.snap.Phase == "tail" {
			left += " · tail"
		} else {
			left += fmt.Sprintf(" · phase %s/%d", h.snap.Phase, phases)
		}
	}
	if target != "" {
		left += " · " + target
	}
	if sc := h.info.Scenario; sc != nil && sc.TaskRole != "" {
		// The tasks hold AWS credentials: whoever runs the lab must
		// see it.
		left += " · " + st.Warn.Render("task role: "+sc.TaskRole)
	}
	var right string
	switch {
	case h.state == stateStopping:
		right = st.Warn.Render("STOPPING")
	case h.have && h.snap.Paused && h.state == stateLoading:
		right = st.Paused.Render(" PAUSED ")
	case h.info.ID != "":
		right = st.Dim.Render("run " + h.info.ID)
	}
	line1 := joinRight(left, right, w)
	return line1 + "\n" + h.progress(w, st)
}

// progress is the second line: a bar of the entry's load, and the
// latest second's figures; or what the run is doing meanwhile.
func (h *header) progress(w int, st Styles) string {
	switch {
	case h.state == stateStarting:
		return fit(st.Dim.Render("starting…"), w)
	case h.state == stateStopping:
		return fit(st.Warn.Render("stopping: no more load; removing the containers and writing what ran…"), w)
	case h.state == stateDone:
		return fit(st.Dim.Render("run ended"), w)
	case h.state == stateClosing:
		return fit(st.Dim.Render("every entry is done: removing the containers and writing the results…"), w)
	case !h.have:
		_, _, label := h.entryLabel()
		return fit(st.Dim.Render(fmt.Sprintf("deploying %s: starting tasks, waiting until they pass health checks…", label)), w)
	}
	s := h.snap
	clock := fmt.Sprintf(" %s / %s ", format.Clock(s.Elapsed), format.Clock(s.Total))
	of := format.OneDecimal(s.Offered)
	if s.Intended {
		// A closed model sends what it intends only as fast as the
		// service answers: say both.
		of += fmt.Sprintf(" intended (sent %s)", format.OneDecimal(float64(s.Load.Sent)))
	}
	figures := fmt.Sprintf("ok %s/s of %s · p99 %s · errors %d/s", format.OneDecimal(float64(s.Load.OK)), of,
		format.Latency(s.Load.Latency.P99), s.Load.ErrorCount())
	if s.Phase == "tail" {
		figures = fmt.Sprintf("load done: awaiting %d response(s) in flight", s.Load.InFlight)
	}
	bw := w - len(clock) - len([]rune(figures)) - 1
	if bw < 10 {
		figures = ""
		bw = w - len(clock)
	}
	frac := 0.0
	if s.Total > 0 {
		frac = s.Elapsed.Seconds() / s.Total.Seconds()
	}
	return fit(bar(frac, bw, st.Title, st.BarEmpty)+clock+" "+figures, w)
}
