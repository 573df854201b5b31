package scenarios

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden .err files of testdata/invalid")

// ignoreSource compares scenarios without where they came from.
var ignoreSource = cmpopts.IgnoreFields(Scenario{}, "Source")

func TestLoadMinimalFillsDefaults(t *testing.T) {
	s, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		Name:     "minimal",
		Workload: Workload{Builtin: true, Port: BuiltinPort},
		Service: Service{
			CPU: 256, Memory: 512, Count: 1,
			HealthCheck: HealthCheck{Path: "/", Interval: 2 * time.Second, Timeout: time.Second, HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"},
		},
		Balancer: Balancer{Algorithm: "round_robin", TargetTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second, DeregistrationDelay: 5 * time.Second},
		Load: LoadSpec{
			Path:    "/",
			Timeout: 65 * time.Second,
			Phases:  []Phase{{Duration: 10 * time.Second, Rate: 1}},
		},
		Source: "testdata/valid/minimal.yaml",
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("minimal.yaml (-want +got):\n%s", diff)
	}
	if got := s.Entries(); len(got) != 1 || got[0].Label != "256/512" || got[0].Count != 1 {
		t.Errorf("Entries() = %+v, want one entry 256/512 with 1 task", got)
	}
}

func TestLoadUnits(t *testing.T) {
	s, err := Load("testdata/valid/units.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Service.CPU != 512 || s.Service.Memory != 1024 {
		t.Errorf("service size = %d/%d, want 512/1024 from 0.5vCPU/1GB", s.Service.CPU, s.Service.Memory)
	}
	var labels []string
	for _, e := range s.Entries() {
		labels = append(labels, e.Label)
	}
	if diff := cmp.Diff([]string{"256/512", "1024/2048", "big-env"}, labels); diff != "" {
		t.Errorf("entry labels (-want +got):\n%s", diff)
	}
	wantEnv := map[string]string{"LOG_LEVEL": "debug", "WORKERS": "8", "DEBUG": "true"}
	if diff := cmp.Diff(wantEnv, s.Entries()[2].Env); diff != "" {
		t.Errorf("merged env of the third entry (-want +got):\n%s", diff)
	}
	wantPhases := []Phase{
		{Duration: 90 * time.Second, RampTo: 10},
		{Duration: 500 * time.Millisecond, Rate: 0.5},
		{Duration: time.Hour, Workers: 3},
	}
	if diff := cmp.Diff(wantPhases, s.Load.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	wantThresholds := []Threshold{
		{Expr: "p50<100ms", Metric: "p50", Op: "<", Value: 100, Unit: "ms"},
		{Expr: "p99 <= 1.5 s", Metric: "p99", Op: "<=", Value: 1500, Unit: "s"},
		{Expr: "error_rate < 0.5%", Metric: "error_rate", Op: "<", Value: 0.5, Unit: "%"},
		{Expr: "cpu_avg < 80", Metric: "cpu_avg", Op: "<", Value: 80},
		{Expr: "memory_utilization.max <= 90%", Metric: "mem_max", Op: "<=", Value: 90, Unit: "%"},
		{Expr: "tasks_stopped == 0", Metric: "tasks_stopped", Op: "==", Value: 0},
		{Expr: "offered_rps != 0", Metric: "offered_rps", Op: "!=", Value: 0},
	}
	if diff := cmp.Diff(wantThresholds, s.Thresholds); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}
}

func TestLoadFull(t *testing.T) {
	s, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Duration
	for _, a := range s.Actions {
		at = append(at, a.At)
	}
	if diff := cmp.Diff([]time.Duration{90 * time.Second, 150 * time.Second, 160 * time.Second, 180 * time.Second}, at); diff != "" {
		t.Errorf("actions are not in time order (-want +got):\n%s", diff)
	}
	if got := *s.Actions[2].Resize; got != (Size{CPU: 1024, Memory: 3072}) {
		t.Errorf("resize = %v, want 1024/3072", got)
	}
	a := s.Autoscaling
	var names []string
	for _, p := range a.Policies {
		names = append(names, p.Name)
	}
	wantNames := []string{"cpu-target-tracking", "slow", "requests_per_target-target-tracking", "response_time-step-scaling", "memory-step-scaling"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("policy names (-want +got):\n%s", diff)
	}
	if got := a.Policies[1].TargetTracking; got.Target != 1500 || got.ScaleOutCooldown != DefaultCooldown {
		t.Errorf("response_time policy = %+v, want target 1500 (ms) and the default cooldown", got)
	}
	step := a.Policies[3].StepScaling
	if step.Threshold != 2000 || *step.Steps[0].Upper != 500 || step.Steps[1].Upper != nil {
		t.Errorf("step scaling on response_time = %+v, want threshold 2000 ms and steps [0, 500) [500, inf)", step)
	}
	if got := s.Load.Targets(); len(got) != 2 || got[0].Method != "GET" || got[0].Weight != 3 || got[1].Method != "POST" || got[1].Weight != 1 {
		t.Errorf("Targets() = %+v", got)
	}
	if s.Balancer.IdleTimeout != 90*time.Second {
		t.Errorf("balancer.idle_timeout = %v, want 90s", s.Balancer.IdleTimeout)
	}
	if s.ECS == nil || len(s.ECS.Subnets) != 2 || s.ECS.AssignPublicIP == nil || !*s.ECS.AssignPublicIP {
		t.Errorf("ecs = %+v", s.ECS)
	}
}

