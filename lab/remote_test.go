package lab

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// farTarget is a target a round trip away, with utilization from its own
// metrics, which had no datapoint for the entry.
type farTarget struct {
	*fakeTarget
	rtt         time.Duration
	from, to    time.Time
	utilization Utilization
}

func (f *farTarget) ProbeRTT(context.Context) (time.Duration, error) { return f.rtt, nil }

func (f *farTarget) EntryUtilization(_ context.Context, from, to time.Time) (cpu, mem Utilization, err error) {
	f.from, f.to = from, to
	return f.utilization, f.utilization, nil
}

// The round trip to a far endpoint is reported beside the latencies and,
// asked to, latency thresholds are judged net of it; utilization comes
// from the target's own metrics for the entry's load, and without a
// datapoint its thresholds fail as "no data" instead of passing on 0.
func TestRunFarTargetRTTAndUtilization(t *testing.T) {
	sc := testScenario(t, `
name: t
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 1s, rate: 10}]}
thresholds: ["p99 < 40ms", "cpu_avg < 50"]
`)
	slow := func(w http.ResponseWriter, r *http.Request) { time.Sleep(45 * time.Millisecond) }
	for _, net := range []bool{false, true} {
		target := &farTarget{fakeTarget: newFakeTarget(t, slow), rtt: 30 * time.Millisecond, utilization: Utilization{NoData: true, Source: "cloudwatch"}}
		started := time.Now()
		s, err := Run(context.Background(), sc, target, Options{ID: "test", Tick: 100 * time.Millisecond, NetOfRTT: net})
		if err != nil {
			t.Fatal(err)
		}
		e := s.Entries[0]
		if e.RTTMS != 30 || e.NetOfRTT != net {
			t.Errorf("net %v: rtt %v ms, net_of_rtt %v", net, e.RTTMS, e.NetOfRTT)
		}
		if p99 := e.LatencyMS.P99; p99 < 45 {
			t.Errorf("p99 %v ms: the reported latencies include the round trip", p99)
		}
		if e.Thresholds[0].OK != net {
			t.Errorf("net %v: p99 < 40ms judged %v (p99 %v, rtt 30)", net, e.Thresholds[0].OK, e.LatencyMS.P99)
		}
		if e.Thresholds[1].OK || !e.CPUUtilization.NoData {
			t.Errorf("cpu_avg < 50 passed without a datapoint: %+v", e.CPUUtilization)
		}
		if target.from.Before(started) || target.to.Sub(target.from) < time.Second {
			t.Errorf("utilization asked for %v..%v, want the entry's load", target.from, target.to)
		}
	}
}
