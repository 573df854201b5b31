//go:build !linux

package taskmeta

import "time"

// ReadClock is nil where lab cannot read the kernel's clock state: the
// task document then leaves ClockDrift out.
func ReadClock(now time.Time) *ClockDrift { return nil }
