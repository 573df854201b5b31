package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/workload"
)

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
