package format

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		250 * time.Millisecond:          "250ms",
		1500 * time.Millisecond:         "1.5s",
		65 * time.Second:                "65s",
		10 * time.Minute:                "10m",
		15*time.Minute + 30*time.Second: "15m30s",
		2 * time.Hour:                   "2h",
		7 * 24 * time.Hour:              "168h",
		-5 * time.Second:                "-5s",
	} {
		got := Duration(d)
		if got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("time.ParseDuration(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}
