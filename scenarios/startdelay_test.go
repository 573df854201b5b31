package scenarios

import (
	"testing"
	"time"
)

func TestStartDelay(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":                     0,
		"start_delay: 0":       0,
		"start_delay: 2500ms":  2500 * time.Millisecond,
		"start_delay: fargate": FargateStartDelay,
		"start_delay: 3m":      3 * time.Minute,
	} {
		src := "name: d\nworkload: {builtin: true}\nservice:\n  cpu: 256\n  memory: 512\n  " + in + "\nload: {path: /, phases: [{duration: 1s, rate: 1}]}\n"
		s, err := Parse("d.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if s.Service.StartDelay != want {
			t.Errorf("%q: start delay %s, want %s", in, s.Service.StartDelay, want)
		}
	}
}
