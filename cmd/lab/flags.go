package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/lab/secrets"
	"github.com/ecslab/lab/scenarios"
)

// Arguments and flags that several verbs share.

// exactArgs is cobra.ExactArgs with lab's usage exit code.
func exactArgs(n int) cobra.PositionalArgs { return usageArgs(cobra.ExactArgs(n)) }

// usageArgs gives the errors of check lab's usage exit code.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}

// atLeastOneArg asks for one argument or more: what names them.
func atLeastOneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageError{fmt.Errorf("%s: name at least one %s", cmd.Name(), what)}
		}
		return nil
	}
}

// ecsFileFlag is --ecs FILE, the ECS settings over the scenario's.
func ecsFileFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVar(file, "ecs", "", "ECS settings `FILE` (the fields of the scenario's ecs: section; the file wins)")
}

// pricesFlag is --prices FILE, read by loadPrices; purpose, when set,
// says what the prices are for.
func pricesFlag(cmd *cobra.Command, file *string, purpose string) {
	cmd.Flags().StringVar(file, "prices", "", "Fargate price table `FILE`"+purpose+" (default: the built-in us-east-1 table)")
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

// secretFlag is --secret NAME=env:VAR|file:PATH, repeatable: the value of
// a scenario's secret for a local run.
func secretFlag(cmd *cobra.Command, values *[]string) {
	cmd.Flags().StringArrayVar(values, "secret", nil, "a secret's value for a local run, from this machine: `NAME=env:VAR` or NAME=file:PATH (repeatable; needed for secrets ECS reads from an ARN)")
}

// secretValues reads the values of the scenario's secrets for a local
// run, and of its task definition's, from --secret or from their
// value_from.
func secretValues(sc *scenarios.Scenario, flagValues []string) (map[string]string, error) {
	flags, err := secrets.ParseFlags(flagValues)
	if err != nil {
		return nil, usageError{err}
	}
	src := secrets.Sources{}
	if !strings.HasPrefix(sc.Source, "builtin:") {
		src.ScenarioDir = filepath.Dir(sc.Source)
	}
	list := append(slices.Clone(sc.Secrets), taskDefinitionSecrets(sc)...)
	values, err := secrets.Resolve(list, flags, src)
	if err != nil {
		return nil, usageError{err}
	}
	return values, nil
}
