package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/client"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/local/taskrole"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
)

// The targets lab run sets up: local (Docker) and ecs.

// localOptions are what a local run's target needs beyond the scenario.
type localOptions struct {
	calibration *lab.Calibration  // when set, scales the tasks' CPU quota
	secrets     map[string]string // the values of the scenario's secrets
	taskRole    *taskrole.Source  // the tasks' role credentials; nil: none
}

// newLocalTarget connects to Docker, says which daemon it is and what
// lab will do about it, takes the run's lock (so that `lab gc` leaves the
// run alone), and packages or finds the workload image. release gives
// back the lock and the Docker connection.
func newLocalTarget(ctx context.Context, sc *scenarios.Scenario, runID string, stderr io.Writer, o localOptions) (lab.Target, func(), error) {
	network, err := local.NetworkPathFromEnv()
	if err != nil {
		return nil, nil, usageError{err}
	}
	cli, daemon, err := connectLocal(ctx, sc, network, stderr)
	if err != nil {
		return nil, nil, err
	}
	if dead, err := local.DeadRuns(ctx, cli); err == nil && len(dead) > 0 {
		fmt.Fprintf(stderr, "lab: warning: %d earlier run(s) left containers behind (%v); `lab gc` removes them\n", len(dead), dead)
	}
	lock, err := local.LockRun(runID)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	release := func() { lock.Release(); cli.Close() }
	// The scenario's own image, or the built-in app's (also what holds a
	// task definition's tasks); Port is the built-in app's for the latter.
	image, err := workload.PrepareImage(ctx, cli, sc.Workload.Image, &prefixWriter{w: stderr, prefix: "lab: "})
	if err != nil {
		release()
		return nil, nil, err
	}
	cfg := local.Config{RunID: runID, Scenario: sc, Image: image, Port: sc.Workload.Port, Network: network, Daemon: daemon, Secrets: o.secrets}
	if sc.Load.GeneratorCount() > 1 {
		// Generators run lab's own image, whatever the service runs.
		cfg.GeneratorImage = image
		if sc.Workload.Image != "" {
			cfg.GeneratorImage, err = workload.PrepareImage(ctx, cli, "", &prefixWriter{w: stderr, prefix: "lab: "})
		}
		if err != nil {
			release()
			return nil, nil, err
		}
	}
	if o.calibration != nil {
		cfg.CPUScale = o.calibration.Factor
	}
	if sc.Workload.TaskDefinition != "" {
		if err := withTaskDefinition(ctx, cli, &cfg, daemon, stderr); err != nil {
			release()
			return nil, nil, err
		}
	}
	if o.taskRole != nil {
		cfg.TaskRole = o.taskRole
	}
	target, err := local.New(ctx, cli, cfg)
	if err != nil {
		release()
		return nil, nil, err
	}
	return target, release, nil
}

// connectLocal connects to the daemon lab finds, refuses one on another
// machine, and prints which daemon it is, how lab reaches tasks, and
// what a person must know: an arm64 daemon is not Fargate's x86_64, a
// scenario that may want more memory than Docker has.
func connectLocal(ctx context.Context, sc *scenarios.Scenario, network local.NetworkPath, stderr io.Writer) (*client.Client, local.Daemon, error) {
	ep, err := dockerhost.Resolve()
	if err != nil {
		return nil, local.Daemon{}, fmt.Errorf("find Docker: %w", err)
	}
	if !ep.Local() {
		return nil, local.Daemon{}, fmt.Errorf("Docker at %s is on another machine: lab reaches its tasks on ports published on this machine's 127.0.0.1, so it needs a local daemon (`lab doctor` says more)", ep)
	}
	cli, err := local.ConnectTo(ctx, ep)
	if err != nil {
		return nil, local.Daemon{}, err
	}
	daemon, err := local.InspectDaemon(ctx, cli, ep)
	if err != nil {
		cli.Close()
		return nil, local.Daemon{}, err
	}
	fmt.Fprintf(stderr, "lab: %s; %s\n", daemon, network.Describe())
	if note := daemon.PlatformNote(); note != "" {
		fmt.Fprintf(stderr, "lab: note: %s\n", note)
	}
	if warning := daemon.MemoryWarning(sc); warning != "" {
		fmt.Fprintf(stderr, "lab: warning: %s\n", warning)
	}
	return cli, daemon, nil
}

// ecsCloseTimeout bounds the removal at the end of an ECS run: the
// service drains (the target group's deregistration delay) before its
// load balancer and target group can go.
const ecsCloseTimeout = 15 * time.Minute

// newECSTarget connects to AWS and prepares the scenario's plan as a
// target; the run applies it entry by entry and removes it all at the end.
// The cost estimate goes to console (the terminal, where the question is
// asked), the progress to stderr (a file under the dashboard).
func newECSTarget(ctx context.Context, sc *scenarios.Scenario, o runOptions, prices report.PriceTable, stderr, console io.Writer) (lab.Target, func(), error) {
	settingsFile := o.ecsFile
	set, err := mergedSettings(sc, settingsFile)
	if err != nil {
		return nil, nil, err
	}
	c, plan, err := connectForPlan(ctx, sc, set, func() (*ecs.Plan, error) { return ecs.NewPlan(sc, set) })
	if err != nil {
		return nil, nil, err
	}
	st, err := ecs.LoadState(c.Region, plan.Names)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintf(stderr, "lab: ecs: %s\n", w)
	}
	target, err := ecs.NewTarget(c, plan, st)
	if err != nil {
		return nil, nil, err
	}
	target.Prices = prices
	if err := confirmCost(console, "this run", plan.Estimate(prices), o.yes); err != nil {
		return nil, nil, err
	}
	target.Log = func(s string) { fmt.Fprintf(stderr, "lab: ecs: %s\n", s) }
	fmt.Fprintf(stderr, "lab: ecs: running %s in %s, cluster %s, owner %s; if lab is killed, `lab ecs down %s` removes what it created\n", sc.Name, c.Region, plan.Cluster, plan.Names.Owner, sc.Source)
	return target, func() {}, nil
}

// interrupted marks err as an interrupt when ctx ended (Ctrl-C during
// the image build or the set-up): exit code 130, not a failure.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, lab.ErrInterrupted) {
		return fmt.Errorf("%w (%v)", lab.ErrInterrupted, err)
	}
	return err
}
