package tui

import (
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// fit truncates s (which may hold escape sequences) to w cells, with an
// ellipsis when it cuts, and pads it with spaces to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-n)
}

// clip truncates s to w cells without padding it.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// block fits every line of s to w cells and s to exactly h lines.
func block(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if s == "" {
		lines = nil
	}
	out := make([]string, h)
	for i := range out {
		var l string
		if i < len(lines) {
			l = lines[i]
		}
		out[i] = fit(l, w)
	}
	return strings.Join(out, "\n")
}

// rule is a pane's title line: "── title ───────".
func rule(title string, w int, st lipgloss.Style) string {
	head := "── " + title + " "
	n := ansi.StringWidth(head)
	if n >= w {
		return st.Render(clip(head, w))
	}
	return st.Render(head + strings.Repeat("─", w-n))
}

// bar draws frac (0..1) of w cells, filled and empty.
func bar(frac float64, w int, fill, empty lipgloss.Style) string {
	if w <= 0 {
		return ""
	}
	if math.IsNaN(frac) || frac < 0 {
		frac = 0
	}
	n := int(math.Round(math.Min(frac, 1) * float64(w)))
	return fill.Render(strings.Repeat("█", n)) + empty.Render(strings.Repeat("░", w-n))
}

// joinRight puts left and right on one line of w cells, right-aligned
// right; left is cut first when both do not fit.
func joinRight(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw >= w {
		return fit(right, w)
	}
	return fit(left, w-rw-1) + " " + right
}

// seconds converts a run's float seconds to a duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
