package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/report"
)

func newReportCommand() *cobra.Command {
	var prices string
	cmd := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "(Re)write RUN_DIR/report.html",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			table, err := loadPrices(prices)
			if err != nil {
				return err
			}
			path, err := report.WriteHTML(args[0], report.Options{Prices: table})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), path)
			return nil
		},
	}
	pricesFlag(cmd, &prices, "")
	return cmd
}
