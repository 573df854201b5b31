package main

import (
	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/lab/local/taskagent"
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
	cmd.AddCommand(&cobra.Command{
		Use:   "agent",
		Short: "Serve a task's metadata and credentials endpoints, fed by lab (what a task's agent container runs)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return taskagent.ServeFromEnv(cmd.Context())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "pause",
		Short: "Wait for SIGTERM: what holds a multi-container task's network namespace",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.Pause(cmd.Context())
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Run a share of a run's load (configured in " + generate.EnvConfig + ") and print a window of it per second",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return generate.RunFromEnv(cmd.Context(), cmd.OutOrStdout())
		},
	})
	return cmd
}
