package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
)

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
	ecsFileFlag(cmd, &settingsFile)
	return cmd
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
