package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/tui"
	"github.com/ecslab/lab/workload"
)

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
	f.StringVar(&o.ecsFile, "ecs", "", "ECS settings `FILE` (the fields of the scenario's ecs: section; the file wins)")
	f.StringVar(&o.prices, "prices", "", "Fargate price table `FILE` for the recommendation (default: the built-in us-east-1 table)")
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

// newLocalTarget connects to Docker, takes the run's lock (so that `lab
// gc` leaves the run alone), and packages or finds the workload image.
// release gives back the lock and the Docker connection.
func newLocalTarget(ctx context.Context, sc *scenarios.Scenario, runID string, stderr io.Writer) (lab.Target, func(), error) {
	cli, err := local.Connect(ctx)
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
	// The scenario's own image, or the built-in app's; Port is the
	// built-in app's for the latter.
	image, err := workload.PrepareImage(ctx, cli, sc.Workload.Image, &prefixWriter{w: stderr, prefix: "lab: "})
	if err != nil {
		release()
		return nil, nil, err
	}
	target, err := local.New(ctx, cli, local.Config{RunID: runID, Scenario: sc, Image: image, Port: sc.Workload.Port})
	if err != nil {
		release()
		return nil, nil, err
	}
	return target, release, nil
}

// interrupted marks err as an interrupt when ctx ended (Ctrl-C during
// the image build or the set-up): exit code 130, not a failure.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, lab.ErrInterrupted) {
		return fmt.Errorf("%w (%v)", lab.ErrInterrupted, err)
	}
	return err
}

// checkWritable makes sure results can be written under dir before a
// run starts, by writing and removing a file in the nearest directory on
// the way to dir that exists: a run that never starts (Docker down)
// leaves no empty results directory behind.
func checkWritable(dir string) error {
	fail := func(err error) error {
		return fmt.Errorf("results directory %s is not writable: %w (choose another with --out)", dir, err)
	}
	d := filepath.Clean(dir)
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fail(fmt.Errorf("%s is not a directory", d))
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			return fail(err)
		}
		d = filepath.Dir(d)
	}
	f, err := os.CreateTemp(d, ".lab-write-check-*")
	if err == nil {
		_, err = f.Write(make([]byte, 4096))
		err = errors.Join(err, f.Sync(), f.Close(), os.Remove(f.Name()))
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

func hasThresholds(sc *scenarios.Scenario) bool { return len(sc.Thresholds) > 0 }

// printECSPlan prints the ECS API calls a run on ECS would make, with
// placeholders for settings not given. It needs neither credentials nor
// network.
func printECSPlan(w io.Writer, sc *scenarios.Scenario, settingsFile string) error {
	var file *scenarios.ECS
	if settingsFile != "" {
		var err error
		if file, err = ecs.LoadSettings(settingsFile); err != nil {
			return err
		}
	}
	plan, err := ecs.NewPlan(sc, ecs.MergeSettings(sc.ECS, file))
	if err != nil {
		return err
	}
	return plan.Print(w)
}

// newRunID is 4 characters from [a-z0-9], enough to tell concurrent runs
// apart.
func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 4)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
