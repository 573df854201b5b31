package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/local/taskrole"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/tui"
)

// runOptions are lab run's flags.
type runOptions struct {
	target   string
	headless bool
	duration time.Duration
	size     string
	out      string
	dryRun   bool
	json     bool
	prices   string
	ecsFile  string
	netOfRTT bool
	yes      bool
	// calibrated is the Fargate platform whose vCPU the local quota
	// stands for (--calibrated); empty: none.
	calibrated string
	secrets    []string // --secret NAME=env:VAR|file:PATH
	// generators overrides load.generators (--generators); 0: the
	// scenario's.
	generators int
	taskRole   string // --task-role[=MODE]; empty: the scenario's task_role
}

func newRunCommand() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario (a file path or a built-in name)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target, _ = cmd.Flags().GetString("target")
			return runLoop(cmd.Context(), args[0], o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.headless, "headless", false, "no TUI (default when stdout is not a terminal)")
	f.DurationVar(&o.duration, "duration", 0, "stretch or shrink each entry's load phases to a total of `D`")
	f.StringVar(&o.size, "size", "", "run one entry at this size instead of the matrix, e.g. 512/1024")
	f.StringVar(&o.out, "out", "runs", "results root `DIR`")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and stop")
	f.BoolVar(&o.json, "json", false, "print only summary.json on stdout; everything for people goes to stderr")
	ecsFileFlag(cmd, &o.ecsFile)
	pricesFlag(cmd, &o.prices, " for the recommendation")
	f.BoolVar(&o.netOfRTT, "net-of-rtt", false, "--target ecs: judge latency thresholds net of the round trip from here to the ALB, measured before each entry")
	f.BoolVar(&o.yes, "yes", false, "--target ecs: do not ask before creating what AWS bills (the estimate is printed all the same)")
	calibratedFlag(cmd, &o.calibrated)
	secretFlag(cmd, &o.secrets)
	f.IntVar(&o.generators, "generators", 0, "split the load across `N` generator containers (load.generators); 1 is lab's own in-process generator")
	taskRoleFlag(cmd, &o.taskRole)
	return cmd
}

// runLoop runs the scenario, and again for as long as the dashboard's r
// asks.
func runLoop(ctx context.Context, arg string, o runOptions, stdout, stderr io.Writer) error {
	for {
		again, err := runScenario(ctx, arg, o, stdout, stderr)
		if !again || ctx.Err() != nil {
			return err
		}
	}
}

// runScenario runs the scenario arg once, or prints its plan under
// --dry-run; again says whether the dashboard asked for another run.
func runScenario(ctx context.Context, arg string, o runOptions, stdout, stderr io.Writer) (again bool, err error) {
	sc, err := o.scenario(ctx, arg)
	if err != nil {
		return false, err
	}
	if o.target == "local" {
		noteTaskDefinition(sc, stderr)
	}
	if o.calibrated != "" && o.target == "ecs" {
		return false, usageError{fmt.Errorf("--calibrated scales local CPU quotas; on ECS the tasks run on Fargate's own vCPUs")}
	}
	cal, err := calibrationFor(sc, o.calibrated, stderr)
	if err != nil {
		return false, err
	}
	if o.dryRun {
		if cal != nil {
			fmt.Fprintf(stdout, "CPU quotas below x %.3f (--calibrated)\n", cal.Factor)
		}
		return false, o.printPlan(stdout, sc)
	}
	r, err := newScenarioRun(sc, o, cal, stdout, stderr)
	if err != nil {
		return false, err
	}
	return r.run(ctx)
}

// scenario checks --target, resolves arg, and applies --size and
// --duration to it.
func (o runOptions) scenario(ctx context.Context, arg string) (*scenarios.Scenario, error) {
	if o.target != "local" && o.target != "ecs" {
		return nil, usageError{fmt.Errorf("--target %s: want local or ecs", o.target)}
	}
	sc, err := loadScenario(ctx, arg)
	if err != nil {
		return nil, err
	}
	if o.size != "" {
		size, err := scenarios.ParseSize(o.size)
		if err != nil {
			return nil, usageError{fmt.Errorf("--size: %w", err)}
		}
		if d := sc.Workload.Definition; d != nil {
			if err := d.CheckEnvelope(size); err != nil {
				return nil, usageError{fmt.Errorf("--size %s: task definition %s does not fit: %s", size, d.Family, strings.ReplaceAll(err.Error(), "\n", "; "))}
			}
		}
		sc = sc.WithSize(size)
	}
	if o.duration < 0 {
		return nil, usageError{fmt.Errorf("--duration must be positive, got %s", o.duration)}
	}
	if o.duration > 0 {
		sc = sc.WithLoadDuration(o.duration)
	}
	if o.generators != 0 {
		if o.generators < 1 || o.generators > scenarios.MaxGenerators {
			return nil, usageError{fmt.Errorf("--generators %d: want 1 to %d", o.generators, scenarios.MaxGenerators)}
		}
		sc = sc.Clone()
		sc.Load.Generators = o.generators
	}
	if err := checkLoadFrom(sc, o.target); err != nil {
		return nil, err
	}
	if len(o.secrets) > 0 && o.target == "ecs" {
		return nil, usageError{fmt.Errorf("--secret is for local runs: on ECS, a secret's value_from is the ARN ECS reads it from")}
	}
	return withTaskRole(sc, o.taskRole, o.target)
}

