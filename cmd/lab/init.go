package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/scenarios"
)

func newInitCommand() *cobra.Command {
	var (
		output string
		force  bool
	)
	cmd := &cobra.Command{
		Use:   "init [NAME]",
		Short: "Write a commented starter scenario, or a copy of built-in NAME, to edit",
		Long: `init writes a commented starter scenario to ./scenario.yaml or, given the
name of a built-in scenario (lab list), a copy of it to ./NAME.yaml. It
never overwrites a file unless --force is given. --output - writes to stdout.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, file, what := scenarios.Starter(), "scenario.yaml", "a starter scenario"
			if len(args) == 1 {
				name := args[0]
				src, err := scenarios.BuiltinSource(name)
				if err != nil {
					var names []string
					for _, b := range scenarios.Builtins() {
						names = append(names, b.Name)
					}
					return usageError{fmt.Errorf("init: no built-in scenario %q; built-ins: %s (lab list describes them)", name, strings.Join(names, ", "))}
				}
				data, file, what = src, name+".yaml", "a copy of built-in "+name
			}
			if output != "" {
				file = output
			}
			if file == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := writeNew(file, data, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s); edit it, then: lab validate %s && lab run %s\n", file, what, file, file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead (- for stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite the file if it exists")
	return cmd
}

// writeNew writes data to file, which must not exist unless force is set.
// Without force the file is created exclusively, so that a file that
// appears meanwhile is not overwritten either.
func writeNew(file string, data []byte, force bool) error {
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return usageError{fmt.Errorf("init: %s is a directory; name a file with --output", file)}
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(file, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageError{fmt.Errorf("init: %s already exists; remove it or pass --force to overwrite it", file)}
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("init: write %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("init: write %s: %w", file, err)
	}
	return nil
}
