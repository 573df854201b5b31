package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testdata is the golden files' folder, fixed before any test changes
// the current folder.
var testdata = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got; go test ./tui -update rewrites it):\n%s", path, diff)
	}
}

// harness drives the dashboard model as the program would, with a fixed
// size and colour profile.
type harness struct {
	t         *testing.T
	m         model
	cmds      chan lab.Command
	cancelled bool
	quit      bool
}

func newHarness(t *testing.T, w, h int) *harness {
	hs := &harness{t: t, cmds: make(chan lab.Command, 8)}
	hs.m = newModel(asciiStyles(), hs.cmds, func() { hs.cancelled = true }, "runs/20261127-100000-cpu-target-tracking-k3x9")
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (hs *harness) send(msgs ...tea.Msg) {
	hs.t.Helper()
	for _, msg := range msgs {
		next, cmd := hs.m.Update(msg)
		hs.m = next.(model)
		if cmd != nil {
			if _, ok := cmd().(tea.QuitMsg); ok {
				hs.quit = true
			}
		}
	}
}

// keys sends key presses: single characters, or names such as "tab",
// "enter", "esc", "ctrl+c", "up", "down", "left", "right".
func (hs *harness) keys(keys ...string) {
	hs.t.Helper()
	named := map[string]tea.KeyType{
		"tab": tea.KeyTab, "enter": tea.KeyEnter, "esc": tea.KeyEsc, "ctrl+c": tea.KeyCtrlC,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	for _, k := range keys {
		if kt, ok := named[k]; ok {
			hs.send(tea.KeyMsg{Type: kt})
			continue
		}
		hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
	}
}

// command is the command the last keys sent, or nil.
func (hs *harness) command() *lab.Command {
	select {
	case c := <-hs.cmds:
		return &c
	default:
		return nil
	}
}

// view renders the model and checks that it fills the terminal exactly:
// as many lines as it is high, none wider than it is wide.
func (hs *harness) view() string {
	hs.t.Helper()
	v := hs.m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != hs.m.height {
		hs.t.Errorf("%dx%d: view has %d lines", hs.m.width, hs.m.height, len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > hs.m.width {
			hs.t.Errorf("%dx%d: line %d is %d cells wide: %q", hs.m.width, hs.m.height, i+1, w, l)
		}
	}
	return v
}

func running(t *testing.T, w, h, seconds int) *harness {
	hs := newHarness(t, w, h)
	hs.send(script(scriptScenario(t), seconds)...)
	return hs
}

func TestDashboardGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}, {160, 50}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			hs := running(t, size.w, size.h, 36)
			golden(t, fmt.Sprintf("dashboard-%dx%d", size.w, size.h), hs.view())
		})
	}
}

// TestDashboardFits checks every frame of the script at sizes from 80x24
// up: no line wraps, nothing overlaps.
func TestDashboardFits(t *testing.T) {
	msgs := script(scriptScenario(t), 40)
	for _, size := range []struct{ w, h int }{{80, 24}, {90, 28}, {100, 30}, {120, 40}, {160, 50}, {200, 60}, {250, 70}} {
		hs := newHarness(t, size.w, size.h)
		hs.view()
		for _, msg := range msgs {
			hs.send(msg)
			hs.view()
		}
		for _, k := range []string{"?", "esc", "s", "esc", "q"} {
			hs.keys(k)
			hs.view()
		}
		hs.keys("n")
		hs.send(scriptEnd()...)
		hs.view()
	}
}

func TestDeployingBeforeFirstSnapshot(t *testing.T) {
	hs := newHarness(t, 80, 24)
	hs.send(startedMsg{scriptInfo(scriptScenario(t))})
	v := hs.view()
	if !strings.Contains(v, "deploying 256/512") {
		t.Errorf("no deploying line:\n%s", v)
	}
	hs.keys("+")
	if c := hs.command(); c != nil {
		t.Errorf("+ before the load sent %+v", *c)
	}
	if !strings.Contains(hs.view(), "no entry is under load right now") {
		t.Error("no explanation for the ignored key")
	}
}

