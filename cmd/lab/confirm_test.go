package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/ecslab/lab/lab"
)

// readCounter is an answer that records whether it was read.
type readCounter struct {
	r    io.Reader
	read bool
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.read = true
	return c.r.Read(p)
}

// The cost confirmation of lab run --target ecs and lab ecs up: the
// estimate always, then the question on a terminal only, unless --yes;
// anything but y or yes refuses, and nothing is created.
func TestConfirmCost(t *testing.T) {
	est := lab.CostEstimate{Currency: "USD", Prices: "test prices"}
	est.Add("task-hours of 256/512", 0.5, "task-hours", 0.0123)
	for _, tc := range []struct {
		name     string
		terminal bool
		yes      bool
		answer   string
		asks     bool
		refused  bool
	}{
		{"not a terminal", false, false, "n\n", false, false},
		{"--yes on a terminal", true, true, "n\n", false, false},
		{"n", true, false, "n\n", true, true},
		{"no answer", true, false, "", true, true},
		{"anything else", true, false, "sure\n", true, true},
		{"y", true, false, "y\n", true, false},
		{"YES", true, false, " YES \n", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &readCounter{r: strings.NewReader(tc.answer)}
			old := confirmInput
			confirmInput = func() (io.Reader, bool) { return in, tc.terminal }
			t.Cleanup(func() { confirmInput = old })

			var stderr bytes.Buffer
			err := confirmCost(&stderr, "this run", est, tc.yes)
			out := stderr.String()
			for _, want := range []string{"this run creates resources AWS bills", "task-hours of 256/512", "total", "USD 0.01", "test prices"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if asked := strings.Contains(out, "go ahead? [y/N]"); asked != tc.asks || in.read != tc.asks {
				t.Errorf("asked %v, answer read %v; want %v:\n%s", asked, in.read, tc.asks, out)
			}
			switch {
			case tc.refused && (err == nil || !strings.Contains(err.Error(), "not confirmed: nothing was created on AWS")):
				t.Errorf("error %v, want a refusal saying nothing was created", err)
			case !tc.refused && err != nil:
				t.Errorf("error %v, want none", err)
			}
		})
	}
}
