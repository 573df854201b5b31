package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/capacity"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/tui"
)

// capacityOptions are lab capacity's flags.
type capacityOptions struct {
	target       string
	sizes        string
	slo          string
	peak         float64
	headroom     string
	precision    string
	calibrated   string
	maxDuration  time.Duration
	warmup       time.Duration
	stepDuration time.Duration
	stepRequests int
	cooldown     time.Duration
	startRate    float64
	maxRate      float64
	verify       bool
	out          string
	headless     bool
	json         bool
	prices       string
	secrets      []string
}

// defaultSLO is the SLO when the scenario bounds neither latency nor
// errors: the 1 s a CPU-bound task at 0.25 vCPU needs for three 80 ms
// requests queued, and 1% errors.
var defaultSLO = []string{"p99 < 1s", "error_rate < 1%"}

func newCapacityCommand() *cobra.Command {
	var o capacityOptions
	cmd := &cobra.Command{
		Use:   "capacity SCENARIO",
		Short: "Find the req/s one task of each size sustains under an SLO, its cost per million requests, and the cheapest fleet for a peak",
		Long: `lab capacity searches, for each task size, the highest arrival rate one
task sustains while the SLO holds: a probe at a low rate, a jump to just below
the knee its CPU per request predicts, then a bisection until the bracket is
within the precision. Each step sends an open-model load at its rate, discards
a warm-up, judges the SLO over a steady window and cools down. It prints a
table, writes capacity.json and report.html, and with --peak sizes the
cheapest fleet. Exit 0 when a fleet meets the peak (without --peak: when some
size sustained a rate), 3 when none does.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target, _ = cmd.Flags().GetString("target")
			return runCapacity(cmd.Context(), args[0], o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.sizes, "sizes", "", "sizes to search, e.g. 256/512,512/1024 (default: the scenario's matrix, or its size)")
	f.StringVar(&o.slo, "slo", "", "the SLO in the threshold syntax, e.g. 'p99 < 300ms, error_rate < 0.1%' (default: the scenario's thresholds on latency and errors)")
	f.Float64Var(&o.peak, "peak", 0, "size a fleet for this many req/s, and run it when the host has the cores")
	f.StringVar(&o.headroom, "headroom", "30%", "the share of each size's sustainable rate kept spare when costing and sizing")
	f.StringVar(&o.precision, "precision", "3%", "stop a size's search when the bracket is this narrow")
	calibratedFlag(cmd, &o.calibrated)
	f.DurationVar(&o.maxDuration, "max-duration", capacity.DefaultMaxDuration, "cap the whole search")
	f.DurationVar(&o.warmup, "warmup", capacity.DefaultWarmup, "discarded at the start of each step")
	f.DurationVar(&o.stepDuration, "step-duration", capacity.DefaultMinSteady, "the least steady window of a step")
	f.IntVar(&o.stepRequests, "step-requests", capacity.DefaultMinRequests, "the least requests a step's steady window holds (within 60 s)")
	f.DurationVar(&o.cooldown, "cooldown", capacity.DefaultCooldown, "the least pause between steps (longer until the task is idle)")
	f.Float64Var(&o.startRate, "start-rate", 0, "the first probe's rate (default 4 req/s per vCPU of the first size)")
	f.Float64Var(&o.maxRate, "max-rate", capacity.DefaultMaxRate, "the highest rate tried")
	f.BoolVar(&o.verify, "verify", true, "with --peak, run the chosen fleet at the peak when the host has the cores")
	f.StringVar(&o.out, "out", "runs", "results root `DIR`")
	f.BoolVar(&o.headless, "headless", false, "no TUI (default when stdout is not a terminal)")
	f.BoolVar(&o.json, "json", false, "print only capacity.json on stdout; everything for people goes to stderr")
	pricesFlag(cmd, &o.prices, " for the costs")
	secretFlag(cmd, &o.secrets)
	return cmd
}

// The verdicts of a search that completed and found no fleet for the
// peak (or, without a peak, no sustainable rate): each exits 3.
var (
	errNoFleet       = verdictError{"no fleet meets the peak: no size held the SLO at any rate"}
	errFleetBroke    = verdictError{"no fleet meets the peak: the chosen fleet broke the SLO when run at the peak here"}
	errNoneSustained = verdictError{"no size held the SLO at any rate"}
)

func runCapacity(ctx context.Context, arg string, o capacityOptions, stdout, stderr io.Writer) error {
	if o.target != "local" {
		return usageError{fmt.Errorf("--target %s: lab capacity runs on the local target (steps of seconds need CPU figures by the second; CloudWatch gives one a minute)", o.target)}
	}
	sc, err := loadScenario(ctx, arg)
	if err != nil {
		return err
	}
	copts, err := o.searchOptions(sc)
	if err != nil {
		return err
	}
	table, err := loadPrices(o.prices)
	if err != nil {
		return err
	}
	copts.Prices = capacityPrices(table)
	if copts.Calibration, err = calibrationFor(sc, o.calibrated, stderr); err != nil {
		return err
	}
	if err := checkWritable(o.out); err != nil {
		return err
	}
	id := newRunID()
	dir := filepath.Join(o.out, report.DirName(time.Now(), sc.Name, id))
	copts.RunID, copts.Dir = id, dir
	people := stdout
	if o.json {
		people = stderr
	}
	fmt.Fprintf(stderr, "lab: capacity of %s: %d size(s), SLO %s, up to %s\n", sc.Name, len(copts.Sizes), strings.Join(exprsOf(copts.SLO), ", "), o.maxDuration)

	values, err := secretValues(sc, o.secrets)
	if err != nil {
		return err
	}
	target, release, err := newLocalTarget(ctx, sc, id, stderr, localOptions{calibration: copts.Calibration, secrets: values})
	if err != nil {
		return interrupted(ctx, err)
	}
	defer release()
	if o.peak > 0 && o.verify {
		if lt, ok := target.(*local.Target); ok {
			copts.HostCPUs, _ = lt.HostCPUs(ctx)
		}
	}
	rep, runErr := searchCapacity(ctx, target, copts, dir, o, stderr)
	if rep == nil {
		return runErr
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	fmt.Fprintln(people)
	if err := capacity.Print(people, rep); err != nil {
		return err
	}
	if path, err := report.WriteHTML(dir, report.Options{Prices: table}); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("write report: %w", err))
	} else {
		fmt.Fprintf(stderr, "report: %s\n", path)
	}
	fmt.Fprintf(stderr, "results: %s\n", dir)
	if runErr != nil {
		return runErr
	}
	return capacityVerdict(rep)
}

// searchCapacity runs the search under the dashboard or the headless log,
// with the results directory's writer.
func searchCapacity(ctx context.Context, target lab.Target, copts capacity.Options, dir string, o capacityOptions, stderr io.Writer) (*capacity.Report, error) {
	writer, err := report.NewWriter(dir)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		target.Close(cctx)
		cancel()
		return nil, fmt.Errorf("%w (choose another results directory with --out)", err)
	}
	copts.Observers = []lab.Observer{writer}
	runCtx := ctx
	var dash *tui.Dashboard
	if !o.headless && !o.json && isTerminal(stderr) {
		dash = tui.RunDashboard(ctx, tui.DashboardConfig{ResultsDir: dir, NoCommands: true})
		runCtx = dash.Context()
		copts.Observers = append(copts.Observers, dash.Observer())
	} else {
		copts.Progress = func(p capacity.Progress) { fmt.Fprintln(stderr, capacity.StepLine(p)) }
	}
	runCtx, stop := context.WithCancel(runCtx)
	defer stop()
	writer.OnFail(stop)
	rep, err := capacity.Run(runCtx, target, copts)
	if werr := writer.Err(); werr != nil {
		err = errors.Join(err, fmt.Errorf("write results to %s: %w; the search stopped there", dir, werr))
	}
	if dash != nil {
		if _, derr := dash.Wait(err); derr != nil {
			err = errors.Join(err, fmt.Errorf("dashboard: %w", derr))
		}
	}
	return rep, err
}

// capacityVerdict is the exit: nil (0) when a fleet meets the peak
// (verified, or projected when it could not run here), or without a peak
// when some size sustained a rate; otherwise a verdictError (3): no size
// sustained a rate, or the chosen fleet broke the SLO at the peak.
func capacityVerdict(rep *capacity.Report) error {
	if f := rep.Fleet; f != nil {
		switch {
		case f.Choice == nil:
			return errNoFleet
		case f.Verification != nil && !f.Verification.Held:
			return errFleetBroke
		}
		return nil
	}
	for _, s := range rep.Sizes {
		if s.SustainableRPS > 0 {
			return nil
		}
	}
	return errNoneSustained
}

// searchOptions turns the flags and the scenario into the search's
// options (sizes, SLO, step lengths), refusing bad input.
func (o capacityOptions) searchOptions(sc *scenarios.Scenario) (capacity.Options, error) {
	var c capacity.Options
	var err error
	if c.Sizes, err = capacitySizes(sc, o.sizes); err != nil {
		return c, err
	}
	if c.SLO, c.SLOFrom, err = capacitySLO(sc, o.slo); err != nil {
		return c, err
	}
	if c.Headroom, err = fraction("--headroom", o.headroom); err != nil {
		return c, err
	}
	if c.Precision, err = fraction("--precision", o.precision); err != nil {
		return c, err
	}
	for name, d := range map[string]time.Duration{"--max-duration": o.maxDuration, "--step-duration": o.stepDuration} {
		if d <= 0 {
			return c, usageError{fmt.Errorf("%s must be positive, got %s", name, d)}
		}
	}
	if o.warmup < 0 || o.cooldown < 0 || o.stepRequests < 1 || o.peak < 0 || o.startRate < 0 || o.maxRate <= 0 {
		return c, usageError{errors.New("--warmup and --cooldown must not be negative, --step-requests must be at least 1, and --peak, --start-rate and --max-rate must be positive")}
	}
	c.Scenario = sc
	c.Warmup, c.MinSteady, c.Cooldown, c.MinRequests = o.warmup, o.stepDuration, o.cooldown, o.stepRequests
	c.StartRate, c.MaxRate, c.MaxDuration, c.Peak = o.startRate, o.maxRate, o.maxDuration, o.peak
	return c, nil
}

// capacitySizes is --sizes, each with the workload's environment, or
// the scenario's entries.
func capacitySizes(sc *scenarios.Scenario, flag string) ([]scenarios.Entry, error) {
	if flag == "" {
		return sc.Entries(), nil
	}
	var out []scenarios.Entry
	for i, f := range strings.Split(flag, ",") {
		size, err := scenarios.ParseSize(strings.TrimSpace(f))
		if err != nil {
			return nil, usageError{fmt.Errorf("--sizes: %w", err)}
		}
		out = append(out, scenarios.Entry{Index: i, Label: size.String(), Size: size, Count: 1, Env: sc.Workload.Env})
	}
	return out, nil
}

// capacitySLO is --slo, or the scenario's thresholds on latency and
// errors, or lab's default; and where it came from.
func capacitySLO(sc *scenarios.Scenario, flag string) ([]scenarios.Threshold, string, error) {
	if flag != "" {
		var out []scenarios.Threshold
		for _, e := range strings.Split(flag, ",") {
			th, err := scenarios.ParseThreshold(strings.TrimSpace(e))
			if err != nil {
				return nil, "", usageError{fmt.Errorf("--slo: %w", err)}
			}
			if !sloMetric(th.Metric) {
				return nil, "", usageError{fmt.Errorf("--slo: %q: an SLO bounds latency (p50, p90, p95, p99, max) or error_rate; the search finds the rate", th.Expr)}
			}
			out = append(out, th)
		}
		return out, "flag", nil
	}
	var out []scenarios.Threshold
	for _, th := range sc.Thresholds {
		if sloMetric(th.Metric) {
			out = append(out, th)
		}
	}
	if len(out) > 0 {
		return out, "scenario", nil
	}
	for _, e := range defaultSLO {
		th, err := scenarios.ParseThreshold(e)
		if err != nil {
			return nil, "", err
		}
		out = append(out, th)
	}
	return out, "default", nil
}

// sloMetric reports whether a threshold metric bounds latency or errors.
func sloMetric(m string) bool {
	switch m {
	case scenarios.MetricP50, scenarios.MetricP90, scenarios.MetricP95, scenarios.MetricP99,
		scenarios.MetricLatencyMax, scenarios.MetricErrorRate:
		return true
	}
	return false
}

// fraction reads "30%" or "0.3" as 0.3, in [0, 1).
func fraction(flag, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err == nil && strings.HasSuffix(strings.TrimSpace(s), "%") {
		v /= 100
	}
	if err != nil || v <= 0 || v >= 1 {
		return 0, usageError{fmt.Errorf("%s %q: want a share such as 30%% or 0.3", flag, s)}
	}
	return v, nil
}

func exprsOf(slo []scenarios.Threshold) []string {
	out := make([]string, len(slo))
	for i, th := range slo {
		out[i] = th.Expr
	}
	return out
}

// capacityPrices prices sizes with the table, on each platform it has.
func capacityPrices(t report.PriceTable) capacity.Prices {
	p := capacity.Prices{X86: t.TaskHour, Name: t.String()}
	if t.ARM64VCPUHour > 0 && t.ARM64GBHour > 0 {
		p.ARM64 = t.TaskHourARM64
	}
	return p
}
