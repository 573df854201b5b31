package ecs

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
)

// What a run on ECS costs: an estimate from the plan before anything
// billable exists, and what the run used, priced the same way, after.

// entryOverhead is the time an entry's tasks run besides its load: the
// deployment (Fargate provisioning, the image pull, the health checks),
// the readiness wait and the drain of the tasks it replaces.
const entryOverhead = 4 * time.Minute

// generatorOverhead is the time a generator task is billed besides the
// load: Fargate's provisioning and the image pull before the common
// start, and the stop after.
const generatorOverhead = 2 * time.Minute

// teardownTime is how long the ALB lives after the last entry: the
// service drains before the ALB and target group can go.
const teardownTime = 5 * time.Minute

// bytesPerRequest is the request and response size the estimate assumes
// for the ALB's processed bytes (the built-in app's answers are smaller).
const bytesPerRequest = 2048

// costInputs are what the estimate needs of the scenario, gathered when
// the plan is made.
type costInputs struct {
	load       time.Duration    // one entry's load phases
	peakRate   float64          // requests per second at the load's peak
	maxTasks   []int            // per entry: the most tasks it can run
	alarms     int              // CloudWatch alarms (2 per target tracking policy, 1 per step scaling)
	ownALB     bool             // lab creates the ALB (and pays for it)
	albIPs     int              // public IPv4 addresses of an internet-facing ALB: one per subnet
	taskIPs    *bool            // tasks get public addresses: stated, or nil when derived at apply
	sizes      []scenarios.Size // per entry
	rateKnown  bool             // false when a closed phase has no worker_rate (the rate is assumed)
	generators int              // generator tasks per entry (load.from: ecs), else 0
}

// Estimate prices a run of the plan with prices: Fargate task-hours per
// entry at its size and most tasks, the ALB's hours and LCUs at the
// load's peak rate, public IPv4 addresses, CloudWatch alarms and metric
// requests. Assumptions says what it guesses.
func (p *Plan) Estimate(prices report.PriceTable) lab.CostEstimate {
	return p.estimate(prices, p.cost)
}

// EstimateHour prices an hour of the plan's service standing with no load
// but its own: what `lab ecs up` leaves running until `lab ecs down`.
func (p *Plan) EstimateHour(prices report.PriceTable) lab.CostEstimate {
	in := p.cost
	in.load, in.peakRate, in.generators = time.Hour-entryOverhead, 0, 0
	est := p.estimate(prices, in)
	est.Assumptions = append([]string{"one hour of the service up, without load: it stays until `lab ecs down`"}, est.Assumptions...)
	return est
}

