package tui

import "testing"

func TestNiceCeil(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0, 1}, {0.5, 1}, {1, 1}, {1.2, 1.5}, {5.5, 6}, {6.6, 8}, {9, 10}, {11, 15}, {1980, 2000}, {2100, 3000},
	} {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%g) = %g, want %g", tt.in, got, tt.want)
		}
	}
}

func TestMarksLine(t *testing.T) {
	st := asciiStyles()
	marks := []mark{{t: 0, r: markOut, rank: 1}, {t: 10, r: markOut, rank: 1}, {t: 10, r: markOOM, rank: 3}, {t: 20, r: markIn, rank: 1}, {t: -3, r: markStop, rank: 2}}
	if got, want := marksLine(marks, 20, 11, st), "▲    ✗    ▼"; got != want {
		t.Errorf("marks %q, want %q", got, want)
	}
}