// printPlan prints what a run of sc would do on the target.
func (o runOptions) printPlan(w io.Writer, sc *scenarios.Scenario) error {
	if o.target == "ecs" {
		return printECSPlan(w, sc, o.ecsFile)
	}
	return local.PrintPlan(w, sc)
}

// scenarioRun is one run of a scenario from the command line: the
// scenario as the flags shaped it, where its results go, and who watches.
type scenarioRun struct {
	sc             *scenarios.Scenario
	secrets        map[string]string // the secrets' values, local runs only
	taskRole       *taskrole.Source  // the tasks' role credentials, local runs only; nil: none
	o              runOptions
	prices         report.PriceTable
	id             string
	dir            string // the results directory
	dashboard      bool   // the TUI watches the run, not the headless log
	calibration    *lab.Calibration
	stdout, stderr io.Writer
}

// newScenarioRun checks what must hold before anything starts: the price
// table reads, results can be written (a run whose results cannot be
// written is a run wasted), and a local run has its secrets' values.
func newScenarioRun(sc *scenarios.Scenario, o runOptions, cal *lab.Calibration, stdout, stderr io.Writer) (*scenarioRun, error) {
	prices, err := loadPrices(o.prices)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(o.out); err != nil {
		return nil, err
	}
	var values map[string]string
	if o.target != "ecs" {
		if values, err = secretValues(sc, o.secrets); err != nil {
			return nil, err
		}
	}
	id := newRunID()
	role, err := taskRoleSource(sc, id, o.target, stderr)
	if err != nil {
		return nil, err
	}
	return &scenarioRun{
		sc: sc, secrets: values, taskRole: role, o: o, prices: prices, id: id, calibration: cal,
		dir:       filepath.Join(o.out, report.DirName(time.Now(), sc.Name, id)),
		dashboard: !o.headless && !o.json && isTerminal(stdout),
		stdout:    stdout, stderr: stderr,
	}, nil
}

// run sets up the target, runs the scenario on it, prints the summary and
// writes the report. The error says how the run ended: errThresholds when
// it completed and its thresholds failed.
func (r *scenarioRun) run(ctx context.Context) (again bool, err error) {
	target, release, err := r.openTarget(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	writer, err := r.openResults(ctx, target)
	if err != nil {
		return false, err
	}
	summary, again, runErr := r.execute(ctx, target, writer)
	if err := r.printSummary(summary); err != nil {
		return false, err
	}
	if err := r.writeReport(writer); err != nil {
		runErr = errors.Join(runErr, err)
	}
	fmt.Fprintf(r.stderr, "results: %s\n", r.dir)
	if runErr != nil {
		return again, runErr
	}
	if !summary.Passed && len(r.sc.Thresholds) > 0 {
		return again, errThresholds
	}
	return again, nil
}

// closeTimeout bounds the removal of the run's target; zero is lab.Run's
// default.
func (r *scenarioRun) closeTimeout() time.Duration {
	if r.o.target == "ecs" {
		return ecsCloseTimeout
	}
	return 0
}

// openTarget sets up where the service runs. release gives back what the
// target holds on to.
func (r *scenarioRun) openTarget(ctx context.Context) (lab.Target, func(), error) {
	if r.o.target != "ecs" {
		target, release, err := newLocalTarget(ctx, r.sc, r.id, r.stderr, localOptions{calibration: r.calibration, secrets: r.secrets, taskRole: r.taskRole})
		if err != nil {
			return nil, nil, interrupted(ctx, err)
		}
		return target, release, nil
	}
	// AWS progress (calls, waits, removal) would tear through the
	// dashboard: under it, it goes to a file with the results.
	progress, closeLog := r.stderr, func() {}
	if r.dashboard {
		f, err := createIn(r.dir, "ecs.log")
		if err != nil {
			return nil, nil, err
		}
		progress, closeLog = f, func() { f.Close() }
	}
	target, release, err := newECSTarget(ctx, r.sc, r.o, r.prices, progress, r.stderr)
	if err != nil {
		closeLog()
		return nil, nil, interrupted(ctx, err)
	}
	return target, func() { release(); closeLog() }, nil
}

// openResults opens the writer of the results directory. If it cannot, it
// removes the target, which exists already (the local one has its
// network): nothing may stay behind.
func (r *scenarioRun) openResults(ctx context.Context, target lab.Target) (*report.Writer, error) {
	writer, err := report.NewWriter(r.dir)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(r.closeTimeout(), time.Minute))
		target.Close(cctx)
		cancel()
		return nil, fmt.Errorf("%w (choose another results directory with --out)", err)
	}
	return writer, nil
}

