package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/tui"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "lab",
		Short: "A local container lab for services that run on Amazon ECS (Fargate)",
		Long: `lab runs a load experiment, described by a scenario file, on Docker
containers sized like Fargate tasks behind an ALB-like balancer, and writes
results and a report. Start with: lab list, then lab run cpu-vertical.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isTerminal(cmd.OutOrStdout()) {
				return cmd.Help()
			}
			arg, ok, err := tui.Pick(cmd.Context(), tui.PickConfig{})
			if err != nil || !ok {
				return err // not ok: the user left without choosing
			}
			o := runOptions{out: "runs"}
			o.target, _ = cmd.Flags().GetString("target")
			return runLoop(cmd.Context(), arg, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	root.PersistentFlags().String("target", "local", "where the service runs: local (Docker) or ecs")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
	})
	root.AddCommand(
		newRunCommand(),
		newValidateCommand(),
		newListCommand(),
		newSizesCommand(),
		newGCCommand(),
		newReportCommand(),
		newCompareCommand(),
		newWorkloadCommand(),
		newInitCommand(),
		newECSCommand(),
		newVersionCommand(),
		newCapacityCommand(),
		newCalibrateCommand(),
		newDoctorCommand(),
	)
	return root
}
