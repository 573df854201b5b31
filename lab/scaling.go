package lab

import (
	"context"
	"time"

	"github.com/ecslab/lab/lab/autoscale"
)

// On the local target lab runs Application Auto Scaling itself, from the
// per-second observations. On ECS, AWS does and lab only observes.

// newScaler returns the entry's autoscaler, or nil when the scenario has
// none or the target scales by itself.
func (r *runner) newScaler(start time.Time) (*autoscale.Scaler, error) {
	if r.sc.Autoscaling == nil || r.selfScaling {
		return nil, nil
	}
	return autoscale.New(*r.sc.Autoscaling, start)
}

// autoscale feeds one second to the autoscaler, logs each decision with
// its numbers, and applies those that were not held.
func (r *runner) autoscale(ctx context.Context, s *autoscale.Scaler, now time.Time, prev, obs Observation, sum *Scaling) {
	sample := autoscale.Sample{
		Time:            now,
		CPUPct:          obs.CPUPct,
		MemPct:          obs.MemPct,
		Requests:        obs.Requests - prev.Requests,
		HealthyTargets:  obs.Healthy,
		ResponseTimeSum: obs.ResponseTime - prev.ResponseTime,
		Responses:       obs.Responses - prev.Responses,
		Running:         obs.Running,
		Desired:         obs.Desired,
	}
	for _, d := range s.Observe(sample) {
		r.emit(Event{Time: now, Data: scalingEvent(d)})
		if d.Held {
			continue
		}
		if err := r.target.Scale(ctx, d.To); err != nil {
			r.emit(Event{Data: ActionFailed{Name: "scale", Error: err.Error()}})
			continue
		}
		if d.Direction == autoscale.Out {
			sum.ScaleOuts++
		} else {
			sum.ScaleIns++
		}
		sum.Decisions++
	}
}

// scalingEvent is the event of an autoscaler's decision: scaling_decision,
// or scaling_held with its reason. Numbers are rounded to 3 decimals.
func scalingEvent(d autoscale.Decision) EventData {
	dp := make([]float64, len(d.Datapoints))
	for i, v := range d.Datapoints {
		dp[i] = round(v, 3)
	}
	sd := ScalingDecision{
		Direction: Direction(d.Direction),
		From:      d.From,
		To:        d.To,
		Policy:    d.Policy,
		Metric:    d.Metric,
		Evaluation: &Evaluation{
			Unit:       autoscale.Unit(d.Metric),
			Datapoints: dp,
			Target:     round(d.Target, 3),
		},
		Formula: d.Formula,
		Note:    d.Note,
	}
	if d.Held {
		return ScalingHeld{ScalingDecision: sd, Reason: d.Reason}
	}
	return sd
}
