// Package format writes numbers, durations and latencies for people, one
// way for each kind of figure wherever lab shows it: the dashboard, the
// reports, scaling decisions and error messages. Each function says what
// it writes; two that look alike differ on purpose (a dashboard column
// wants a fixed number of decimals, a sentence does not).
package format

import (
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