func TestKeysSendCommands(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		keys []string
		want *lab.Command
	}{
		{"plus scales out by one", []string{"+"}, &lab.Command{Scale: 3}},
		{"equals is plus without shift", []string{"="}, &lab.Command{Scale: 3}},
		{"minus scales in by one", []string{"-"}, &lab.Command{Scale: 1}},
		{"p pauses", []string{"p"}, &lab.Command{Pause: &yes}},
		{"k kills one task", []string{"k"}, &lab.Command{KillTask: 1}},
		{"s then enter keeps the size", []string{"s", "enter"}, nil},
		{"s picks more memory", []string{"s", "right", "down", "enter"}, &lab.Command{Resize: &scenarios.Size{CPU: 256, Memory: 1024}}},
		{"s picks more cpu", []string{"s", "down", "enter"}, &lab.Command{Resize: &scenarios.Size{CPU: 512, Memory: 1024}}},
		{"s then esc cancels", []string{"s", "down", "esc"}, nil},
		{"tab only moves the focus", []string{"tab"}, nil},
		{"q only asks", []string{"q"}, nil},
	}
	_ = no
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := running(t, 120, 40, 36) // desired 2, not paused
			hs.keys(tt.keys...)
			got := hs.command()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			if c := hs.command(); c != nil {
				t.Errorf("a second command: %+v", *c)
			}
		})
	}
}

func TestPauseTogglesFromWhatWasAsked(t *testing.T) {
	hs := running(t, 80, 24, 10)
	hs.keys("p", "p")
	first, second := hs.command(), hs.command()
	if first == nil || second == nil || !*first.Pause || *second.Pause {
		t.Fatalf("p p sent %+v, %+v; want pause then resume", first, second)
	}
	if !strings.Contains(hs.view(), "sent: resume the load") {
		t.Error("no flash for the resume")
	}
}

func TestScaleTwiceAsksForTwoMore(t *testing.T) {
	hs := running(t, 80, 24, 10) // desired 1
	hs.keys("+", "+")
	a, b := hs.command(), hs.command()
	if a == nil || b == nil || a.Scale != 2 || b.Scale != 3 {
		t.Fatalf("+ + sent %+v, %+v; want scale 2 then 3", a, b)
	}
	// Once a snapshot shows the count, + counts from it again.
	hs.send(script(scriptScenario(t), 12)[len(script(scriptScenario(t), 11)):]...)
	hs.send(script(scriptScenario(t), 14)[len(script(scriptScenario(t), 13)):]...)
	hs.send(script(scriptScenario(t), 15)[len(script(scriptScenario(t), 14)):]...)
	hs.keys("+")
	if c := hs.command(); c == nil || c.Scale != 2 {
		t.Errorf("+ after the count settled at 1 sent %+v, want scale 2", c)
	}
}

func TestScaleInStopsAtOne(t *testing.T) {
	hs := running(t, 80, 24, 10) // desired 1
	hs.keys("-")
	if c := hs.command(); c != nil {
		t.Errorf("- at one task sent %+v", *c)
	}
}

func TestCommandsNeverBlock(t *testing.T) {
	hs := running(t, 80, 24, 10)
	for range cap(hs.cmds) + 3 {
		hs.keys("k") // nobody reads the channel
	}
	if !strings.Contains(hs.view(), "busy: kill a task not sent") {
		t.Error("a full command channel is not reported")
	}
}

func TestQuitAsksFirstWhileRunning(t *testing.T) {
	hs := running(t, 80, 24, 20)
	hs.keys("q")
	if !strings.Contains(hs.view(), "Stop the run?") {
		t.Fatal("q shows no confirmation")
	}
	hs.keys("n")
	if strings.Contains(hs.view(), "Stop the run?") || hs.cancelled || hs.quit {
		t.Fatal("n does not keep the run going")
	}
	hs.keys("ctrl+c")
	if !strings.Contains(hs.view(), "Stop the run?") || hs.quit {
		t.Fatal("ctrl+c shows no confirmation")
	}
	hs.keys("y")
	if !hs.cancelled {
		t.Fatal("y does not cancel the run")
	}
	if hs.quit {
		t.Fatal("the dashboard left before the run ended")
	}
	golden(t, "stopping-80x24", hs.view())
	hs.send(scriptEnd()...)
	if !hs.quit || !hs.m.result.Stopped {
		t.Errorf("after the run ended: quit %v, result %+v; want quit and Stopped", hs.quit, hs.m.result)
	}
}

