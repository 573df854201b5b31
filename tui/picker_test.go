package tui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ecslab/lab/scenarios"
)

const goodScenario = `name: my-api
description: |-
  How does my API hold a rising load at 0.5 vCPU? 2 min.
  A second line of description.
workload:
  builtin: true
service:
  cpu: 512
  memory: 1024
  count: 2
load:
  path: /
  phases:
    - {duration: 1m, rate: 5}
    - {duration: 1m, ramp_to: 20}
autoscaling:
  min: 2
  max: 6
  metric_period: 10s
  policies:
    - target_tracking: {metric: cpu, target: 60}
thresholds: ["p99 < 500ms"]
`

const badScenario = `name: broken
service:
  cpu: 512
  memory: 3000
`

// pickerDir makes a folder with two scenario files and makes it the
// current one, as lab's picker lists the folder it runs in.
func pickerDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for name, text := range map[string]string{"my-api.yaml": goodScenario, "broken.yaml": badScenario, "notes.txt": "not a scenario"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pickerModel is the picker of a folder made by pickerDir. Its built-ins
// are one stand-in, so that the golden files do not change with them.
func pickerModel(t *testing.T, w, h int) picker {
	t.Helper()
	stand, err := scenarios.Load(filepath.Join(testdata, "scripted.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pickerDir(t)
	files, err := fileItems("")
	if err != nil {
		t.Fatal(err)
	}
	items := append([]pickItem{{arg: stand.Name, name: stand.Name, builtin: true, sc: stand}}, files...)
	p := newPicker(items, asciiStyles())
	next, _ := p.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(picker)
}

func pickerKeys(p picker, keys ...tea.KeyMsg) (picker, bool) {
	quit := false
	for _, k := range keys {
		next, cmd := p.Update(k)
		p = next.(picker)
		if cmd != nil {
			_, quit = cmd().(tea.QuitMsg)
		}
	}
	return p, quit
}

func checkFits(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide: %q", i+1, n, l)
		}
	}
}

func TestPickerListsBuiltinsAndFiles(t *testing.T) {
	dir := pickerDir(t)
	items, err := pickItems(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range items {
		names = append(names, it.name)
	}
	var want []string
	for _, b := range scenarios.Builtins() {
		want = append(want, b.Name)
	}
	want = append(want, "broken.yaml", "my-api.yaml")
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("items %v, want %v", names, want)
	}
	if items[len(items)-2].err == nil {
		t.Error("broken.yaml loaded")
	}
	if it := items[len(items)-1]; it.err != nil || it.arg != filepath.Join(dir, "my-api.yaml") {
		t.Errorf("my-api.yaml: arg %q err %v", it.arg, it.err)
	}
	here, _ := pickItems("")
	if it := here[len(here)-1]; it.arg != "my-api.yaml" {
		t.Errorf("in the current folder, my-api.yaml's arg is %q", it.arg)
	}
}

func TestPickerGolden(t *testing.T) {
	p := pickerModel(t, 80, 24)
	v := p.View()
	checkFits(t, v, 80, 24)
	golden(t, "picker-80x24", v)

	p, _ = pickerKeys(p, tea.KeyMsg{Type: tea.KeyEnd}) // my-api.yaml, the last
	v = p.View()
	checkFits(t, v, 80, 24)
	golden(t, "picker-file-80x24", v)
}

func TestPickerChoosesWithEnter(t *testing.T) {
	p := pickerModel(t, 80, 24)
	p, quit := pickerKeys(p, tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyEnter})
	if !quit || p.chosen != 2 || p.items[2].arg != "my-api.yaml" {
		t.Errorf("enter on the second file: quit %v chosen %d", quit, p.chosen)
	}
}

func TestPickerRefusesABrokenFile(t *testing.T) {
	p := pickerModel(t, 80, 24)
	p, _ = pickerKeys(p, tea.KeyMsg{Type: tea.KeyEnd}, tea.KeyMsg{Type: tea.KeyUp}) // broken.yaml
	if p.items[p.sel].name != "broken.yaml" {
		t.Fatalf("selected %s", p.items[p.sel].name)
	}
	v := p.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "✗ does not load: ") || !strings.Contains(v, "service.memory") {
		t.Errorf("no inline error:\n%s", v)
	}
	p, quit := pickerKeys(p, tea.KeyMsg{Type: tea.KeyEnter})
	if quit || p.chosen >= 0 {
		t.Error("enter chose a file that does not load")
	}
	if !strings.Contains(p.View(), "this file does not load") {
		t.Error("no explanation")
	}
}

func TestPickerQuits(t *testing.T) {
	for _, k := range []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("q")}, {Type: tea.KeyEsc}, {Type: tea.KeyCtrlC}} {
		p := pickerModel(t, 80, 24)
		p, quit := pickerKeys(p, k)
		if !quit || p.chosen >= 0 {
			t.Errorf("%s: quit %v chosen %d", k, quit, p.chosen)
		}
	}
}

func TestPickRunsTheProgram(t *testing.T) {
	dir := pickerDir(t)
	in, keys := io.Pipe()
	defer keys.Close()
	type out struct {
		arg string
		ok  bool
		err error
	}
	ch := make(chan out, 1)
	st := asciiStyles()
	go func() {
		arg, ok, err := Pick(context.Background(), PickConfig{Dir: dir, Styles: &st, Input: in, Output: io.Discard})
		ch <- out{arg, ok, err}
	}()
	// The last item is my-api.yaml.
	for range len(scenarios.Builtins()) + 1 {
		io.WriteString(keys, "j")
	}
	io.WriteString(keys, "\r")
	select {
	case o := <-ch:
		if o.err != nil || !o.ok || o.arg != filepath.Join(dir, "my-api.yaml") {
			t.Errorf("Pick = %q, %v, %v", o.arg, o.ok, o.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Pick did not return")
	}
}
