package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/calibration"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
	"github.com/ecslab/lab/workload/app"
)

// probeQuota is the CFS quota the probe runs under here: half a core, so
// that its wall time shows the quota at work (twice its CPU time).
const probeQuota = 512

// calibrateOptions are lab calibrate's flags.
type calibrateOptions struct {
	target   string
	platform string
	ecsFile  string
}

func newCalibrateCommand() *cobra.Command {
	var o calibrateOptions
	cmd := &cobra.Command{
		Use:   "calibrate",
		Short: "Compare this host's CPU with a Fargate vCPU (what --calibrated scales the CPU quota by)",
		Long: `lab calibrate runs a fixed CPU probe (part of lab's workload image) in a
container here under a known CFS quota, and compares its score with the same
probe's on a Fargate vCPU: the one measured by lab calibrate --target ecs
(which runs it as a Fargate task and keeps the result), or else lab's default
per platform, an estimate from public figures. lab capacity --calibrated and
lab run --calibrated then scale each task's CPU quota by Fargate's score over
this host's, so that a user's image computes per task what it would on
Fargate. The built-in app needs no calibration: its CPU_WORK is CPU time.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target, _ = cmd.Flags().GetString("target")
			return runCalibrate(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.platform, "platform", calibration.X86_64, "the Fargate platform to compare with: X86_64 or ARM64")
	ecsFileFlag(cmd, &o.ecsFile)
	return cmd
}

func runCalibrate(ctx context.Context, o calibrateOptions, stdout, stderr io.Writer) error {
	if _, ok := calibration.Defaults[o.platform]; !ok {
		return usageError{fmt.Errorf("--platform %s: want %s or %s", o.platform, calibration.X86_64, calibration.ARM64)}
	}
	path, err := calibration.Path()
	if err != nil {
		return err
	}
	file, err := calibration.Load(path)
	if err != nil {
		return err
	}
	switch o.target {
	case "local":
		m, err := probeHere(ctx, stderr)
		if err != nil {
			return interrupted(ctx, err)
		}
		file.Host = m
	case "ecs":
		m, err := probeOnFargate(ctx, o, stderr)
		if err != nil {
			return interrupted(ctx, err)
		}
		if file.Fargate == nil {
			file.Fargate = map[string]*calibration.Measurement{}
		}
		file.Fargate[o.platform] = m
	default:
		return usageError{fmt.Errorf("--target %s: want local or ecs", o.target)}
	}
	if err := file.Save(path); err != nil {
		return err
	}
	printCalibration(stdout, file, o.platform)
	fmt.Fprintf(stderr, "calibration: %s\n", path)
	return nil
}

// probeHere runs the probe in a container of lab's workload image under
// a quota of half a core.
func probeHere(ctx context.Context, stderr io.Writer) (*calibration.Measurement, error) {
	cli, err := local.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	id := newRunID()
	lock, err := local.LockRun(id)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	image, err := workload.PrepareImage(ctx, cli, "", &prefixWriter{w: stderr, prefix: "lab: "})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "lab: running the CPU probe here under a quota of %g core...\n", float64(probeQuota)/1024)
	out, err := local.RunProbe(ctx, cli, image, id, probeQuota)
	if err != nil {
		return nil, err
	}
	return parseProbe(out, "local", "", "")
}

// parseProbe reads the probe's JSON line.
func parseProbe(out []byte, where, platform, region string) (*calibration.Measurement, error) {
	var r app.ProbeResult
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil || r.Probe == "" {
		return nil, fmt.Errorf("the probe printed no result: %q", format1(line))
	}
	if r.Probe != app.ProbeName {
		return nil, fmt.Errorf("the probe is %q, this lab's is %q: push this lab's workload image (lab ecs push) and run again", r.Probe, app.ProbeName)
	}
	return &calibration.Measurement{ProbeResult: r, Where: where, Platform: platform, Region: region, MeasuredAt: time.Now().UTC().Truncate(time.Second)}, nil
}

func format1(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// printCalibration says what was measured and what --calibrated does.
func printCalibration(w io.Writer, f *calibration.File, platform string) {
	if h := f.Host; h != nil {
		fmt.Fprintf(w, "this host: score %.1f (probe rounds per µs of CPU), %s, %s\n", h.Score, orUnknown(h.CPUModel), h.MeasuredAt.Format(time.DateOnly))
		if h.QuotaCPUs > 0 && h.CPUSeconds > 0 {
			fmt.Fprintf(w, "  under a quota of %g core: %.2f s of CPU took %.2f s of wall time (%.2f expected from the quota alone)\n",
				h.QuotaCPUs, h.CPUSeconds, h.WallSeconds, h.CPUSeconds/h.QuotaCPUs)
		}
	}
	c, err := f.For(platform)
	if errors.Is(err, calibration.ErrNoHost) {
		fmt.Fprintf(w, "Fargate %s measured; run `lab calibrate` here to compare\n", platform)
		return
	}
	if err != nil {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintf(w, "Fargate %s: score %.1f, from %s\n", platform, c.FargateScore, c.Source)
	fmt.Fprintf(w, "factor %.3f: with --calibrated, a task's CPU quota here is its size x %.3f (256 cpu units: %.3f of a core)\n",
		c.Factor, c.Factor, 0.25*c.Factor)
}

func orUnknown(s string) string {
	if s == "" {
		return "CPU model unknown"
	}
	return s
}

// loadCalibration is the stored calibration against platform, for
// --calibrated.
func loadCalibration(platform string) (*lab.Calibration, error) {
	if _, ok := calibration.Defaults[platform]; !ok {
		return nil, usageError{fmt.Errorf("--calibrated=%s: want %s or %s", platform, calibration.X86_64, calibration.ARM64)}
	}
	path, err := calibration.Path()
	if err != nil {
		return nil, err
	}
	f, err := calibration.Load(path)
	if err != nil {
		return nil, err
	}
	c, err := f.For(platform)
	if err != nil {
		return nil, usageError{fmt.Errorf("--calibrated: %w", err)}
	}
	return &c, nil
}

// calibratedFlag is --calibrated[=PLATFORM].
func calibratedFlag(cmd *cobra.Command, platform *string) {
	cmd.Flags().StringVar(platform, "calibrated", "", "scale the CPU quota so that a local core computes what a Fargate vCPU does (lab calibrate); =ARM64 to compare with Graviton")
	cmd.Flags().Lookup("calibrated").NoOptDefVal = calibration.X86_64
}

// calibrationFor is the calibration a run applies: none for the built-in
// app, whose CPU_WORK is CPU time and needs none (said on stderr).
func calibrationFor(sc *scenarios.Scenario, platform string, stderr io.Writer) (*lab.Calibration, error) {
	if platform == "" {
		return nil, nil
	}
	if sc.Workload.Builtin {
		fmt.Fprintln(stderr, "lab: --calibrated: not applied: the built-in app's CPU_WORK is CPU time on the thread's clock, which transfers to Fargate as it is")
		return nil, nil
	}
	c, err := loadCalibration(platform)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "lab: --calibrated: CPU quotas x %.3f (Fargate %s score %.1f over this host's %.1f; %s)\n", c.Factor, c.Platform, c.FargateScore, c.HostScore, c.Source)
	return c, nil
}

// probeOnFargate runs the probe as a Fargate task with the --ecs FILE's
// settings.
func probeOnFargate(ctx context.Context, o calibrateOptions, stderr io.Writer) (*calibration.Measurement, error) {
	set := &scenarios.ECS{}
	if o.ecsFile != "" {
		var err error
		if set, err = ecs.LoadSettings(o.ecsFile); err != nil {
			return nil, err
		}
	}
	c, err := ecsConnect(ctx, set, false)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "lab: ecs: running the CPU probe as a Fargate %s task in %s (a minute or two)\n", o.platform, c.Region)
	out, err := ecs.RunProbe(ctx, c, ecs.ProbeOptions{Settings: set, Platform: o.platform,
		Log: func(s string) { fmt.Fprintf(stderr, "lab: ecs: %s\n", s) }})
	if err != nil {
		return nil, err
	}
	return parseProbe([]byte(out), "fargate", o.platform, c.Region)
}