func TestCtrlCTwiceWhileStoppingLeaves(t *testing.T) {
	hs := running(t, 80, 24, 20)
	hs.keys("ctrl+c", "ctrl+c")
	if !hs.cancelled || hs.quit {
		t.Fatalf("cancelled %v quit %v after ctrl+c ctrl+c; want cancelled only", hs.cancelled, hs.quit)
	}
	hs.keys("ctrl+c")
	if !hs.quit {
		t.Error("a third ctrl+c while stopping does not leave")
	}
}

func TestSignalStopsAndLeaves(t *testing.T) {
	hs := running(t, 80, 24, 20)
	hs.send(interruptMsg{})
	if !strings.Contains(hs.view(), "STOPPING") {
		t.Error("no STOPPING after a signal")
	}
	hs.send(scriptEnd()...)
	if !hs.quit {
		t.Error("the dashboard stays after an interrupted run ended")
	}
}

func TestSummaryAfterRun(t *testing.T) {
	hs := running(t, 80, 24, 36)
	hs.send(scriptEnd()...)
	hs.send(runEndedMsg{nil})
	if hs.quit {
		t.Fatal("the dashboard left when the run ended")
	}
	golden(t, "summary-80x24", hs.view())
	hs.keys("r")
	if !hs.quit || !hs.m.result.RunAgain {
		t.Errorf("r: quit %v result %+v; want quit and RunAgain", hs.quit, hs.m.result)
	}
}

func TestSummaryQuitsWithoutAsking(t *testing.T) {
	hs := running(t, 80, 24, 36)
	hs.send(scriptEnd()...)
	hs.keys("q")
	if !hs.quit || hs.m.result != (Result{}) {
		t.Errorf("q on the summary: quit %v result %+v", hs.quit, hs.m.result)
	}
}

func TestSummaryShowsRunError(t *testing.T) {
	hs := running(t, 80, 24, 3)
	hs.send(doneMsg{lab.Summary{Scenario: "cpu-target-tracking", Target: "local", RunID: "k3x9"}},
		runEndedMsg{fmt.Errorf("entry 256/512: deploy: no healthy task after 60s")})
	v := hs.view()
	for _, want := range []string{"FAILED", "error: entry 256/512: deploy: no healthy task after 60s"} {
		if !strings.Contains(v, want) {
			t.Errorf("summary lacks %q:\n%s", want, v)
		}
	}
}

func TestHelpAndResizeGolden(t *testing.T) {
	hs := running(t, 80, 24, 36)
	hs.keys("?")
	golden(t, "help-80x24", hs.view())
	hs.keys("esc", "s", "right")
	golden(t, "resize-80x24", hs.view())
}

func TestEventsScroll(t *testing.T) {
	hs := running(t, 80, 24, 36)
	before := hs.view()
	hs.keys("up", "up")
	after := hs.view()
	if before == after || !strings.Contains(after, "2 newer below") {
		t.Errorf("up does not scroll the events back:\n%s", after)
	}
	hs.keys("end")
	if hs.view() != before {
		t.Error("end does not follow the newest events again")
	}
	hs.keys("tab", "down")
	if !strings.Contains(hs.view(), "▸ tasks") {
		t.Error("tab does not move the focus to the tasks")
	}
}

func TestLiveThresholds(t *testing.T) {
	hs := running(t, 120, 40, 36)
	v := hs.view()
	if !strings.Contains(v, "thresholds (live): ✓ p99 < 1s (≤0.7)") || !strings.Contains(v, "✗ error_rate < 1% (1.1)") {
		t.Errorf("live thresholds:\n%s", v)
	}
	hs.send(scriptEnd()[0])
	if v := hs.view(); !strings.Contains(v, "thresholds (entry result): ✓ p99 < 1s (0.8)") {
		t.Errorf("final thresholds:\n%s", v)
	}
}

func TestPausedAndTail(t *testing.T) {
	hs := running(t, 80, 24, 5)
	s := hs.m.header.snap
	s.T, s.Elapsed, s.Paused = 6, 6e9, true
	hs.send(snapshotMsg{s})
	if v := hs.view(); !strings.Contains(strings.SplitN(v, "\n", 2)[0], "PAUSED") {
		t.Errorf("no PAUSED in the header:\n%s", v)
	}
	s.Paused, s.Phase, s.Finished = false, "tail", true
	hs.send(snapshotMsg{s})
	if v := hs.view(); !strings.Contains(v, "· tail") || !strings.Contains(v, "awaiting 0 response(s) in flight") {
		t.Errorf("no tail in the header:\n%s", v)
	}
	hs.keys("k")
	if c := hs.command(); c != nil {
		t.Errorf("k after the entry's last snapshot sent %+v", *c)
	}
}

