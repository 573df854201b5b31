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
	if r.sc.Autoscaling == nil || r.target.Name() != "local" {
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
		r.emit(Event{Time: now, Type: d.EventType(), Fields: d.Fields()})
		if d.Held {
			continue
		}
		if err := r.target.Scale(ctx, d.To); err != nil {
			r.emit(NewEvent(EventActionFailed, "name", "scale", "error", err.Error()))
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
