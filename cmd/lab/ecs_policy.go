package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
)

func newECSPolicyCommand() *cobra.Command {
	var settingsFile string
	cmd := &cobra.Command{
		Use:   "iam-policy SCENARIO",
		Short: "Print the least-privilege IAM policy a run of the scenario on ECS needs",
		Long: `iam-policy prints, as JSON for IAM, the policy that lets lab run the
scenario on ECS and remove it: every call the run makes (the plan's, the
polls', the removal's), tagging on creation, iam:PassRole for the
execution role (to ECS tasks only), and the service-linked roles ECS, ELB
and Application Auto Scaling create on first use. It needs no
credentials; settings given (--ecs FILE) narrow it (a given target group
needs no ALB calls).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, set, err := ecsSettings(cmd.Context(), args[0], settingsFile)
			if err != nil {
				return err
			}
			plan, err := ecs.NewPlan(sc, set)
			if err != nil {
				return usageError{err}
			}
			b, err := ecs.MarshalPolicy(plan.IAMPolicy())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			return err
		},
	}
	ecsFileFlag(cmd, &settingsFile)
	return cmd
}
