package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/report"
)

// Verbs that read results directories: report and compare.

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
	cmd.Flags().StringVar(&prices, "prices", "", "Fargate price table `FILE` (default: the built-in us-east-1 table)")
	return cmd
}

func newCompareCommand() *cobra.Command {
	var prices, html string
	cmd := &cobra.Command{
		Use:   "compare RUN_DIR...",
		Short: "Compare runs side by side",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("compare: name at least one results directory")}
			}
			return nil
		},
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
	cmd.Flags().StringVar(&prices, "prices", "", "Fargate price table `FILE` (default: the built-in us-east-1 table)")
	cmd.Flags().StringVar(&html, "html", "", "also write the comparison as an HTML `FILE`")
	return cmd
}

// loadPrices is the price table from a file, or the built-in one.
func loadPrices(path string) (report.PriceTable, error) {
	if path == "" {
		return report.DefaultPrices(), nil
	}
	table, err := report.LoadPrices(path)
	if err != nil {
		return report.PriceTable{}, usageError{fmt.Errorf("--prices: %w", err)}
	}
	return table, nil
}
