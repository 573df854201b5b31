// Package tui holds lab's views for people: the Bubble Tea dashboard and,
// for runs without a terminal, the headless progress line.
package tui

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
)

// Headless is a lab.Observer that reports a run's progress on a writer
// (stderr): a line that rewrites itself on a terminal, or a line every
// few seconds elsewhere (CI logs), plus the events worth a person's eye.
type Headless struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	mu       sync.Mutex
	lastLine time.Time
	live     bool // a progress line is on screen and must be cleared first
	entries  int
}

var _ lab.Observer = (*Headless)(nil)

// NewHeadless reports on w; terminal says whether w is a terminal.
func NewHeadless(w io.Writer, terminal bool) *Headless {
	return &Headless{w: w, terminal: terminal, every: 10 * time.Second}
}

func (h *Headless) Started(info lab.RunInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = len(info.Entries)
	fmt.Fprintf(h.w, "lab: %s on %s: %d entr%s x %s of load (run %s)\n",
		info.Scenario.Name, info.Target, len(info.Entries), plural(len(info.Entries), "y", "ies"),
		info.Scenario.LoadDuration(), info.ID)
}

func (h *Headless) Snapshot(s lab.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.terminal && time.Since(h.lastLine) < h.every && !s.Finished {
		return
	}
	h.lastLine = time.Now()
	errs := 0
	for _, n := range s.Load.Errors {
		errs += n
	}
	line := fmt.Sprintf("[%d/%d %s] phase %s  %3.0fs/%.0fs  sent %.1f/s ok %.1f/s err %d/s  p99 %s  cpu %3.0f%%  mem %3.0f%%  tasks %d/%d",
		s.Entry, s.Entries, s.Label, s.Phase, s.Elapsed.Seconds(), s.Total.Seconds(),
		float64(s.Load.Sent), float64(s.Load.OK), errs, format.Latency(s.Load.Latency.P99),
		s.Service.CPUPct, s.Service.MemPct, s.Service.Healthy, s.Service.Desired)
	if h.terminal {
		fmt.Fprintf(h.w, "\r\033[K%s", line)
		h.live = true
		return
	}
	fmt.Fprintln(h.w, line)
}

func (h *Headless) Event(e lab.Event) {
	var msg string
	switch d := e.Data.(type) {
	case lab.EntryStarted:
		msg = fmt.Sprintf("entry %d: %s, starting %d task(s)", e.Entry, d.Label, d.Count)
	case lab.TaskStopped:
		if d.ByLab {
			return
		}
		msg = fmt.Sprintf("entry %d: task %s stopped: %s", e.Entry, d.Task, d.Reason)
		if d.Container != "" {
			msg += " (container " + d.Container + ")"
		}
	case lab.ScalingDecision:
		msg = fmt.Sprintf("entry %d: at %.0fs: scale %s %d -> %d (%s %s: %s)", e.Entry, e.T, d.Direction,
			d.From, d.To, d.Policy, d.Metric, d.Formula)
	case lab.Action:
		msg = fmt.Sprintf("entry %d: at %.0fs: %s %v", e.Entry, e.T, d.Name, orEmpty(d.Args))
	case lab.ActionFailed:
		msg = fmt.Sprintf("entry %d: %s failed: %s", e.Entry, d.Name, d.Error)
	case lab.TaskStartFailed:
		msg = fmt.Sprintf("entry %d: could not start a task: %s", e.Entry, d.Error)
	case lab.ServiceEvent:
		msg = fmt.Sprintf("entry %d: ecs: %s", e.Entry, d.Message)
	case lab.GeneratorLost:
		msg = fmt.Sprintf("entry %d: load generator %d lost (%s): its share is not sent from second %d", e.Entry, d.Generator, d.Reason, d.Second)
	case lab.GeneratorLate:
		msg = fmt.Sprintf("entry %d: load generator %d began %.1f s late: its share of seconds 0-%d is not sent", e.Entry, d.Generator, d.LateMS/1000, d.Second-1)
	default:
		return
	}
	h.println(msg)
}

func (h *Headless) EntryDone(e lab.EntrySummary) {
	verdict := "pass"
	if !e.Passed {
		verdict = "FAIL"
	}
	cpu := fmt.Sprintf("%.0f%%", e.CPUUtilization.Avg)
	if e.CPUUtilization.NoData {
		cpu = "no data"
	}
	rtt := ""
	if e.RTTMS > 0 {
		rtt = fmt.Sprintf(" (round trip to the endpoint %s included)", format.Latency(e.RTTMS))
	}
	offered := fmt.Sprintf("%.2f offered", e.OfferedRPS)
	if e.IntendedRPS > 0 {
		offered = fmt.Sprintf("%.2f intended (%.2f sent)", e.IntendedRPS, e.OfferedRPS)
	}
	h.println(fmt.Sprintf("entry %s: %.2f req/s achieved of %s, p99 %s%s, cpu avg %s: %s",
		e.Label, e.AchievedRPS, offered, format.Latency(e.LatencyMS.P99), rtt, cpu, verdict))
	if g := e.Generators; g != nil && len(g.UnderSentSeconds) > 0 {
		h.println(fmt.Sprintf("entry %s: %d of %d load generator(s) lost; seconds under-sent: %v",
			e.Label, len(g.Lost), g.Count, g.UnderSentSeconds))
	}
}

func (h *Headless) Done(s lab.Summary) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clear()
}

func (h *Headless) println(msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clear()
	fmt.Fprintln(h.w, msg)
}

func (h *Headless) clear() {
	if h.live {
		fmt.Fprint(h.w, "\r\033[K")
		h.live = false
	}
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
