package scenarios

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWithLoadDuration(t *testing.T) {
	s, err := Load("testdata/valid/full.yaml") // phases 60s + 2m + 60s = 4m; actions at 90s, 150s, 160s, 3m
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		total      time.Duration
		wantPhases []time.Duration
		wantAt     []time.Duration
	}{
		{2 * time.Minute, []time.Duration{30 * time.Second, 60 * time.Second, 30 * time.Second}, []time.Duration{45 * time.Second, 75 * time.Second, 80 * time.Second, 90 * time.Second}},
		{8 * time.Minute, []time.Duration{2 * time.Minute, 4 * time.Minute, 2 * time.Minute}, []time.Duration{3 * time.Minute, 5 * time.Minute, 320 * time.Second, 6 * time.Minute}},
		{7 * time.Second, []time.Duration{1750 * time.Millisecond, 3500 * time.Millisecond, 1750 * time.Millisecond}, []time.Duration{2625 * time.Millisecond, 4375 * time.Millisecond, 4666666666, 5250 * time.Millisecond}},
	} {
		t.Run(tc.total.String(), func(t *testing.T) {
			got := s.WithLoadDuration(tc.total)
			if got.LoadDuration() != tc.total {
				t.Errorf("LoadDuration() = %s, want %s", got.LoadDuration(), tc.total)
			}
			var phases, at []time.Duration
			for _, p := range got.Load.Phases {
				phases = append(phases, p.Duration)
			}
			for _, a := range got.Actions {
				at = append(at, a.At)
			}
			if diff := cmp.Diff(tc.wantPhases, phases); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAt, at); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			// Nothing but the load's timing changes.
			same := got.Clone()
			same.Load.Phases, same.Actions = s.Load.Phases, s.Actions
			if diff := cmp.Diff(s, same); diff != "" {
				t.Errorf("WithLoadDuration changed more than phases and actions (-before +after):\n%s", diff)
			}
		})
	}
	if s.LoadDuration() != 4*time.Minute {
		t.Errorf("WithLoadDuration changed the original: %s", s.LoadDuration())
	}
	if got := s.WithLoadDuration(0); got.LoadDuration() != 4*time.Minute {
		t.Errorf("WithLoadDuration(0) = %s, want the load unchanged", got.LoadDuration())
	}
}

func TestWithLoadDurationRounding(t *testing.T) {
	s := &Scenario{Load: LoadSpec{Phases: []Phase{{Duration: 10 * time.Second}, {Duration: 10 * time.Second}, {Duration: 10 * time.Second}}}}
	got := s.WithLoadDuration(10 * time.Second)
	var phases []time.Duration
	for _, p := range got.Load.Phases {
		phases = append(phases, p.Duration)
	}
	// The last phase takes what rounding leaves, so the phases sum to the total exactly.
	if diff := cmp.Diff([]time.Duration{3333333333, 3333333333, 3333333334}, phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
}

func TestWithSize(t *testing.T) {
	s, err := Builtin("cpu-vertical")
	if err != nil {
		t.Fatal(err)
	}
	got := s.WithSize(Size{CPU: 512, Memory: 1024})
	entries := got.Entries()
	if len(entries) != 1 || entries[0].Size != (Size{CPU: 512, Memory: 1024}) || entries[0].Label != "512/1024" {
		t.Errorf("Entries() = %+v, want one entry 512/1024", entries)
	}
	if len(s.Entries()) != 3 {
		t.Errorf("WithSize changed the original's matrix")
	}
}

func TestCloneIsDeep(t *testing.T) {
	s, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	c.Workload.Env["CPU_WORK"] = "1s"
	c.Load.Phases[0].Rate = 99
	c.Load.Requests[1].Headers["X"] = "y"
	c.Matrix[1].Env["CPU_WORK"] = "1s"
	c.Actions[2].Resize.CPU = 1
	c.Autoscaling.Policies[0].TargetTracking.Target = 1
	*c.Autoscaling.Policies[3].StepScaling.Steps[0].Upper = 1
	c.ECS.Subnets[0] = "subnet-x"
	fresh, _ := Load("testdata/valid/full.yaml")
	if diff := cmp.Diff(fresh, s); diff != "" {
		t.Errorf("changing the clone changed the original (-want +got):\n%s", diff)
	}
}
