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
	var deleteLogs bool
	cmd := &cobra.Command{
		Use:   "down SCENARIO",
		Short: "Remove everything lab created on ECS for a scenario (safe to run twice)",
		Long: `down removes what lab created for the scenario and you (the owner suffix)
in the region: scaling policies and target, alarms, the service (scaled to
0, deleted, drained), listener, ALB and target group, task definitions
(deregistered, then deleted), the security groups, and the cluster when
lab created it and nothing else runs in it. The log group stays, with the
containers' logs, unless --delete-logs. It works from the state file and
falls back to the scenario's names; before each removal it checks the
resource's tags (lab.scenario, lab.owner), and says what it left and why.
What is already gone counts as removed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ecsDown(cmd.Context(), args[0], settingsFile, deleteLogs, cmd.ErrOrStderr())
		},
	}
	ecsFileFlag(cmd, &settingsFile)
	cmd.Flags().BoolVar(&deleteLogs, "delete-logs", false, "remove the log group (the containers' logs) too")
	return cmd
}

func ecsDown(ctx context.Context, arg, settingsFile string, deleteLogs bool, stderr io.Writer) error {
	sc, set, err := ecsSettings(ctx, arg, settingsFile)
	if err != nil {
		return err
	}
	c, err := ecsConnect(ctx, set, false)
	if err != nil {
		return err
	}
	plan, err := ecs.NewPlan(sc, set)
	if err != nil {
		return err
	}
	st, err := ecs.LoadState(c.Region, plan.Names)
	if err != nil {
		return err
	}
	d := &ecs.Teardown{
		Names: plan.Names, Plan: plan, Cluster: set.Cluster, State: st, DeleteLogs: deleteLogs,
		Log: func(s string) { fmt.Fprintf(stderr, "lab: %s\n", s) },
	}
	fmt.Fprintf(stderr, "lab: ecs down %s, region %s, owner %s\n", sc.Name, c.Region, plan.Names.Owner)
	if err := d.Down(ctx, c); err != nil {
		return err
	}
	if d.Removed == 0 {
		fmt.Fprintf(stderr, "lab: nothing of %s (owner %s) left in %s\n", sc.Name, plan.Names.Owner, c.Region)
	}
	return nil
}
