package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/autoscale"
)

// maxLogLines bounds the event log; the oldest lines go first.
const maxLogLines = 2000

// logLine is one event as the log shows it.
type logLine struct {
	entry int
	t     float64
	kind  eventKind
	text  string
}

type eventKind int

const (
	kindInfo eventKind = iota
	kindScaling
	kindHeld
	kindStop
	kindHealth
	kindAction
	kindOK
	kindFail
)

// eventLog is the run's events, newest last: scaling decisions with
// their formula, task stops with their reason, health changes, actions,
// threshold outcomes. It follows the newest line unless scrolled back.
type eventLog struct {
	lines  []logLine
	offset int // lines scrolled back from the newest; 0 follows
}

func (l *eventLog) add(ev lab.Event) {
	kind, text := describe(ev)
	if text == "" {
		return
	}
	l.lines = append(l.lines, logLine{entry: ev.Entry, t: ev.T, kind: kind, text: text})
	if n := len(l.lines) - maxLogLines; n > 0 {
		l.lines = append(l.lines[:0], l.lines[n:]...)
	}
	if l.offset > 0 {
		l.offset++ // stay on the lines being read
	}
}

func (l *eventLog) scroll(delta, page int) {
	l.offset = max(0, min(l.offset-delta, len(l.lines)-page))
}

func (l *eventLog) top(page int) { l.offset = max(0, len(l.lines)-page) }

// title is the pane's rule text.
func (l *eventLog) title() string {
	if l.offset > 0 {
		return fmt.Sprintf("events  %d newer below (end follows)", l.offset)
	}
	return "events"
}

func (l *eventLog) view(w, h int, multiEntry bool, st Styles) string {
	if len(l.lines) == 0 {
		return block(st.Dim.Render("no events yet"), w, h)
	}
	end := len(l.lines) - l.offset
	start := max(0, end-h)
	out := make([]string, 0, h)
	for _, ln := range l.lines[start:end] {
		stamp := fmt.Sprintf("%6s", format.Clock(seconds(ln.t)))
		if multiEntry {
			stamp = fmt.Sprintf("e%d %s", ln.entry, stamp)
		}
		out = append(out, fit(st.Dim.Render(stamp)+" "+st.kind(ln.kind).Render(ln.text), w))
	}
	return block(strings.Join(out, "\n"), w, h)
}

func (s Styles) kind(k eventKind) lipgloss.Style {
	switch k {
	case kindScaling:
		return s.EventScaling
	case kindHeld:
		return s.Dim
	case kindStop, kindFail:
		return s.EventStop
	case kindHealth:
		return s.EventHealth
	case kindAction:
		return s.EventAction
	case kindOK:
		return s.OK
	}
	return s.EventInfo
}

// describe is an event in words, or "" for one the log leaves out.
func describe(ev lab.Event) (eventKind, string) {
	f := ev.Fields
	switch ev.Type {
	case lab.EventEntryStarted:
		return kindInfo, fmt.Sprintf("entry %d started: %v, %v task(s)", ev.Entry, f["label"], f["count"])
	case lab.EventPhaseStarted:
		return kindInfo, fmt.Sprintf("phase %v started", f["phase"])
	case lab.EventTaskStarted:
		return kindInfo, fmt.Sprintf("%v started (%v)", f["task"], f["size"])
	case lab.EventTaskStopped:
		if byLab, _ := f["by_lab"].(bool); byLab {
			return kindInfo, fmt.Sprintf("%v stopped: %v", f["task"], f["reason"])
		}
		text := fmt.Sprintf("%v stopped: %v", f["task"], f["reason"])
		if code, ok := f["exit_code"]; ok {
			text += fmt.Sprintf(" (exit %v)", code)
		}
		return kindStop, text
	case lab.EventHealthChanged:
		if healthy, _ := f["healthy"].(bool); healthy {
			return kindHealth, fmt.Sprintf("%v healthy", f["task"])
		}
		return kindHealth, fmt.Sprintf("%v unhealthy", f["task"])
	case lab.EventTaskStartFailed:
		return kindStop, fmt.Sprintf("a task could not start: %v", f["error"])
	case lab.EventAction:
		if args := f["args"]; args != nil {
			return kindAction, fmt.Sprintf("%v %v", f["name"], args)
		}
		return kindAction, fmt.Sprintf("%v", f["name"])
	case lab.EventActionFailed:
		return kindFail, fmt.Sprintf("%v failed: %v", f["name"], f["error"])
	case autoscale.EventDecision:
		return kindScaling, decisionText(f, false)
	case autoscale.EventHeld:
		return kindHeld, decisionText(f, true)
	case lab.EventThreshold:
		if ok, _ := f["ok"].(bool); ok {
			return kindOK, fmt.Sprintf("threshold %v: ok (%v)", f["expr"], f["value"])
		}
		return kindFail, fmt.Sprintf("threshold %v: FAILED (%v)", f["expr"], f["value"])
	case lab.EventServiceEvent:
		return kindInfo, fmt.Sprintf("ecs: %v", f["message"])
	case lab.EventEntryDone:
		if passed, _ := f["passed"].(bool); passed {
			return kindOK, fmt.Sprintf("entry %v done: passed", f["label"])
		}
		return kindFail, fmt.Sprintf("entry %v done: failed", f["label"])
	}
	return kindInfo, ""
}

// decisionText is a scaling decision with the numbers that caused it:
// "scale out 1→2 cpu-target-tracking: ceil(1 x 87.5 / 50) = 2 [cpu 80 85 87.5, target 50]".
func decisionText(f map[string]any, held bool) string {
	var b strings.Builder
	if held {
		fmt.Fprintf(&b, "held (%v): ", f["reason"])
	}
	fmt.Fprintf(&b, "scale %v %v→%v %v: %v", f["direction"], f["from"], f["to"], f["policy"], f["formula"])
	if dp, ok := f["datapoints"].([]float64); ok && len(dp) > 0 {
		vals := make([]string, len(dp))
		for i, v := range dp {
			vals[i] = format.OneDecimal(v)
		}
		fmt.Fprintf(&b, " [%v %s, target %v]", f["metric"], strings.Join(vals, " "), f["target"])
	}
	if note, ok := f["note"]; ok {
		fmt.Fprintf(&b, "; %v", note)
	}
	return b.String()
}
