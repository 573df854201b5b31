package taskmeta

import (
	"time"

	"golang.org/x/sys/unix"
)

// ReadClock is the host clock's state as the kernel keeps it, which is
// what Fargate's agent reports from its time daemon: the estimated error
// bound in milliseconds (adjtimex's maxerror, in microseconds), and
// whether the clock is synchronized (STA_UNSYNC clear). adjtimex with no
// mode set only reads, and needs no privilege.
func ReadClock(now time.Time) *ClockDrift {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return nil
	}
	status := ClockSynchronized
	if state == unix.TIME_ERROR || tx.Status&unix.STA_UNSYNC != 0 {
		status = ClockNotSynchronized
	}
	return &ClockDrift{
		ClockErrorBound:            float64(tx.Maxerror) / 1000,
		ReferenceTimestamp:         ptr(now.UTC().Truncate(time.Second)),
		ClockSynchronizationStatus: status,
	}
}
