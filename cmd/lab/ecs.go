package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

func newECSCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ecs",
		Short: "Set up, remove, and push images for scenarios on Amazon ECS",
		Long: `The ecs commands act on Amazon ECS with the standard AWS configuration
(environment, profiles, SSO; AWS_ENDPOINT_URL for an emulator). Settings
come from the scenario's ecs: section and --ecs FILE (the file wins).

lab keeps what it created per scenario and region in a state file under
$XDG_STATE_HOME/lab/ecs (or $LAB_STATE_DIR), and tags every resource
lab.scenario=<name>, so that down finds it even without that file.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newECSUpCommand(), newECSDownCommand(), newECSPushCmd())
	return cmd
}

func newECSUpCommand() *cobra.Command {
	var settingsFile string
	var entry int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "up SCENARIO [--entry N]",
		Short: "Create one entry's service on ECS and wait until it is stable (no load)",
		Long: `up applies the scenario's ECS plan for one matrix entry (the first unless
--entry says otherwise): log group, cluster when missing, ALB, target
group and listener unless target_group_arn is given, the entry's task
definition, the service, and its autoscaling. It then waits until the
service is stable (one deployment, running == desired) and prints the
endpoint. Running it again takes over what exists. If it fails half-way,
lab ecs down SCENARIO removes what was created.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if entry < 1 {
				return usageError{fmt.Errorf("--entry %d: entries count from 1", entry)}
			}
			return ecsUp(cmd.Context(), args[0], settingsFile, entry-1, timeout, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&settingsFile, "ecs", "", "ECS settings `FILE` (the fields of the scenario's ecs: section; the file wins)")
	cmd.Flags().IntVar(&entry, "entry", 1, "the matrix entry to deploy, from 1")
	cmd.Flags().DurationVar(&timeout, "timeout", 15*time.Minute, "how long to wait for the service to be stable")
	return cmd
}

