package main

import (
	"github.com/spf13/cobra"

	"github.com/ecslab/lab/workload/app"
)

func newWorkloadCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "workload",
		Short:  "Serve the built-in mock app (what runs inside lab's containers)",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.RunFromEnv(cmd.Context())
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "probe",
		Short: "Run the CPU probe that lab calibrate compares with Fargate, and print its result as JSON",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.WriteProbe(cmd.OutOrStdout())
		},
	})
	return cmd
}
