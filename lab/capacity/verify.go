package capacity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity/search"
	"github.com/ecslab/lab/scenarios"
)

// GeneratorCPUs is the share of the host's cores kept for lab itself
// (load generator, balancer) when deciding whether a fleet can run here.
const GeneratorCPUs = 0.5

// verifyDeploy is the time set aside to start a fleet's tasks.
const verifyDeploy = 15 * time.Second

// verifyReserve is the time kept out of the search for the fleet's run
// at the peak.
func verifyReserve(o Options) time.Duration {
	r := &runner{o: o}
	return verifyDeploy + r.planAt(o.Peak, false).length() + o.Cooldown
}

// verify runs the chosen fleet at the peak when the host has the cores
// for it, and says whether it held; otherwise it says why the fleet is a
// projection from one task.
func (r *runner) verify(ctx context.Context, f *Fleet) error {
	c := f.Choice
	if c == nil {
		f.Why = "no size held the SLO at any rate: there is no fleet to run"
		return nil
	}
	// The tasks take their quotas here: their vCPU, scaled by the
	// calibration when there is one.
	tasks, take := float64(c.Count)*float64(c.CPU)/1024, "vCPU"
	if cal := r.o.Calibration; cal != nil && cal.Factor > 0 {
		tasks = math.Round(tasks*cal.Factor*100) / 100
		take = fmt.Sprintf("cores here (their vCPU x %.3f, calibrated)", cal.Factor)
	}
	need := tasks + GeneratorCPUs
	switch {
	case r.o.HostCPUs <= 0:
		f.Why = "a projection from one task: verification was not asked for"
		return nil
	case need > r.o.HostCPUs:
		f.Why = fmt.Sprintf("a projection from one task: %d x %s take %g %s, and lab's load generator and balancer about %g more, "+
			"but this host has %g cores; the host's cores, not the method, keep lab from running the fleet here",
			c.Count, c.Label, tasks, take, GeneratorCPUs, r.o.HostCPUs)
		return nil
	}
	var env map[string]string
	for _, s := range r.o.Sizes {
		if s.Label == c.Label {
			env = s.Env
		}
	}
	e := scenarios.Entry{Index: len(r.o.Sizes), Label: fmt.Sprintf("fleet %d x %s", c.Count, c.Label),
		Size: scenarios.Size{CPU: c.CPU, Memory: c.Memory}, Count: c.Count, Env: env}
	r.beginSize(e.Index)
	r.emit(lab.Event{Data: lab.EntryStarted{Label: e.Label, Count: e.Count}})
	if err := r.target.Deploy(ctx, e, r.emit); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("fleet: %w", ErrInterrupted)
		}
		return fmt.Errorf("fleet %s: deploy: %w", e.Label, err)
	}
	st := search.Step{N: 1, Rate: f.PeakRPS, Kind: "verify", Why: fmt.Sprintf("the chosen fleet, %s, at the peak", e.Label)}
	run, err := r.step(ctx, st, r.planAt(f.PeakRPS, false), search.Result{})
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
	defer cancel()
	terr := r.target.Teardown(tctx)
	if err != nil {
		return fmt.Errorf("fleet %s: %w", e.Label, err)
	}
	es := entryAt(e, nil, run, r.o.SLO)
	es.Passed = run.verdict.Held
	es.Tasks = r.sizeTasks()
	r.sums = append(r.sums, es)
	r.emit(lab.Event{Data: lab.EntryDone{Label: e.Label, Passed: es.Passed}})
	r.publish(func(ob lab.Observer) { ob.EntryDone(es) })

	f.Verified = run.verdict.Held
	f.Verification = &Verification{Rate: f.PeakRPS, Tasks: c.Count, Held: run.verdict.Held, Broke: run.verdict.Broke, Record: run.record}
	if f.Verified {
		f.Why = fmt.Sprintf("verified: %d x %s served %s req/s here and held %s (p99 %s, %d requests)",
			c.Count, c.Label, rateText(f.PeakRPS), sloText(r.o.SLO), fmtMS(run.record.P99MS), run.record.Requests)
	} else {
		f.Why = fmt.Sprintf("not verified: %d x %s at %s req/s here broke the SLO: %s",
			c.Count, c.Label, rateText(f.PeakRPS), run.verdict.Broke)
	}
	if terr != nil {
		return fmt.Errorf("fleet %s: teardown: %w", e.Label, terr)
	}
	return nil
}