// TestMatrix follows a run of three entries: between two, the header
// says which one deploys; events carry their entry; each entry starts
// with fresh charts and tasks.
func TestMatrix(t *testing.T) {
	sc := scriptScenario(t)
	sc.Matrix = []scenarios.Override{{CPU: 256, Memory: 512}, {CPU: 512, Memory: 1024}, {CPU: 1024, Memory: 2048}}
	hs := newHarness(t, 100, 30)
	msgs := script(sc, 8)
	hs.send(msgs...)
	if v := hs.view(); !strings.Contains(v, "entry 1/3 256/512") || !strings.Contains(v, "e1     0s phase 1 started") {
		t.Errorf("entry 1:\n%s", v)
	}
	end := scriptEnd()
	hs.send(end[0]) // entry 1 done
	if v := hs.view(); !strings.Contains(v, "entry 2/3 512/1024") || !strings.Contains(v, "deploying 512/1024") {
		t.Errorf("between entries:\n%s", v)
	}
	// Entry 2's held events come at its load start, then its snapshots.
	for _, m := range msgs[1:] {
		switch m := m.(type) {
		case eventMsg:
			m.ev.Entry = 2
			hs.send(m)
		case snapshotMsg:
			m.snap.Entry, m.snap.Label = 2, "512/1024"
			hs.send(m)
		}
	}
	v := hs.view()
	if !strings.Contains(v, "entry 2/3 512/1024 · phase 1/3") || !strings.Contains(v, "e2    -4s entry 2 started") {
		t.Errorf("entry 2:\n%s", v)
	}
	if n := len(hs.m.charts.running); n != 8 {
		t.Errorf("entry 2's charts hold %d seconds, want 8", n)
	}
	hs.send(end[0], end[0])
	if v := hs.view(); !strings.Contains(v, "every entry is done") {
		t.Errorf("after the last entry:\n%s", v)
	}
}

func TestTinyTerminals(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1, 1}, {20, 5}, {40, 12}, {79, 23}} {
		hs := newHarness(t, size.w, size.h)
		hs.send(script(scriptScenario(t), 30)...)
		hs.keys("?")
		_ = hs.m.View() // no panic; nothing is promised below 80x24
		hs.keys("esc", "s")
		_ = hs.m.View()
	}
}

func TestDashboardAfterTheRun(t *testing.T) {
	hs := running(t, 80, 24, 36)
	hs.send(scriptEnd()...)
	hs.keys("d")
	v := hs.view()
	if !strings.Contains(v, "run ended") || !strings.Contains(v, "r run again") {
		t.Errorf("d on the summary:\n%s", v)
	}
	hs.keys("d")
	if !strings.Contains(hs.view(), "PASSED") {
		t.Error("d does not come back to the summary")
	}
}

// A capacity search: its snapshots carry a note that the header shows
// instead of the phase, and it takes no commands.
func TestSearchNoteAndNoCommands(t *testing.T) {
	hs := &harness{t: t}
	hs.m = newModel(asciiStyles(), nil, func() { hs.cancelled = true }, "runs/x")
	hs.send(tea.WindowSizeMsg{Width: 160, Height: 30})
	msgs := script(scriptScenario(t), 5)
	for i, m := range msgs {
		if s, ok := m.(snapshotMsg); ok {
			s.snap.Note = "step 2 (jump) at 3.08 req/s · held up to 1"
			msgs[i] = s
		}
	}
	hs.send(msgs...)
	v := hs.view()
	if !strings.Contains(v, "step 2 (jump) at 3.08 req/s · held up to 1") || strings.Contains(v, "phase 1/") {
		t.Errorf("the header does not show the search's note instead of the phase:\n%s", v)
	}
	hs.keys("k")
	if !strings.Contains(hs.view(), "this run steers its own load: kill a task not sent") {
		t.Error("a key that would steer the load does not say it is not taken")
	}
}