func newECSDownCommand() *cobra.Command {
	var settingsFile string
	cmd := &cobra.Command{
		Use:   "down SCENARIO",
		Short: "Remove everything lab created on ECS for a scenario (safe to run twice)",
		Long: `down removes what lab created for the scenario in the region: scaling
policies and target, alarms, the service (scaled to 0, deleted, drained),
listener, ALB and target group, task definitions (deregistered), the log
group, and the cluster when lab created it and nothing else runs in it.
It works from the state file and falls back to the scenario's names and
lab's tags; what is already gone counts as removed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ecsDown(cmd.Context(), args[0], settingsFile, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&settingsFile, "ecs", "", "ECS settings `FILE` (the fields of the scenario's ecs: section; the file wins)")
	return cmd
}

// ecsSettings resolves the scenario and its merged ECS settings.
func ecsSettings(arg, settingsFile string) (*scenarios.Scenario, *scenarios.ECS, error) {
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return nil, nil, err
	}
	var file *scenarios.ECS
	if settingsFile != "" {
		if file, err = ecs.LoadSettings(settingsFile); err != nil {
			return nil, nil, err
		}
	}
	return sc, ecs.MergeSettings(sc.ECS, file), nil
}

// ecsConnect connects with the settings' region (or the configured one),
// and writes the region it got back into the settings.
func ecsConnect(ctx context.Context, set *scenarios.ECS) (*ecs.Clients, error) {
	c, err := ecs.Connect(ctx, set.Region)
	if err != nil {
		return nil, err
	}
	set.Region = c.Region
	return c, nil
}

// missingSettings is the error for a plan with placeholders left, but
// for the fields in except.
func missingSettings(sc *scenarios.Scenario, p *ecs.Plan, except ...string) error {
	var m []string
	for _, s := range p.Missing() {
		field, _, _ := strings.Cut(s, ":")
		if !slices.Contains(except, field) {
			m = append(m, s)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return usageError{fmt.Errorf("%s: ECS settings missing:\n  %s\ngive them in the scenario's ecs: section or with --ecs FILE; `lab run %s --target ecs --dry-run` shows the plan",
		sc.Source, strings.Join(m, "\n  "), sc.Source)}
}

func ecsUp(ctx context.Context, arg, settingsFile string, entry int, timeout time.Duration, stdout, stderr io.Writer) error {
	sc, set, err := ecsSettings(arg, settingsFile)
	if err != nil {
		return err
	}
	plan, err := ecs.NewEntryPlan(sc, set, entry)
	if err != nil {
		return usageError{err}
	}
	// The region may come from the AWS configuration: check the rest
	// before connecting, and the plan again once the region is known.
	if err := missingSettings(sc, plan, "region"); err != nil {
		return err
	}
	c, err := ecsConnect(ctx, set)
	if err != nil {
		return err
	}
	if plan, err = ecs.NewEntryPlan(sc, set, entry); err != nil {
		return err
	}
	if err := missingSettings(sc, plan); err != nil {
		return err
	}
	st, err := ecs.LoadState(c.Region, sc.Name)
	if err != nil {
		return err
	}
	ap, err := ecs.NewApplier(c, plan, st)
	if err != nil {
		return err
	}
	ap.Log = func(s string) { fmt.Fprintf(stderr, "lab: %s\n", s) }
	fmt.Fprintf(stderr, "lab: ecs up %s, entry %d (%s), region %s, cluster %s\n", sc.Name, entry+1, plan.Entries[0].Label, c.Region, plan.Cluster)
	if err := ap.ApplyEntry(ctx, 0); err != nil {
		return fmt.Errorf("ecs up %s: %w\n`lab ecs down %s` removes what was created (state: %s)", sc.Name, err, arg, st.Path())
	}
	if err := ap.WaitStable(ctx, timeout); err != nil {
		return fmt.Errorf("ecs up %s: %w\nthe service stays; `lab ecs down %s` removes it", sc.Name, err, arg)
	}
	fmt.Fprintf(stderr, "lab: service %s is stable; state: %s\n", plan.Service, st.Path())
	fmt.Fprintln(stdout, ap.Endpoint())
	return nil
}

func ecsDown(ctx context.Context, arg, settingsFile string, stderr io.Writer) error {
	sc, set, err := ecsSettings(arg, settingsFile)
	if err != nil {
		return err
	}
	c, err := ecsConnect(ctx, set)
	if err != nil {
		return err
	}
	plan, err := ecs.NewPlan(sc, set)
	if err != nil {
		return err
	}
	st, err := ecs.LoadState(c.Region, sc.Name)
	if err != nil {
		return err
	}
	removed := 0
	d := &ecs.Teardown{
		Scenario: sc.Name, Plan: plan, Cluster: set.Cluster, State: st,
		Log: func(s string) { removed++; fmt.Fprintf(stderr, "lab: %s\n", s) },
	}
	if err := d.Down(ctx, c); err != nil {
		return err
	}
	if removed == 0 {
		fmt.Fprintf(stderr, "lab: nothing of %s left in %s\n", sc.Name, c.Region)
	}
	return nil
}

// ecsCloseTimeout bounds the removal at the end of an ECS run: the
// service drains (the target group's deregistration delay) before its
// load balancer and target group can go.
const ecsCloseTimeout = 15 * time.Minute

// newECSTarget connects to AWS and prepares the scenario's plan as a
// target; the run applies it entry by entry and removes it all at the end.
func newECSTarget(ctx context.Context, sc *scenarios.Scenario, settingsFile string, stderr io.Writer) (lab.Target, func(), error) {
	var file *scenarios.ECS
	if settingsFile != "" {
		var err error
		if file, err = ecs.LoadSettings(settingsFile); err != nil {
			return nil, nil, err
		}
	}
	set := ecs.MergeSettings(sc.ECS, file)
	plan, err := ecs.NewPlan(sc, set)
	if err != nil {
		return nil, nil, err
	}
	if err := missingSettings(sc, plan, "region"); err != nil {
		return nil, nil, err
	}
	c, err := ecsConnect(ctx, set)
	if err != nil {
		return nil, nil, err
	}
	if plan, err = ecs.NewPlan(sc, set); err != nil {
		return nil, nil, err
	}
	st, err := ecs.LoadState(c.Region, sc.Name)
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
	target.Log = func(s string) { fmt.Fprintf(stderr, "lab: ecs: %s\n", s) }
	fmt.Fprintf(stderr, "lab: ecs: running %s in %s, cluster %s; if lab is killed, `lab ecs down %s` removes what it created\n", sc.Name, c.Region, plan.Cluster, sc.Source)
	return target, func() {}, nil
}

// createIn creates the file name in dir, and dir first.
func createIn(dir, name string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, name))
}