// execute runs the scenario on target, watched by the dashboard or the
// headless log, and waits until the dashboard is left; again says whether
// the user asked it for another run.
func (r *scenarioRun) execute(ctx context.Context, target lab.Target, writer *report.Writer) (summary lab.Summary, again bool, err error) {
	observers := []lab.Observer{writer}
	runCtx, commands := ctx, (<-chan lab.Command)(nil)
	var dash *tui.Dashboard
	if r.dashboard {
		dash = tui.RunDashboard(ctx, tui.DashboardConfig{ResultsDir: r.dir})
		runCtx, commands = dash.Context(), dash.Commands()
		observers = append(observers, dash.Observer())
	} else {
		observers = append(observers, tui.NewHeadless(r.stderr, isTerminal(r.stderr)))
	}
	// A write that fails (disk full) stops the run at once: going on
	// would lose its results silently.
	runCtx, stopRun := context.WithCancel(runCtx)
	defer stopRun()
	writer.OnFail(stopRun)
	summary, err = lab.Run(runCtx, r.sc, target, lab.Options{ID: r.id, Observers: observers, Commands: commands, CloseTimeout: r.closeTimeout(), NetOfRTT: r.o.netOfRTT, Calibration: r.calibration})
	if werr := writer.Err(); werr != nil {
		werr = fmt.Errorf("write results to %s: %w; the run stopped there", r.dir, werr)
		if ctx.Err() == nil && errors.Is(err, lab.ErrInterrupted) {
			err = werr // the run stopped because of the write, not Ctrl-C
		} else {
			err = errors.Join(err, werr)
		}
	}
	if dash != nil {
		// The dashboard stays up on its summary until the user leaves.
		res, derr := dash.Wait(err)
		if derr != nil {
			err = errors.Join(err, fmt.Errorf("dashboard: %w", derr))
		}
		again = res.RunAgain
	}
	return summary, again, err
}

// printSummary prints the summary, as a table or, under --json, as
// summary.json, and, for a matrix, the recommendation for people.
func (r *scenarioRun) printSummary(summary lab.Summary) error {
	people := r.stdout // what is for people goes to stderr under --json
	if r.o.json {
		people = r.stderr
		enc := json.NewEncoder(r.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(summary); err != nil {
			return err
		}
	} else {
		report.Table(r.stdout, summary)
	}
	if len(summary.Entries) > 1 {
		fmt.Fprintln(people)
		report.PrintRecommendation(people, report.Recommend(summary, r.prices, 0))
	}
	return nil
}

// writeReport writes report.html and says where, unless the results are
// incomplete: a report would fail the same way.
func (r *scenarioRun) writeReport(writer *report.Writer) error {
	if writer.Err() != nil {
		return nil
	}
	path, err := report.WriteHTML(r.dir, report.Options{Prices: r.prices})
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(r.stderr, "report: %s\n", path)
	return nil
}

// checkLoadFrom refuses, before anything is created on AWS, generators
// where the target cannot run them: load.from: ecs off ECS, and several
// generators on this machine for a service on ECS.
func checkLoadFrom(sc *scenarios.Scenario, target string) error {
	n := sc.Load.GeneratorCount()
	switch {
	case sc.Load.FromECS() && target != "ecs":
		return usageError{fmt.Errorf("%s: load.from: ecs runs the generators as Fargate tasks beside the service: it needs --target ecs (locally, generators are containers: load.from: local)", sc.Source)}
	case n > 1 && target == "ecs" && !sc.Load.FromECS():
		return usageError{fmt.Errorf("%s: %d load generators with load.from: local: on ECS the load comes from this machine, one generator; set load.from: ecs to run them as Fargate tasks beside the service", sc.Source, n)}
	}
	return nil
}
