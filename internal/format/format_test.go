package format

import (
	"math"
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

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0s",
		45 * time.Second:         "45s",
		59600 * time.Millisecond: "1m00s",
		125 * time.Second:        "2m05s",
		time.Hour + 2*time.Minute + 40*time.Second: "1h02m",
		-5 * time.Second: "-5s",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLatency(t *testing.T) {
	for ms, want := range map[float64]string{0: "0ms", 12.4: "12ms", 999.4: "999ms", 1000: "1.00s", 1234: "1.23s", 60000: "60.00s"} {
		if got := Latency(ms); got != want {
			t.Errorf("Latency(%g) = %q, want %q", ms, got, want)
		}
	}
}

// TestNumbers shows how the three ways to write a figure differ, value by
// value.
func TestNumbers(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		v                                float64
		oneDecimal, decimal, twoDecimals string
	}{
		{0, "0", "0", "0"},
		{3, "3", "3", "3"},
		{2.5, "2.5", "2.5", "2.5"},
		{2.04, "2.0", "2", "2.04"},
		{0.125, "0.1", "0.125", "0.13"},
		{0.0004, "0.0", "0", "0"},
		{99.96, "100.0", "100", "99.96"},
		{150.46, "150", "150.5", "150.46"},
		{-1.25, "-1.2", "-1.2", "-1.25"},
		{nan, "-", "-", "NaN"},
		{math.Inf(1), "-", "-", "+Inf"},
	}
	for _, tt := range tests {
		if got := OneDecimal(tt.v); got != tt.oneDecimal {
			t.Errorf("OneDecimal(%g) = %q, want %q", tt.v, got, tt.oneDecimal)
		}
		if got := Decimal(tt.v); got != tt.decimal {
			t.Errorf("Decimal(%g) = %q, want %q", tt.v, got, tt.decimal)
		}
		if got := TwoDecimals(tt.v); got != tt.twoDecimals {
			t.Errorf("TwoDecimals(%g) = %q, want %q", tt.v, got, tt.twoDecimals)
		}
	}
	if got := Percent(62.5); got != "62.5%" {
		t.Errorf("Percent(62.5) = %q", got)
	}
	if got := WholePercent(62.5); got != "62%" {
		t.Errorf("WholePercent(62.5) = %q", got)
	}
}

func TestFirstLine(t *testing.T) {
	for s, want := range map[string]string{
		"":                     "",
		"one line":             "one line",
		"first\nsecond":        "first",
		"first\r\nsecond":      "first",
		"  \n padded \nsecond": "padded ",
		"operation error: x\n": "operation error: x",
	} {
		if got := FirstLine(s); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", s, got, want)
		}
	}
}