func TestLoadAnchors(t *testing.T) {
	s, err := Load("testdata/valid/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{{Duration: 30 * time.Second, Rate: 2}, {Duration: 30 * time.Second, Rate: 2}, {Duration: 30 * time.Second, Rate: 4}}
	if diff := cmp.Diff(want, s.Load.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Override{{CPU: 512, Memory: 1024}, {Label: "two-tasks", CPU: 512, Memory: 1024, Count: 2}}, s.Matrix); diff != "" {
		t.Errorf("matrix (-want +got):\n%s", diff)
	}
}

// TestRoundTrip checks that the resolved scenario, written as YAML, loads
// back to the same scenario.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, s)
		})
	}
}

func roundTrip(t *testing.T, s *Scenario) {
	t.Helper()
	out, err := s.YAML()
	if err != nil {
		t.Fatalf("YAML(): %v", err)
	}
	back, err := Parse("scenario.yaml", out)
	if err != nil {
		t.Fatalf("the YAML of %s does not load back: %v\n%s", s.Name, err, out)
	}
	if diff := cmp.Diff(s, back, ignoreSource); diff != "" {
		t.Errorf("round trip changed the scenario (-before +after):\n%s\n%s", diff, out)
	}
}

// TestInvalid loads each testdata/invalid/X.yaml and compares the errors,
// as the CLI prints them, with X.err. go test -run TestInvalid -update
// rewrites the .err files: read the diff before committing it.
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) < 30 {
		t.Fatalf("%d invalid scenarios in testdata/invalid, want at least 30", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("loads without error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want an ErrorList: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("errors differ from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestThreeMistakes: a misspelled field, an invalid
// Fargate pair and a threshold that does not parse give three positioned
// errors in one pass.
func TestThreeMistakes(t *testing.T) {
	_, err := Load("testdata/invalid/three-mistakes.yaml")
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	type pos struct {
		Line, Column int
		Field        string
	}
	var got []pos
	for _, e := range list.Errors() {
		got = append(got, pos{e.Line, e.Column, e.Field})
	}
	want := []pos{{7, 11, "service.memory"}, {8, 3, "service.cuont"}, {15, 11, "thresholds[1]"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("errors (-want +got):\n%s\n%v", diff, err)
	}
	for i, sub := range []string{"nearest valid size: 256/2048", `did you mean "count"?`, "p99 needs a unit"} {
		if !strings.Contains(list[i].Message, sub) {
			t.Errorf("error %d = %q, want it to say %q", i, list[i].Message, sub)
		}
	}
}

func TestRefusesLargeFiles(t *testing.T) {
	big := []byte("name: big\ndescription: \"" + strings.Repeat("x", MaxFileSize) + "\"\n")
	_, err := Parse("big.yaml", big)
	if err == nil || !strings.Contains(err.Error(), "at most 1048576") {
		t.Fatalf("Parse of %d bytes: err = %v, want it refused", len(big), err)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than 1048576") {
		t.Fatalf("Load of %d bytes: err = %v, want it refused", len(big), err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nonexistent.yaml")
	var list ErrorList
	if !errors.As(err, &list) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want an ErrorList wrapping os.ErrNotExist", err)
	}
	if want := "testdata/nonexistent.yaml: cannot read: no such file or directory"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		name    string // of the scenario, when it resolves
		wantErr string
	}{
		{arg: "cpu-vertical", name: "cpu-vertical"},
		{arg: "testdata/valid/minimal.yaml", name: "minimal"},
		{arg: "cpu-vertcal", wantErr: `cpu-vertcal: no such file, and no built-in scenario of that name (built-ins: ` + strings.Join(builtinNames(), ", ") + `); did you mean "cpu-vertical"?`},
		{arg: "nothing.yaml", wantErr: "nothing.yaml: cannot read: no such file or directory"},
		{arg: "some/dir/scenario", wantErr: "some/dir/scenario: cannot read: no such file or directory"},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			s, err := Resolve(tc.arg)
			if tc.wantErr != "" {
				var list ErrorList
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &list) {
					t.Fatalf("err = %v, want the ErrorList %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tc.name {
				t.Errorf("name = %q, want %q", s.Name, tc.name)
			}
		})
	}
}

func TestParseECS(t *testing.T) {
	e, err := ParseECS("ecs.yaml", []byte("region: eu-west-1\nsubnets: [subnet-1]\nassign_public_ip: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ECS{Region: "eu-west-1", Subnets: []string{"subnet-1"}, AssignPublicIP: ptrTrue()}, e); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = ParseECS("ecs.yaml", []byte("regoin: eu-west-1\n"))
	if err == nil || !strings.Contains(err.Error(), `ecs.yaml:1:1: regoin: unknown field "regoin"; did you mean "region"?`) {
		t.Errorf("err = %v", err)
	}
}

func ptrTrue() *bool { b := true; return &b }
