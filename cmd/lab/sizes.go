package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/scenarios"
)

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
