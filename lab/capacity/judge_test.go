package capacity

import (
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

func thresholds(t *testing.T, exprs ...string) []scenarios.Threshold {
	t.Helper()
	var out []scenarios.Threshold
	for _, e := range exprs {
		th, err := scenarios.ParseThreshold(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, th)
	}
	return out
}

// steady is n seconds with the given per-second median latency (ms) and
// CPU, rate responses each.
func steady(rate int, cpu float64, p50 ...float64) []Second {
	var out []Second
	for _, l := range p50 {
		out = append(out, Second{
			Load:   load.Window{OK: rate, Errors: map[string]int{}, Latency: load.Percentiles{P50: l, P90: l * 1.2, P95: l * 1.3, P99: l * 1.5, Max: l * 2, Count: int64(rate)}},
			CPUPct: cpu, MemPct: 10,
		})
	}
	return out
}

func totals(requests, errs int64, p50, p99 float64) load.Totals {
	e := map[string]int64{}
	if errs > 0 {
		e["503"] = errs
	}
	return load.Totals{Sent: requests, Requests: requests, OK: requests - errs, Errors: e,
		Latency: load.Percentiles{P50: p50, P99: p99, Max: p99, Count: requests}}
}

func TestJudge(t *testing.T) {
	slo := thresholds(t, "p99 < 1s", "error_rate < 1%")
	flat := []float64{320, 330, 310, 340, 320, 330, 325, 315, 335}
	rise := []float64{320, 400, 480, 560, 640, 720, 800, 880, 960}
	tests := []struct {
		name   string
		m      Measurement
		held   bool
		reason search.Reason
		broke  string // a part of the words
	}{
		{"holds", Measurement{Totals: totals(100, 0, 320, 700), Seconds: steady(3, 90, flat...)}, true, "", ""},
		{"p99 over, CPU saturated", Measurement{Totals: totals(100, 0, 320, 1400), Seconds: steady(3, 99, flat...)}, false, search.ReasonCPU, "p99 1.40s against p99 < 1s, CPU at 99%"},
		{"p99 over, CPU to spare", Measurement{Totals: totals(100, 0, 320, 1400), Seconds: steady(3, 40, flat...)}, false, search.ReasonLatency, "p99 1.40s against p99 < 1s"},
		{"errors first", Measurement{Totals: totals(100, 5, 320, 1400), Seconds: steady(3, 99, flat...)}, false, search.ReasonErrors, "error_rate 5% against error_rate < 1%"},
		{"latency rising under the bound", Measurement{Totals: totals(100, 0, 600, 990), Seconds: steady(3, 99, rise...)}, false, search.ReasonCPU, "kept rising"},
		{"too few seconds for a trend", Measurement{Totals: totals(100, 0, 400, 900), Seconds: steady(3, 99, rise[:5]...)}, true, "", ""},
		{"killed for memory", Measurement{Totals: totals(100, 0, 320, 700), Seconds: steady(3, 30, flat...),
			Stops: []string{"OutOfMemoryError: Container killed due to memory usage"}}, false, search.ReasonOOM, "killed for memory"},
		{"crashed", Measurement{Totals: totals(100, 0, 320, 700), Seconds: steady(3, 30, flat...),
			Stops: []string{"Essential container in task exited"}}, false, search.ReasonErrors, "a task stopped"},
		{"nothing completed", Measurement{Seconds: steady(3, 100, flat...)}, false, search.ReasonCPU, "no request completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.Rate, tt.m.Steady = 3, 30*time.Second
			v := Judge(slo, tt.m)
			if v.Held != tt.held || v.Reason != tt.reason || !strings.Contains(v.Broke, tt.broke) {
				t.Errorf("held %v reason %q broke %q; want %v %q containing %q", v.Held, v.Reason, v.Broke, tt.held, tt.reason, tt.broke)
			}
		})
	}
}

