package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecslab/lab/scenarios"
)

// runInit runs `lab ARGS...` in-process, in the current directory, and
// returns its stdout, its stderr as main would print it, and the exit code.
func runInit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code = exitCode(root.Execute(), &errOut)
	return out.String(), errOut.String(), code
}

func TestInitWritesStarter(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, stderr, code := runInit(t, "init")
	if code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote scenario.yaml") {
		t.Errorf("stdout = %q, want it to name scenario.yaml", stdout)
	}
	data, err := os.ReadFile("scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, scenarios.Starter()) {
		t.Error("scenario.yaml is not the starter scenario")
	}
	if !bytes.Contains(data, []byte("#")) {
		t.Error("the starter has no comments")
	}
	if _, err := scenarios.Load("scenario.yaml"); err != nil {
		t.Errorf("the written starter does not validate:\n%v", err)
	}
}

func TestInitCopiesEachBuiltin(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			_, stderr, code := runInit(t, "init", b.Name)
			if code != exitOK {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
			}
			file := b.Name + ".yaml"
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src, _ := scenarios.BuiltinSource(b.Name)
			if !bytes.Equal(data, src) {
				t.Errorf("%s is not a copy of the built-in, comments and all", file)
			}
			s, err := scenarios.Load(file)
			if err != nil {
				t.Fatalf("the copy does not validate:\n%v", err)
			}
			if s.Name != b.Name {
				t.Errorf("name = %q, want %q", s.Name, b.Name)
			}
		})
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	t.Chdir(t.TempDir())
	const mine = "name: mine\n# my edits\n"
	for _, f := range []string{"scenario.yaml", "cpu-vertical.yaml", "custom.yaml"} {
		if err := os.WriteFile(f, []byte(mine), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		file string
	}{
		{[]string{"init"}, "scenario.yaml"},
		{[]string{"init", "cpu-vertical"}, "cpu-vertical.yaml"},
		{[]string{"init", "-o", "custom.yaml"}, "custom.yaml"},
		{[]string{"init", "memory-leak", "--output", "custom.yaml"}, "custom.yaml"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			stdout, stderr, code := runInit(t, tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit code %d, want %d; stdout %q, stderr %q", code, exitBadInput, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line on stderr, got:\n%s", stderr)
			}
			for _, want := range []string{tc.file, "already exists", "remove it", "--force"} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("stderr %q does not say %q", lines[0], want)
				}
			}
			if data, _ := os.ReadFile(tc.file); string(data) != mine {
				t.Errorf("%s was changed to:\n%s", tc.file, data)
			}
		})
	}
}

func TestInitForceAndOutput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	out := filepath.Join(dir, "leak.yaml")
	if err := os.WriteFile(out, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runInit(t, "init", "memory-leak", "-o", out, "--force"); code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	s, err := scenarios.Load(out)
	if err != nil {
		t.Fatalf("%s does not validate:\n%v", out, err)
	}
	if s.Name != "memory-leak" {
		t.Errorf("name = %q, want memory-leak", s.Name)
	}

	stdout, stderr, code := runInit(t, "init", "cpu-vertical", "-o", "-")
	if code != exitOK {
		t.Fatalf("-o -: exit code %d; stderr:\n%s", code, stderr)
	}
	if src, _ := scenarios.BuiltinSource("cpu-vertical"); stdout != string(src) {
		t.Errorf("-o - wrote %q, want the built-in's text", stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("-o - wrote a file: %v", entries)
	}
}

func TestInitBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init", "cpu-vertcal"}, `no built-in scenario "cpu-vertcal"; built-ins: bring-your-own-image, `},
		{[]string{"init", "cpu-vertical", "memory-leak"}, "accepts at most 1 arg"},
		{[]string{"init", "-o", dir}, "is a directory"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := runInit(t, tc.args...)
			if code != exitBadInput {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitBadInput, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not say %q", stderr, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad input wrote files: %v", entries)
	}
}

// TestInitFromTaskDefinition writes a scenario around each testdata task
// definition: it loads, names the definition beside it, balances to the
// first essential container's first port, and the definition's notes go
// to stderr.
func TestInitFromTaskDefinition(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		file, name, want string
	}{
		{"sidecar-proxy.json", "shop-api", "load_balancer: {container: envoy, port: 8000}"},
		{"init-container.json", "orders-worker", "load_balancer: {container: app, port: 8080}"},
		{"health-check.json", "catalog", "load_balancer: {container: catalog, port: 8080}"},
	}
	for _, tc := range cases {
		data, err := os.ReadFile(filepath.Join("..", "..", "taskdef", "testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tc.file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			stdout, stderr, code := runInit(t, "init", "--from-task-definition", tc.file)
			if code != exitOK {
				t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "wrote "+tc.name+".yaml") {
				t.Errorf("stdout = %q", stdout)
			}
			data, err := os.ReadFile(tc.name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte("task_definition: "+tc.file+"\n")) || !bytes.Contains(data, []byte(tc.want)) ||
				!bytes.Contains(data, []byte("# task_role: use-my-credentials\n")) {
				t.Errorf("%s.yaml:\n%s", tc.name, data)
			}
			sc, err := scenarios.Load(tc.name + ".yaml")
			if err != nil {
				t.Fatalf("the written scenario does not load:\n%v", err)
			}
			if sc.Workload.Definition == nil || sc.Name != tc.name {
				t.Errorf("scenario %+v", sc.Workload)
			}
			if tc.file != "init-container.json" && !strings.Contains(stderr, "lab: note: "+tc.file+":") {
				t.Errorf("stderr lacks the definition's notes: %q", stderr)
			}
		})
	}

	// Without a task size, the smallest Fargate size that holds the
	// containers; without a port, a usage error.
	def := `{"family": "w", "networkMode": "awsvpc", "containerDefinitions": [{"name": "a", "image": "x/a", "cpu": 300, "memory": 700, "portMappings": [{"containerPort": 80}]}]}`
	os.WriteFile("nosize.json", []byte(def), 0o644)
	if _, stderr, code := runInit(t, "init", "--from-task-definition", "nosize.json", "sized"); code != exitOK {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile("sized.yaml"); !bytes.Contains(data, []byte("  cpu: 512\n  memory: 1024\n")) {
		t.Errorf("sized.yaml:\n%s", data)
	}
	os.WriteFile("noport.json", []byte(strings.Replace(def, `, "portMappings": [{"containerPort": 80}]`, "", 1)), 0o644)
	if _, stderr, code := runInit(t, "init", "--from-task-definition", "noport.json"); code != exitBadInput || !strings.Contains(stderr, "no essential container of task definition w maps a port") {
		t.Errorf("exit code %d, stderr %q", code, stderr)
	}
	os.WriteFile("bad.json", []byte(`{"family": "w", "networkMode": "bridge"}`), 0o644)
	if _, stderr, code := runInit(t, "init", "--from-task-definition", "bad.json"); code != exitBadInput || !strings.Contains(stderr, "bad.json:1:") {
		t.Errorf("exit code %d, stderr %q", code, stderr)
	}
}
