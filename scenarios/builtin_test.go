package scenarios

import (
	"regexp"
	"testing"
)

func TestBuiltins(t *testing.T) {
	infos := Builtins()
	if len(infos) == 0 {
		t.Fatal("no built-in scenarios")
	}
	// Each description says which length it runs by default.
	length := regexp.MustCompile(`\d+ entr(y|ies) x \d+[smh]|\d+ ?min`)
	for _, info := range infos {
		t.Run(info.Name, func(t *testing.T) {
			s, err := Builtin(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != info.Name {
				t.Errorf("name %q, want the file's name %q", s.Name, info.Name)
			}
			if s.Source != "builtin:"+info.Name {
				t.Errorf("Source = %q", s.Source)
			}
			if !length.MatchString(info.Description) {
				t.Errorf("description does not state the default length: %q", info.Description)
			}
			roundTrip(t, s)
		})
	}
}

// TestCPUVertical pins the built-in to the article's first experiment: hey -c 5 -q 1
// on three sizes, 60s each, passing at 4.9 req/s.
func TestCPUVertical(t *testing.T) {
	s, err := Builtin("cpu-vertical")
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, e := range s.Entries() {
		labels = append(labels, e.Label)
	}
	if got := len(labels); got != 3 || labels[0] != "256/512" || labels[1] != "512/1024" || labels[2] != "1024/2048" {
		t.Errorf("entries %v, want 256/512 512/1024 1024/2048", labels)
	}
	if s.Load.Path != "/cpu_intensive" || len(s.Load.Phases) != 1 {
		t.Fatalf("load = %+v", s.Load)
	}
	if p := s.Load.Phases[0]; p != (Phase{Duration: 60e9, Workers: 5, WorkerRate: 1}) {
		t.Errorf("phase = %+v, want 60s of 5 workers at 1 req/s", p)
	}
	if len(s.Thresholds) != 1 || s.Thresholds[0].Expr != "achieved_rps >= 4.9" {
		t.Errorf("thresholds = %+v", s.Thresholds)
	}
	if !s.Workload.Builtin || s.Workload.Port != BuiltinPort {
		t.Errorf("workload = %+v", s.Workload)
	}
}

func TestStarterLoads(t *testing.T) {
	s, err := Parse("starter.yaml", Starter())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, s)
}

func TestBuiltinSourceUnknown(t *testing.T) {
	if _, err := BuiltinSource("../load.go"); err == nil {
		t.Error("BuiltinSource reads outside builtin/")
	}
}
