package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
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

func runScenario(ctx context.Context, arg string, o runOptions, stdout, stderr io.Writer) (again bool, err error) {
	if o.target != "local" && o.target != "ecs" {
		return false, usageError{fmt.Errorf("--target %s: want local or ecs", o.target)}
	}
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return false, err
	}
	if o.size != "" {
		size, err := scenarios.ParseSize(o.size)
		if err != nil {
			return false, usageError{fmt.Errorf("--size: %w", err)}
		}
		sc = sc.WithSize(size)
	}
	if o.duration < 0 {
		return false, usageError{fmt.Errorf("--duration must be positive, got %s", o.duration)}
	}
	if o.duration > 0 {
		sc = sc.WithLoadDuration(o.duration)
	}
	if o.dryRun {
		if o.target == "ecs" {
			return false, printECSPlan(stdout, sc, o.ecsFile)
		}
		return false, local.PrintPlan(stdout, sc)
	}

	prices, err := loadPrices(o.prices)
	if err != nil {
		return false, err
	}
	// Before anything starts: results that cannot be written are a run
	// wasted.
	if err := checkWritable(o.out); err != nil {
		return false, err
	}

	runID := newRunID()
	started := time.Now()
	dir := filepath.Join(o.out, report.DirName(started, sc.Name, runID))
	useDashboard := !o.headless && !o.json && isTerminal(stdout)
	var target lab.Target
	var release func()
	closeTimeout := time.Duration(0) // lab.Run's default
	if o.target == "ecs" {
		// AWS progress (calls, waits, removal) would tear through the
		// dashboard: under it, it goes to a file with the results.
		progress := stderr
		if useDashboard {
			f, err := createIn(dir, "ecs.log")
			if err != nil {
				return false, err
			}
			defer f.Close()
			progress = f
		}
		target, release, err = newECSTarget(ctx, sc, o.ecsFile, progress)
		closeTimeout = ecsCloseTimeout
	} else {
		target, release, err = newLocalTarget(ctx, sc, runID, stderr)
	}
	if err != nil {
		return false, interrupted(ctx, err)
	}
	defer release()

	writer, err := report.NewWriter(dir)
	if err != nil {
		// The target exists already (the local one has its network):
		// nothing may stay behind.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(closeTimeout, time.Minute))
		target.Close(cctx)
		cancel()
		return false, fmt.Errorf("%w (choose another results directory with --out)", err)
	}

	observers := []lab.Observer{writer}
	runCtx, commands := ctx, (<-chan lab.Command)(nil)
	var dash *tui.Dashboard
	if useDashboard {
		dash = tui.RunDashboard(ctx, tui.DashboardConfig{ResultsDir: dir})
		runCtx, commands = dash.Context(), dash.Commands()
		observers = append(observers, dash.Observer())
	} else {
		observers = append(observers, tui.NewHeadless(stderr, isTerminal(stderr)))
	}
	// A write that fails (disk full) stops the run at once: going on
	// would lose its results silently.
	runCtx, stopRun := context.WithCancel(runCtx)
	defer stopRun()
	writer.OnFail(stopRun)
	summary, runErr := lab.Run(runCtx, sc, target, lab.Options{ID: runID, Observers: observers, Commands: commands, CloseTimeout: closeTimeout})
	if err := writer.Err(); err != nil {
		werr := fmt.Errorf("write results to %s: %w; the run stopped there", dir, err)
		if ctx.Err() == nil && errors.Is(runErr, lab.ErrInterrupted) {
			runErr = werr // the run stopped because of the write, not Ctrl-C
		} else {
			runErr = errors.Join(runErr, werr)
		}
	}
	if dash != nil {
		// The dashboard stays up on its summary until the user leaves.
		res, err := dash.Wait(runErr)
		if err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("dashboard: %w", err))
		}
		again = res.RunAgain
	}

	people := stdout // what is for people goes to stderr under --json
	if o.json {
		people = stderr
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(summary); err != nil {
			return false, err
		}
	} else {
		report.Table(stdout, summary)
	}
	if len(summary.Entries) > 1 {
		fmt.Fprintln(people)
		report.PrintRecommendation(people, report.Recommend(summary, prices, 0))
	}
	if writer.Err() != nil {
		// The results are incomplete; a report would fail the same way.
	} else if path, err := report.WriteHTML(dir, report.Options{Prices: prices}); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("write report: %w", err))
	} else {
		fmt.Fprintf(stderr, "report: %s\n", path)
	}
	fmt.Fprintf(stderr, "results: %s\n", dir)
	if runErr != nil {
		return again, runErr
	}
	if !summary.Passed && hasThresholds(sc) {
		return again, errThresholds
	}
	return again, nil
}

func hasThresholds(sc *scenarios.Scenario) bool { return len(sc.Thresholds) > 0 }
