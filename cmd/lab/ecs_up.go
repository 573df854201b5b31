package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
)

func newECSUpCommand() *cobra.Command {
	var o ecsUpOptions
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
			if o.entry < 1 {
				return usageError{fmt.Errorf("--entry %d: entries count from 1", o.entry)}
			}
			return ecsUp(cmd.Context(), args[0], o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	ecsFileFlag(cmd, &o.settingsFile)
	cmd.Flags().IntVar(&o.entry, "entry", 1, "the matrix entry to deploy, from 1")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 15*time.Minute, "how long to wait for the service to be stable")
	cmd.Flags().BoolVar(&o.yes, "yes", false, "do not ask before creating what AWS bills (the estimate is printed all the same)")
	pricesFlag(cmd, &o.prices, " for the cost estimate")
	return cmd
}

// ecsUpOptions are lab ecs up's flags.
type ecsUpOptions struct {
	settingsFile string
	entry        int // from 1, as --entry counts
	timeout      time.Duration
	yes          bool
	prices       string
}

func ecsUp(ctx context.Context, arg string, o ecsUpOptions, stdout, stderr io.Writer) error {
	entry := o.entry - 1
	sc, set, err := ecsSettings(ctx, arg, o.settingsFile)
	if err != nil {
		return err
	}
	c, plan, err := connectForPlan(ctx, sc, set, func() (*ecs.Plan, error) {
		plan, err := ecs.NewEntryPlan(sc, set, entry)
		if err != nil {
			return nil, usageError{err} // an entry the scenario does not have
		}
		return plan, nil
	})
	if err != nil {
		return err
	}
	st, err := ecs.LoadState(c.Region, plan.Names)
	if err != nil {
		return err
	}
	ap, err := ecs.NewApplier(c, plan, st)
	if err != nil {
		return err
	}
	prices, err := loadPrices(o.prices)
	if err != nil {
		return err
	}
	if err := confirmCost(stderr, "ecs up", plan.EstimateHour(prices), o.yes); err != nil {
		return err
	}
	ap.Log = func(s string) { fmt.Fprintf(stderr, "lab: %s\n", s) }
	fmt.Fprintf(stderr, "lab: ecs up %s, entry %d (%s), region %s, cluster %s, owner %s\n", sc.Name, entry+1, plan.Entries[0].Label, c.Region, plan.Cluster, plan.Names.Owner)
	if err := ap.ApplyEntry(ctx, 0); err != nil {
		return fmt.Errorf("ecs up %s: %w\n`lab ecs down %s` removes what was created (state: %s)", sc.Name, err, arg, st.Path())
	}
	if err := ap.WaitStable(ctx, o.timeout); err != nil {
		return fmt.Errorf("ecs up %s: %w\nthe service stays; `lab ecs down %s` removes it", sc.Name, err, arg)
	}
	fmt.Fprintf(stderr, "lab: service %s is stable; state: %s\n", plan.Service, st.Path())
	fmt.Fprintln(stdout, ap.Endpoint())
	return nil
}