func (p *Plan) estimate(prices report.PriceTable, in costInputs) lab.CostEstimate {
	est := lab.CostEstimate{Currency: prices.Currency, Prices: prices.String()}
	entryHours := (in.load + entryOverhead).Hours()
	taskHours := 0.0
	for i, e := range p.Entries {
		tasks := float64(in.maxTasks[i])
		hours := tasks * entryHours
		taskHours += hours
		est.Add(fmt.Sprintf("Fargate %s (%s), entry %d", e.Label, p.Platform, e.Index+1), hours, "task-hours", hours*prices.TaskHourOn(in.sizes[i], p.Platform))
	}
	est.Assumptions = append(est.Assumptions, fmt.Sprintf("each entry's tasks run its %s of load plus %s of deployment, readiness and drain, at the most tasks it can have", in.load, entryOverhead))
	if in.generators > 0 {
		hours := float64(in.generators*len(p.Entries)) * (in.load + generatorOverhead).Hours()
		taskHours += hours
		est.Add(fmt.Sprintf("Fargate %d load generators %s (%s), per entry", in.generators, GeneratorSize, p.Platform), hours, "task-hours", hours*prices.TaskHourOn(GeneratorSize, p.Platform))
		est.Assumptions = append(est.Assumptions, fmt.Sprintf("each generator task runs its entry's %s of load plus %s to start and stop", in.load, generatorOverhead))
	}
	runHours := float64(len(p.Entries))*entryHours + teardownTime.Hours()
	if in.ownALB {
		albHours := math.Ceil(runHours) // per ALB-hour or partial hour
		est.Add("ALB", albHours, "ALB-hours", albHours*prices.ALBHour)
		lcu := math.Max(in.peakRate/25, in.peakRate*bytesPerRequest*3600/1e9)
		est.Add(fmt.Sprintf("ALB capacity at %.3g req/s", in.peakRate), lcu*albHours, "LCU-hours", lcu*albHours*prices.ALBLCUHour)
		est.Assumptions = append(est.Assumptions, fmt.Sprintf("LCUs as if every request opened a connection (25 a second make one LCU) or moved %d bytes, whichever is more", bytesPerRequest))
		if in.albIPs > 0 {
			h := float64(in.albIPs) * runHours
			est.Add("ALB public IPv4 addresses", h, "address-hours", h*prices.PublicIPv4Hour)
		}
	}
	if in.taskIPs == nil || *in.taskIPs {
		est.Add("tasks' public IPv4 addresses", taskHours, "address-hours", taskHours*prices.PublicIPv4Hour)
		if in.taskIPs == nil {
			est.Assumptions = append(est.Assumptions, "tasks get public addresses (assign_public_ip is decided from the subnets' routes at apply; private subnets need none)")
		}
	}
	if in.alarms > 0 {
		h := float64(in.alarms) * runHours
		est.Add("CloudWatch alarms", h, "alarm-hours", h*prices.AlarmMonth/report.HoursPerMonth)
	}
	metrics := runHours * 60 * 2 // two metrics a minute
	est.Add("CloudWatch GetMetricData", metrics, "metrics", metrics/1000*prices.MetricsPerThousand)
	if !in.rateKnown {
		est.Assumptions = append(est.Assumptions, "closed-model phases without worker_rate send 20 requests a second per worker at most")
	}
	if prices.ALBHour == 0 || prices.ARM64VCPUHour == 0 && p.Platform == scenarios.ARM64 {
		est.Assumptions = append(est.Assumptions, "the price table lacks some of these prices: they count as 0")
	}
	est.Assumptions = append(est.Assumptions, "not counted: data transfer, CloudWatch Logs ingestion, the image in ECR")
	return est
}

// costInputsOf gathers what the estimate needs from the scenario.
func costInputsOf(sc *scenarios.Scenario, entries []scenarios.Entry, set scenarios.ECS, albSubnets int) costInputs {
	in := costInputs{load: sc.LoadDuration(), rateKnown: true, ownALB: set.TargetGroupARN == "", taskIPs: set.AssignPublicIP}
	if sc.Load.FromECS() {
		in.generators = sc.Load.GeneratorCount()
	}
	for _, ph := range sc.Load.Phases {
		rate := max(ph.Rate, ph.RampTo)
		if ph.Closed() {
			rate = float64(ph.Workers) * ph.WorkerRate
			if ph.WorkerRate == 0 {
				rate, in.rateKnown = float64(ph.Workers)*20, false
			}
		}
		in.peakRate = max(in.peakRate, rate)
	}
	most := 0
	for _, a := range sc.Actions {
		most = max(most, a.Scale)
	}
	if sc.Autoscaling != nil {
		most = max(most, sc.Autoscaling.Max)
		for _, pol := range sc.Autoscaling.Policies {
			in.alarms += map[bool]int{true: 2, false: 1}[pol.TargetTracking != nil]
		}
	}
	for _, e := range entries {
		in.maxTasks = append(in.maxTasks, max(e.Count, most))
		in.sizes = append(in.sizes, e.Size)
	}
	if in.ownALB && !set.Internal {
		in.albIPs = albSubnets
	}
	return in
}

// PrintEstimate writes the estimate for people: one line per item, the
// total, and what it assumes.
func PrintEstimate(w io.Writer, est lab.CostEstimate) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, it := range est.Items {
		fmt.Fprintf(tw, "  %s\t%.4g %s\t%s %.4f\t\n", it.Item, it.Quantity, it.Unit, est.Currency, it.Amount)
	}
	fmt.Fprintf(tw, "  total\t\t%s %.2f\t\n", est.Currency, est.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  (%s)\n", est.Prices)
	for _, a := range est.Assumptions {
		fmt.Fprintf(w, "  assumed: %s\n", a)
	}
	return nil
}
