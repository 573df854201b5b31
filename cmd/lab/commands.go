package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/workload"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files; errors name file:line:column and the field",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("validate: name at least one scenario file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, arg := range args {
				sc, err := scenarios.Resolve(arg)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				n, entries := len(sc.Entries()), "entries"
				if n == 1 {
					entries = "entry"
				}
				// The load's length as people write it: 2m, 1h, 1m30s (not 2m0s,
				// 1h0m0s): drop zero seconds and minutes after a unit.
				length := sc.LoadDuration().String()
				for _, zero := range []string{"0s", "0m"} {
					if l, ok := strings.CutSuffix(length, zero); ok && (strings.HasSuffix(l, "m") || strings.HasSuffix(l, "h")) {
						length = l
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s, %d %s x %s)\n", arg, sc.Name, n, entries, length)
			}
			return errors.Join(errs...)
		},
	}
}

func newListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, b := range scenarios.Builtins() {
				fmt.Fprintf(tw, "%s\t%s\n", b.Name, format.FirstLine(b.Description))
			}
			return tw.Flush()
		},
	}
}

func newSizesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sizes",
		Short: "Print the Fargate task size table",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CPU UNITS\tVCPU\tMEMORY (MiB)")
			for _, r := range scenarios.Sizes() {
				fmt.Fprintf(tw, "%d\t%g\t%s\n", r.CPU, float64(r.CPU)/1024, r.MemoryText())
			}
			return tw.Flush()
		},
	}
}

func newGCCommand() *cobra.Command {
	var images bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove what dead runs left behind (and, with --images, the cached workload image)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli, err := local.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			dead, err := local.GC(cmd.Context(), cli)
			for _, id := range dead {
				fmt.Fprintf(cmd.OutOrStdout(), "removed run %s\n", id)
			}
			if err != nil {
				return err
			}
			if images {
				n, err := workload.RemoveImages(cmd.Context(), cli)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %d workload image(s)\n", n)
			}
			if len(dead) == 0 && !images {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to remove")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&images, "images", false, "also remove the cached workload image")
	return cmd
}

func newWorkloadCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "workload",
		Short:  "Serve the built-in mock app (what runs inside lab's containers)",
		Hidden: true,
		Args:   exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return workload.RunFromEnv(cmd.Context())
		},
	}
}
