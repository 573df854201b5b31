package autoscale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

// TestRequestsPerTarget: ALBRequestCountPerTarget is requests per healthy
// target per minute, whatever the datapoint period.
func TestRequestsPerTarget(t *testing.T) {
	// 20 requests a second over 2 healthy targets: 10 per target per
	// second, 600 per target per minute. Seconds without a healthy target
	// route nothing and do not count.
	load := func(sec, desired int) (Sample, bool) {
		x := Sample{Requests: 20, HealthyTargets: 2, Running: desired, Desired: desired}
		if sec%10 == 1 {
			x.Requests, x.HealthyTargets = 0, 0
		}
		return x, true
	}
	s := mustNew(t, config(1, 10, tracking("rpt", scenarios.MetricRequestsPerTarget, 400)))
	got := decisions(drive(t, s, 2, times(3, load)))
	want := []Decision{{
		Time: t0.Add(30 * time.Second), Direction: Out, From: 2, To: 3,
		Policy: "rpt", Metric: "requests_per_target", Datapoints: []float64{600, 600, 600}, Target: 400,
		Formula: "ceil(2 x 600 / 400) = 3",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRequestsPerTargetNoHealthyTarget: no healthy target, no datapoint.
func TestRequestsPerTargetNoHealthyTarget(t *testing.T) {
	none := func(_, desired int) (Sample, bool) {
		return Sample{Requests: 50, Running: desired, Desired: desired}, true
	}
	s := mustNew(t, config(1, 10, tracking("rpt", scenarios.MetricRequestsPerTarget, 400)))
	if got := drive(t, s, 2, times(20, none)); len(got) != 0 {
		t.Errorf("got %v, want nothing", summary(got))
	}
}

// TestResponseTime: the datapoint is ALB TargetResponseTime's average,
// total time over the count of responses (not the mean of per-second
// averages), compared with a target in milliseconds (the loader reads
// "2s" as 2000).
func TestResponseTime(t *testing.T) {
	// In each 10s period, 4 seconds with one response of 1s, 4 seconds
	// with three responses taking 9s in all, 2 seconds without a response
	// (they do not count): 40s over 16 responses = 2500ms, where the mean
	// of the per-second averages would be exactly the target, 2000ms.
	slow := func(sec, desired int) (Sample, bool) {
		x := Sample{Running: desired, Desired: desired, HealthyTargets: desired}
		switch s := (sec - 1) % 10; {
		case s < 4:
			x.ResponseTimeSum, x.Responses = time.Second, 1
		case s < 8:
			x.ResponseTimeSum, x.Responses = 9*time.Second, 3
		}
		return x, true
	}
	s := mustNew(t, config(1, 5, tracking("rt", scenarios.MetricResponseTime, 2000)))
	got := decisions(drive(t, s, 1, times(3, slow)))
	want := []Decision{{
		Time: t0.Add(30 * time.Second), Direction: Out, From: 1, To: 2,
		Policy: "rt", Metric: "response_time", Datapoints: []float64{2500, 2500, 2500}, Target: 2000,
		Formula: "ceil(1 x 2500 / 2000) = 2",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if u := Unit(scenarios.MetricResponseTime); u != "ms" {
		t.Errorf("unit %q, want ms", u)
	}
}

// TestResponseTimeNoResponses: a period without responses is missing.
func TestResponseTimeNoResponses(t *testing.T) {
	quiet := func(_, desired int) (Sample, bool) {
		return Sample{Running: desired, Desired: desired, HealthyTargets: desired}, true
	}
	slow := func(_, desired int) (Sample, bool) {
		return Sample{ResponseTimeSum: 3 * time.Second, Responses: 1, Running: desired, Desired: desired}, true
	}
	s := mustNew(t, config(1, 5, tracking("rt", scenarios.MetricResponseTime, 2000)))
	got := summary(drive(t, s, 1, cat(times(2, slow), times(1, quiet), times(3, slow))))
	if diff := cmp.Diff([]string{"p6 rt out 1->2"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDatapointArithmetic checks the per-period statistics directly.
func TestDatapointArithmetic(t *testing.T) {
	var b bucket
	b.add(Sample{CPUPct: 50, MemPct: 10, Running: 2, Requests: 30, HealthyTargets: 3, ResponseTimeSum: 400 * time.Millisecond, Responses: 2})
	b.add(Sample{CPUPct: 70, MemPct: 20, Running: 2, Requests: 10, HealthyTargets: 1, ResponseTimeSum: 100 * time.Millisecond, Responses: 3})
	b.add(Sample{CPUPct: 0, MemPct: 0, Running: 0}) // nothing ran: not a utilization sample, no target
	got := map[string]float64{}
	for _, m := range metrics {
		v, ok := b.datapoint(m)
		if !ok {
			t.Fatalf("%s: missing", m)
		}
		got[m] = v
	}
	want := map[string]float64{
		"cpu":                 60,  // (50 + 70) / 2
		"memory":              15,  // (10 + 20) / 2
		"requests_per_target": 600, // (30/3 + 10/1) / 2 x 60
		"response_time":       100, // 500ms / 5
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var empty bucket
	for _, m := range metrics {
		if _, ok := empty.datapoint(m); ok {
			t.Errorf("%s: a period without samples has a datapoint", m)
		}
	}
}

// TestSampleTimes: periods are aligned to the start; a sample describes
// the second ending at its time, so the sample at a period's end closes
// it; late (jittered) ticks close it with the next period's first sample;
// samples at or before the start and late samples are ignored.
func TestSampleTimes(t *testing.T) {
	s := mustNew(t, config(1, 10, tracking("cpu", scenarios.MetricCPU, 60, outCooldown(0))))
	at := func(d time.Duration) Sample {
		return Sample{Time: t0.Add(d), CPUPct: 90, Running: 2, Desired: 2}
	}
	steps := []struct {
		d    time.Duration
		want int // decisions returned
	}{
		{-5 * time.Second, 0},
		{0, 0},
		{10 * time.Second, 0}, // closes p1
		{20 * time.Second, 0}, // closes p2
		{29900 * time.Millisecond, 0},
		{30100 * time.Millisecond, 1}, // closes p3 late: the alarm fires
		{29 * time.Second, 0},         // a late sample of a closed period
	}
	for _, st := range steps {
		got := s.Observe(at(st.d))
		if len(got) != st.want {
			t.Errorf("sample at %s: %d decisions %v, want %d", st.d, len(got), got, st.want)
		}
		for _, d := range got {
			if end := t0.Add(30 * time.Second); !d.Time.Equal(end) {
				t.Errorf("decision at %s, want %s", d.Time, end)
			}
		}
	}
}

// TestDesiredFromSamples: the current capacity is the service's desired
// count as the samples report it, e.g. after a scheduled scale action.
func TestDesiredFromSamples(t *testing.T) {
	s := mustNew(t, config(1, 10, tracking("cpu", scenarios.MetricCPU, 60)))
	var got []Decision
	for sec := 1; sec <= 30; sec++ {
		desired := 2
		if sec > 25 {
			desired = 4 // an action scaled the service
		}
		got = append(got, s.Observe(Sample{Time: t0.Add(time.Duration(sec) * time.Second), CPUPct: 90, Running: desired, Desired: desired})...)
	}
	if len(got) != 1 || got[0].From != 4 || got[0].To != 6 {
		t.Errorf("got %v, want out 4->6", got)
	}
}
