package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/scenarios"
)

// sizePicker chooses a Fargate task size: a cpu in the left column, one
// of its valid memory values in the right one.
type sizePicker struct {
	rows    []scenarios.Row
	cpu     int // index in rows
	mem     int // index in rows[cpu].Memory
	onMem   bool
	current scenarios.Size
}

func newSizePicker(current scenarios.Size) sizePicker {
	p := sizePicker{rows: scenarios.Sizes(), current: current}
	for i, r := range p.rows {
		if r.CPU != current.CPU {
			continue
		}
		p.cpu = i
		for j, m := range r.Memory {
			if m == current.Memory {
				p.mem = j
			}
		}
	}
	return p
}

func (p sizePicker) selected() scenarios.Size {
	r := p.rows[p.cpu]
	return scenarios.Size{CPU: r.CPU, Memory: r.Memory[p.mem]}
}

// update moves the selection; it returns the size chosen, or done with
// nil when the picker was cancelled.
func (p sizePicker) update(msg tea.KeyMsg, k keyMap) (_ sizePicker, chosen *scenarios.Size, done bool) {
	switch {
	case key.Matches(msg, k.Choose):
		s := p.selected()
		return p, &s, true
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Quit), key.Matches(msg, k.Resize):
		return p, nil, true
	case key.Matches(msg, k.Left):
		p.onMem = false
	case key.Matches(msg, k.Right):
		p.onMem = true
	case msg.String() == "tab":
		p.onMem = !p.onMem
	case key.Matches(msg, k.Up):
		p.move(-1)
	case key.Matches(msg, k.Down):
		p.move(1)
	}
	return p, nil, false
}

func (p *sizePicker) move(d int) {
	if p.onMem {
		p.mem = max(0, min(p.mem+d, len(p.rows[p.cpu].Memory)-1))
		return
	}
	old := p.rows[p.cpu].Memory[p.mem]
	p.cpu = max(0, min(p.cpu+d, len(p.rows)-1))
	// Keep the memory as close as the new cpu allows.
	mems := p.rows[p.cpu].Memory
	p.mem = 0
	for i, m := range mems {
		if m <= old {
			p.mem = i
		}
	}
}

func (p sizePicker) view(w, h int, st Styles) string {
	lines := []string{
		st.Bold.Render("Resize the service") + st.Dim.Render(fmt.Sprintf("  now %s; a rolling deployment: new tasks start, then the old ones drain", p.current)),
		"",
	}
	body := h - len(lines) - 2 // the column titles and the last line
	cpuCol := make([]string, 0, len(p.rows))
	for i, r := range p.rows {
		s := fmt.Sprintf(" %5d  %-4s vCPU ", r.CPU, strconv.FormatFloat(r.VCPU, 'g', -1, 64))
		if i == p.cpu {
			s = selStyle(st, !p.onMem).Render(s)
		}
		cpuCol = append(cpuCol, s)
	}
	mems := p.rows[p.cpu].Memory
	memCol := make([]string, 0, len(mems))
	for i, m := range mems {
		s := fmt.Sprintf(" %6d MiB  %-6s ", m, gib(m))
		if i == p.mem {
			s = selStyle(st, p.onMem).Render(s)
		}
		memCol = append(memCol, s)
	}
	cpuCol = window(cpuCol, p.cpu, body)
	memCol = window(memCol, p.mem, body)
	cols := lipgloss.JoinHorizontal(lipgloss.Top,
		st.Dim.Render(" cpu units")+"\n"+strings.Join(cpuCol, "\n"),
		"   ",
		st.Dim.Render(" memory")+"\n"+strings.Join(memCol, "\n"))
	lines = append(lines, cols)
	lines = append(lines, st.Dim.Render(fmt.Sprintf("enter: resize to %s", p.selected())))
	return block(strings.Join(lines, "\n"), w, h)
}

func selStyle(st Styles, active bool) lipgloss.Style {
	if active {
		return st.Selected
	}
	return st.Bold
}

func gib(mib int) string {
	if mib%1024 == 0 {
		return fmt.Sprintf("%d GB", mib/1024)
	}
	return fmt.Sprintf("%.1f GB", float64(mib)/1024)
}

// window is at most n items of list around the selected one.
func window(list []string, sel, n int) []string {
	if n <= 0 {
		return nil
	}
	if len(list) <= n {
		return list
	}
	start := max(0, min(sel-n/2, len(list)-n))
	return list[start : start+n]
}
