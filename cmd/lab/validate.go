package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/scenarios"
)

func newValidateCommand() *cobra.Command {
	var target, settingsFile string
	cmd := &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files; errors name file:line:column and the field",
		Long: `Check scenario files; errors name file:line:column and the field.

With --target ecs, also check what keeps a scenario from running on ECS
as it is (a task definition's image that ECS cannot pull, a secret only
this machine can read), without AWS: the checks of the dry run.`,
		Args: atLeastOneArg("scenario file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if target != "local" && target != "ecs" {
				return usageError{fmt.Errorf("--target %q: want local or ecs", target)}
			}
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
				if target == "ecs" && !sc.Workload.RemoteTaskDefinition() {
					if err := checkForECS(sc, settingsFile); err != nil {
						errs = append(errs, err)
						continue
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%s, %d %s x %s)\n", arg, sc.Name, n, entries, length)
				if sc.Workload.RemoteTaskDefinition() {
					fmt.Fprintf(cmd.OutOrStdout(), "  task definition %s: read from ECS when the scenario runs (not checked here)\n", sc.Workload.TaskDefinition)
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVar(&target, "target", "local", "where the scenario is to run: local or ecs")
	cmd.Flags().StringVar(&settingsFile, "ecs", "", "with --target ecs: a file of ECS settings, as for lab run")
	return cmd
}

// checkForECS is what the ECS plan of sc finds that keeps it from being
// applied as it is; settings not given yet are not an error here.
func checkForECS(sc *scenarios.Scenario, settingsFile string) error {
	set, err := mergedSettings(sc, settingsFile)
	if err != nil {
		return err
	}
	plan, err := ecs.NewPlan(sc, set)
	if err != nil {
		return err
	}
	return planErrors(sc, plan)
}
