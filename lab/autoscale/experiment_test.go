package autoscale

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

// responseTimeScaling is experiment 3 of the article, time compressed as
// the built-in does it: min 1, max 5, target tracking on the average
// target response time with a 2s target, 10s datapoints and cooldowns of
// 30s. It goes through the scenario loader, so the target is what a file
// gives (2s read as 2000 ms).
const responseTimeScaling = `
name: response-time-scaling
workload: {builtin: true}
service: {cpu: 512, memory: 1024, count: 1}
load:
  path: /long_response_time
  phases:
    - {duration: 3m, workers: 5, worker_rate: 1}
autoscaling:
  min: 1
  max: 5
  metric_period: 10s
  policies:
    - target_tracking:
        metric: response_time
        target: 2s
        scale_out_cooldown: 30s
        scale_in_cooldown: 30s
`

// TestExperiment3 replays the shape of the article's third experiment: a
// slow downstream makes every response slower and slower whatever the
// number of tasks (here 200ms + 25ms per second of load, 5 responses a
// second). Scaling on response time adds tasks again and again up to the
// maximum, and is then held at max while latency keeps rising.
func TestExperiment3(t *testing.T) {
	sc, err := scenarios.Parse("response-time-scaling.yaml", []byte(responseTimeScaling))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(*sc.Autoscaling, t0)
	if err != nil {
		t.Fatal(err)
	}
	slower := func(sec, desired int) (Sample, bool) {
		rt := 200*time.Millisecond + time.Duration(sec)*25*time.Millisecond
		return Sample{
			CPUPct: 5, Running: desired, Desired: desired, HealthyTargets: desired,
			Requests: 5, ResponseTimeSum: 5 * rt, Responses: 5,
		}, true
	}
	ticks := drive(t, s, sc.Service.Count, times(18, slower)) // 3 minutes
	got := summary(ticks)
	// Period k averages seconds 10k-9..10k: 200 + 25 x (10k - 4.5) ms,
	// above 2000 from p8 on.
	want := []string{
		"p10 response_time-target-tracking out 1->2", // ceil(1 x 2587.5 / 2000)
		"p11 response_time-target-tracking held(cooldown) out 2->2",
		"p12 response_time-target-tracking held(cooldown) out 2->2",
		"p13 response_time-target-tracking out 2->4", // ceil(2 x 3337.5 / 2000)
		"p14 response_time-target-tracking held(cooldown) out 4->4",
		"p15 response_time-target-tracking held(cooldown) out 4->4",
		"p16 response_time-target-tracking out 4->5",           // ceil(4 x 4087.5 / 2000) = 9, capped
		"p17 response_time-target-tracking held(max) out 5->9", // ceil(4 x 4337.5 / 2000): in the cooldown, from its base
		"p18 response_time-target-tracking held(max) out 5->10",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	var outs, maxDesired int
	for _, tk := range ticks {
		d := tk.d
		if d.Held {
			continue
		}
		outs++
		maxDesired = max(maxDesired, d.To)
		if len(d.Datapoints) != 3 || d.Target != 2000 || d.Formula == "" {
			t.Errorf("decision without its numbers: %+v", d)
		}
	}
	if outs < 3 || maxDesired != 5 {
		t.Errorf("%d scale-outs up to %d, want at least 3 up to 5", outs, maxDesired)
	}
	if f := ticks[0].d.Formula; f != "ceil(1 x 2587.5 / 2000) = 2" {
		t.Errorf("first formula %q", f)
	}
}
