package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
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
	switch d := ev.Data.(type) {
	case lab.EntryStarted:
		return kindInfo, fmt.Sprintf("entry %d started: %s, %d task(s)", ev.Entry, d.Label, d.Count)
	case lab.PhaseStarted:
		return kindInfo, fmt.Sprintf("phase %d started", d.Phase)
	case lab.TaskProvisioning:
		return kindInfo, fmt.Sprintf("%s provisioning (%s), starts in %s (start_delay)", d.Task, d.Size, format.Clock(time.Duration(d.StartDelay*float64(time.Second))))
	case lab.TaskStarted:
		return kindInfo, fmt.Sprintf("%s started (%s)", d.Task, d.Size)
	case lab.TaskStopped:
		text := fmt.Sprintf("%s stopped: %s", d.Task, d.Reason)
		if d.Container != "" {
			text += " · container " + d.Container
		}
		if d.ByLab {
			return kindInfo, text
		}
		if d.Exit != nil {
			text += fmt.Sprintf(" (exit %d)", d.Exit.Code)
		}
		return kindStop, text
	case lab.HealthChanged:
		if d.Healthy {
			return kindHealth, fmt.Sprintf("%s healthy", d.Task)
		}
		return kindHealth, fmt.Sprintf("%s unhealthy", d.Task)
	case lab.TaskStartFailed:
		return kindStop, fmt.Sprintf("a task could not start: %s", d.Error)
	case lab.ContainerStarted:
		return kindInfo, fmt.Sprintf("%s/%s started", d.Task, d.Container)
	case lab.ContainerStopped:
		text := fmt.Sprintf("%s/%s exited, the task runs on", d.Task, d.Container)
		if d.Exit != nil {
			text = fmt.Sprintf("%s/%s exited (exit %d), the task runs on", d.Task, d.Container, d.Exit.Code)
			if d.Exit.OOM {
				return kindStop, text + ": OOM-killed"
			}
		}
		return kindInfo, text
	case lab.ContainerHealth:
		if d.Healthy {
			return kindHealth, fmt.Sprintf("%s/%s healthy (its health check)", d.Task, d.Container)
		}
		return kindHealth, fmt.Sprintf("%s/%s unhealthy (its health check)", d.Task, d.Container)
	case lab.Action:
		if d.Args != nil {
			return kindAction, fmt.Sprintf("%s %v", d.Name, d.Args)
		}
		return kindAction, d.Name
	case lab.ActionFailed:
		return kindFail, fmt.Sprintf("%s failed: %s", d.Name, d.Error)
	case lab.ScalingDecision:
		return kindScaling, decisionText(d)
	case lab.ScalingHeld:
		return kindHeld, fmt.Sprintf("held (%s): %s", d.Reason, decisionText(d.ScalingDecision))
	case lab.ThresholdOutcome:
		if d.OK {
			return kindOK, fmt.Sprintf("threshold %s: ok (%v)", d.Expr, d.Value)
		}
		if d.Reason != "" {
			return kindFail, fmt.Sprintf("threshold %s: FAILED (%s)", d.Expr, d.Reason)
		}
		return kindFail, fmt.Sprintf("threshold %s: FAILED (%v)", d.Expr, d.Value)
	case lab.ServiceEvent:
		return kindInfo, fmt.Sprintf("ecs: %s", d.Message)
	case lab.GeneratorLost:
		return kindFail, fmt.Sprintf("load generator %d lost (%s): its share is not sent from second %d", d.Generator, d.Reason, d.Second)
	case lab.GeneratorLate:
		return kindFail, fmt.Sprintf("load generator %d began %.1f s late: its share of seconds 0-%d is not sent", d.Generator, d.LateMS/1000, d.Second-1)
	case lab.EntryDone:
		if d.Passed {
			return kindOK, fmt.Sprintf("entry %s done: passed", d.Label)
		}
		return kindFail, fmt.Sprintf("entry %s done: failed", d.Label)
	}
	return kindInfo, ""
}

// decisionText is a scaling decision with the numbers that caused it:
// "scale out 1→2 cpu-target-tracking: ceil(1 x 87.5 / 50) = 2 [cpu 80 85 87.5, target 50]".
func decisionText(d lab.ScalingDecision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scale %s %d→%d %s: %s", d.Direction, d.From, d.To, d.Policy, d.Formula)
	if d.Evaluation != nil && len(d.Datapoints) > 0 {
		vals := make([]string, len(d.Datapoints))
		for i, v := range d.Datapoints {
			vals[i] = format.OneDecimal(v)
		}
		fmt.Fprintf(&b, " [%s %s, target %v]", d.Metric, strings.Join(vals, " "), d.Target)
	}
	if d.Note != "" {
		fmt.Fprintf(&b, "; %s", d.Note)
	}
	return b.String()
}
