// Package format writes numbers, durations and latencies for people, one
// way for each kind of figure wherever lab shows it: the dashboard, the
// reports, scaling decisions and error messages. Each function says what
// it writes; two that look alike differ on purpose (a dashboard column
// wants a fixed number of decimals, a sentence does not).
package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration writes d for people and for time.ParseDuration: whole seconds
// under ten minutes as seconds ("65s"), else as Go does without the zero
// tails ("15m" rather than "15m0s", "1.5s", "250ms").
func Duration(d time.Duration) string {
	if d%time.Second == 0 && d > 0 && d < 10*time.Minute {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Clock writes a duration as people read a run's clock, to the second:
// 45s, 2m05s, 1h02m.
func Clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 0:
		return "-" + Clock(-d)
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

// Latency writes a latency given in milliseconds: whole milliseconds
// under a second (850ms), seconds with two decimals from there (1.25s).
func Latency(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

// OneDecimal writes a figure for a live column, where the width should not
// jump: one decimal, none when the figure is whole or 100 and more; "-"
// when it is not a number.
func OneDecimal(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case v == math.Trunc(v) || math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// Decimal writes a figure for a sentence: at most one decimal, three
// under 1 so that a small figure keeps its digits, no trailing zeros;
// "-" when it is not a number.
func Decimal(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) < 1:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}

// TwoDecimals writes a figure of a formula: rounded to two decimals, no
// trailing zeros (2.5, 0.33, 12).
func TwoDecimals(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// Percent writes a percentage for a sentence, as Decimal writes the
// figure: 62.5%, 0.125%.
func Percent(v float64) string { return Decimal(v) + "%" }

// WholePercent writes a percentage rounded to a whole number: 63%.
func WholePercent(v float64) string { return fmt.Sprintf("%.0f%%", v) }

// FirstLine is the first line of a text (an error message, a
// description), without the spaces around it.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}
