package tui

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/lab"
)

// TestDemo replays the scripted run on the terminal, for a person to
// look at the dashboard without Docker:
//
//	LAB_TUI_DEMO=1 go test -run TestDemo ./tui/ -v
//	tmux new-session -d -x 80 -y 24 'LAB_TUI_DEMO=1 go test -run TestDemo ./tui/'
//
// LAB_TUI_DEMO_SPEED (default 4) is how many scripted seconds pass in
// one; keys work, and the commands they send show in the event log.
func TestDemo(t *testing.T) {
	if os.Getenv("LAB_TUI_DEMO") == "" {
		t.Skip("set LAB_TUI_DEMO=1 to replay a scripted run on the terminal")
	}
	speed := 4.0
	if v, err := strconv.ParseFloat(os.Getenv("LAB_TUI_DEMO_SPEED"), 64); err == nil && v > 0 {
		speed = v
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no terminal: %v", err)
	}
	defer tty.Close()
	st := DefaultStyles(lipgloss.NewRenderer(tty))
	d := RunDashboard(context.Background(), DashboardConfig{ResultsDir: "runs/20261127-100000-demo-k3x9", Styles: &st, Input: tty, Output: tty})

	sc := scriptScenario(t)
	msgs := script(sc, int(sc.LoadDuration().Seconds()))
	obs := d.Observer()
	tick := time.Duration(float64(time.Second) / speed)
	stopped := false
	var now float64
	for _, m := range msgs {
		if s, ok := m.(snapshotMsg); ok {
			now = s.snap.T
			select {
			case <-d.Context().Done():
				stopped = true
			case c := <-d.Commands():
				ev := lab.Event{Data: lab.Action{Name: c.Name(), Args: c.Args()}}
				ev.T, ev.Entry = now, 1
				obs.Event(ev)
			case <-time.After(tick):
			}
		}
		if stopped {
			break
		}
		publish(obs, []tea.Msg{m})
	}
	publish(obs, scriptEnd())
	var runErr error
	if stopped {
		runErr = fmt.Errorf("entry 256/512: %w", lab.ErrInterrupted)
	}
	res, err := d.Wait(runErr)
	t.Logf("left the dashboard: %+v, %v", res, err)
}
