package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/scenarios"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files; errors name file:line:column and the field",
		Args:  atLeastOneArg("scenario file"),
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
				if sc.Workload.RemoteTaskDefinition() {
					fmt.Fprintf(cmd.OutOrStdout(), "  task definition %s: read from ECS when the scenario runs (not checked here)\n", sc.Workload.TaskDefinition)
				}
			}
			return errors.Join(errs...)
		},
	}
}