func TestDecided(t *testing.T) {
	slo := thresholds(t, "p99 < 1s", "error_rate < 1%")
	// 100 requests expected at 10 req/s: p99 < 1s breaks with 2 over.
	fast := steady(10, 50, 100, 100, 100)
	slowSecond := steady(10, 50, 100)
	slowSecond[0].Load.Latency.Max = 1500 // one response over the bound: not yet decided
	if why, ok := Decided(slo, 100, append(fast, slowSecond...)); ok {
		t.Errorf("decided after one slow response: %s", why)
	}
	twoSlow := append(append(fast, slowSecond...), slowSecond...)
	if _, ok := Decided(slo, 100, twoSlow); !ok {
		t.Error("two responses over 1s of at most 100 requests: p99 cannot hold, not decided")
	}
	halfSlow := steady(10, 99, 1200)
	if why, ok := Decided(slo, 100, halfSlow); !ok || !strings.Contains(why, "p99 < 1s") {
		t.Errorf("a second whose median is over 1s: %q %v", why, ok)
	}
	errs := steady(10, 50, 100)
	errs[0].Load.Errors = map[string]int{"502": 2}
	if why, ok := Decided(slo, 100, errs); !ok || !strings.Contains(why, "error_rate") {
		t.Errorf("2 errors of at most 100 requests against error_rate < 1%%: %q %v", why, ok)
	}
	if _, ok := Decided(slo, 1000, errs); ok {
		t.Error("2 errors of at most 1000: error_rate < 1% can still hold")
	}
	// A bound that is not an upper one is not decided early.
	if _, ok := Decided(thresholds(t, "p50 > 10ms"), 100, halfSlow); ok {
		t.Error("decided a lower bound")
	}
}

func TestPlanFleet(t *testing.T) {
	x86 := func(s scenarios.Size) float64 { return s.VCPU()*0.04048 + float64(s.Memory)/1024*0.004445 }
	arm := func(s scenarios.Size) float64 { return s.VCPU()*0.03238 + float64(s.Memory)/1024*0.00356 }
	sizes := []SizeResult{
		{Label: "256/512", CPU: 256, Memory: 512, SustainableRPS: 0, Broke: "a task was killed for memory"},
		{Label: "512/1024", CPU: 512, Memory: 1024, SustainableRPS: 6.2},
		{Label: "1024/2048", CPU: 1024, Memory: 2048, SustainableRPS: 12.5},
	}
	f := PlanFleet(sizes, 20, 0.3, Prices{X86: x86, ARM64: arm}, "p99 < 1s")
	if f.Choice == nil {
		t.Fatal("no choice")
	}
	// 20 / (0.7 x 6.2) = 4.6 -> 5 tasks of 512/1024 ($0.024685/h each);
	// 20 / (0.7 x 12.5) = 2.3 -> 3 tasks of 1024/2048 ($0.04937/h).
	if c := f.Choice; c.Label != "512/1024" || c.Count != 5 || c.USDPerHour != 0.1234 || c.USDPerMonth != 90.1 {
		t.Errorf("choice %+v, want 5 x 512/1024 at $0.1234/h, $90.10/month", *c)
	}
	if len(f.Alternatives) != 2 || f.Alternatives[0].Count != 3 || f.Alternatives[1].Count != 0 {
		t.Errorf("alternatives %+v", f.Alternatives)
	}
	want := "5 x 512/1024 at $0.1234/h ($90.10/month) for 20 req/s; 3 x 1024/2048 costs 20% more, 256/512 cannot meet p99 < 1s at any rate."
	if f.Sentence != want {
		t.Errorf("sentence\n%s\nwant\n%s", f.Sentence, want)
	}
	if f.Choice.ARM64PerHour == nil || *f.Choice.ARM64PerHour >= f.Choice.USDPerHour {
		t.Errorf("ARM64 per hour %v, want a price below x86's", f.Choice.ARM64PerHour)
	}

	none := PlanFleet(sizes[:1], 20, 0.3, Prices{X86: x86}, "p99 < 1s")
	if none.Choice != nil || !strings.HasPrefix(none.Sentence, "No size meets p99 < 1s") {
		t.Errorf("no size sustains: choice %v, sentence %q", none.Choice, none.Sentence)
	}
}

func TestPrice(t *testing.T) {
	s := SizeResult{CPU: 256, Memory: 512, SustainableRPS: 3.125}
	Price(&s, 0.3, Prices{X86: func(scenarios.Size) float64 { return 0.01234 }})
	// $0.01234/h at 0.7 x 3.125 req/s = 7875 requests an hour.
	if s.CostPerMillion.X86 == nil || *s.CostPerMillion.X86 != 1.567 || s.CostPerMillion.ARM64 != nil {
		t.Errorf("cost per million %+v, want x86 $1.567 and no ARM64", s.CostPerMillion)
	}
	s.SustainableRPS = 0
	Price(&s, 0.3, Prices{X86: func(scenarios.Size) float64 { return 0.01234 }})
	if s.CostPerMillion.X86 != nil {
		t.Error("a size that sustained nothing has a cost per million")
	}
}
