package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/report"
)

func newCompareCommand() *cobra.Command {
	var prices, html string
	cmd := &cobra.Command{
		Use:   "compare RUN_DIR...",
		Short: "Compare runs side by side",
		Args:  atLeastOneArg("results directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			table, err := loadPrices(prices)
			if err != nil {
				return err
			}
			rows, err := report.Compare(args, report.Options{Prices: table})
			if err != nil {
				return err
			}
			if err := report.PrintCompare(cmd.OutOrStdout(), rows); err != nil {
				return err
			}
			if html != "" {
				if err := report.WriteCompareHTML(html, rows); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "compare report: %s\n", html)
			}
			return nil
		},
	}
	pricesFlag(cmd, &prices, "")
	cmd.Flags().StringVar(&html, "html", "", "also write the comparison as an HTML `FILE`")
	return cmd
}
