package ecs

import (
	"math"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/report"
)

// usage is what a run on ECS used, measured while it ran: what Cost
// prices after it.
type usage struct {
	taskHours  float64 // running tasks x time between polls
	taskAmount float64 // those hours at each task's size and platform
	// generatorHours are the generator tasks' (load.from: ecs), from
	// RunTask to StopTask.
	generatorHours float64
	lastPoll       time.Time
	metrics        int       // metrics asked of CloudWatch
	ended          time.Time // when Close finished
}

var _ lab.Coster = (*Target)(nil)

// account adds the tasks seen running since the last poll.
func (t *Target) account(tasks []lab.TaskStat, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := &t.used
	if !u.lastPoll.IsZero() {
		h := now.Sub(u.lastPoll).Hours()
		for _, tk := range tasks {
			u.taskHours += h
			u.taskAmount += h * t.Prices.TaskHourOn(tk.Size, t.plan.Platform)
		}
	}
	u.lastPoll = now
}

// Cost is the run's estimate (the plan's, with Prices) and what it used,
// priced alike: the task-hours seen by the polls, the ALB's hours from
// the first apply to the end of Close and its LCUs at the peak achieved
// rate, public addresses, alarms and metric requests.
func (t *Target) Cost(s lab.Summary) *lab.CostReport {
	t.mu.Lock()
	u, began := t.used, t.began
	t.mu.Unlock()
	rep := &lab.CostReport{Estimate: t.plan.Estimate(t.Prices)}
	if began.IsZero() {
		return rep // nothing was created
	}
	end := u.ended
	if end.IsZero() {
		end = time.Now()
	}
	p, in := t.Prices, t.plan.cost
	act := lab.CostEstimate{Currency: p.Currency, Prices: p.String()}
	act.Add("Fargate tasks ("+t.plan.Platform+"), as the polls saw them", u.taskHours, "task-hours", u.taskAmount)
	if u.generatorHours > 0 {
		act.Add("Fargate load generators "+GeneratorSize.String()+", from RunTask to StopTask", u.generatorHours, "task-hours", u.generatorHours*p.TaskHourOn(GeneratorSize, t.plan.Platform))
	}
	hours := end.Sub(began).Hours()
	if in.ownALB {
		albHours := math.Ceil(hours)
		act.Add("ALB", albHours, "ALB-hours", albHours*p.ALBHour)
		peak := 0.0
		for _, e := range s.Entries {
			peak = math.Max(peak, e.AchievedRPS)
		}
		lcu := math.Max(peak/25, peak*bytesPerRequest*3600/1e9) * albHours
		act.Add("ALB capacity at the peak achieved rate", lcu, "LCU-hours", lcu*p.ALBLCUHour)
		if in.albIPs > 0 {
			act.Add("ALB public IPv4 addresses", float64(in.albIPs)*hours, "address-hours", float64(in.albIPs)*hours*p.PublicIPv4Hour)
		}
	}
	if t.ap.outputOf("DescribeRouteTables", "AssignPublicIp") == "ENABLED" || in.taskIPs != nil && *in.taskIPs {
		act.Add("tasks' public IPv4 addresses", u.taskHours, "address-hours", u.taskHours*p.PublicIPv4Hour)
	}
	if in.alarms > 0 {
		act.Add("CloudWatch alarms", float64(in.alarms)*hours, "alarm-hours", float64(in.alarms)*hours*p.AlarmMonth/report.HoursPerMonth)
	}
	act.Add("CloudWatch GetMetricData", float64(u.metrics), "metrics", float64(u.metrics)/1000*p.MetricsPerThousand)
	rep.Actual = &act
	return rep
}
