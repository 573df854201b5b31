package ecs

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
)

// The estimate prices each entry's tasks for its load and overhead at its
// size and platform, the ALB by the started hour with its LCUs, the
// public addresses and the alarms; its total is the sum of its items.
func TestEstimate(t *testing.T) {
	prices := report.DefaultPrices()
	sc := builtin(t, "cpu-vertical")
	set := *fullSettings
	set.AssignPublicIP = nil
	est := mustPlan(t, sc, &set).Estimate(prices)
	hours := (sc.LoadDuration() + entryOverhead).Hours()
	sum := 0.0
	byItem := map[string]float64{}
	for _, it := range est.Items {
		sum += it.Amount
		byItem[strings.Fields(it.Item)[0]] += it.Amount
		if it.Item == "ALB" {
			byItem["ALB-hours"] = it.Quantity
		}
	}
	if math.Abs(sum-est.Total) > 1e-6 || est.Total <= 0 {
		t.Errorf("total %g, items sum to %g", est.Total, sum)
	}
	want := hours * (prices.TaskHour(scenarios.Size{CPU: 256, Memory: 512}) + prices.TaskHour(scenarios.Size{CPU: 512, Memory: 1024}) + prices.TaskHour(scenarios.Size{CPU: 1024, Memory: 2048}))
	if math.Abs(byItem["Fargate"]-want) > 1e-6 {
		t.Errorf("Fargate %g, want %g (one task per entry for %.3f h)", byItem["Fargate"], want, hours)
	}
	if byItem["ALB-hours"] != math.Ceil(3*hours+teardownTime.Hours()) {
		t.Errorf("ALB %g hours: billed by the started hour", byItem["ALB-hours"])
	}
	var out bytes.Buffer
	if err := PrintEstimate(&out, est); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"total", "task-hours", "LCU-hours", "address-hours", "assumed: tasks get public addresses"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("printed estimate lacks %q:\n%s", w, out.String())
		}
	}

	// Graviton: the tasks cost about 20% less.
	set.RuntimePlatform = scenarios.ARM64
	arm := mustPlan(t, sc, &set).Estimate(prices)
	if r := arm.Items[0].Amount / est.Items[0].Amount; math.Abs(r-0.8) > 0.01 {
		t.Errorf("ARM64 / x86 for the first entry = %.3f, want about 0.8", r)
	}

	// Autoscaling: priced at its maximum, with its alarms.
	tt := mustPlan(t, builtin(t, "cpu-target-tracking"), fullSettings)
	if got := tt.cost.maxTasks[0]; got != builtin(t, "cpu-target-tracking").Autoscaling.Max {
		t.Errorf("tasks priced %d, want autoscaling.max", got)
	}
	if tt.cost.alarms != 2 || tt.cost.taskIPs == nil {
		t.Errorf("alarms %d (want 2 for target tracking), task addresses %v (stated)", tt.cost.alarms, tt.cost.taskIPs)
	}
	if h := mustPlan(t, sc, fullSettings).EstimateHour(prices); !strings.Contains(h.Assumptions[0], "one hour") || h.Total <= 0 {
		t.Errorf("an hour up: %+v", h)
	}
}
