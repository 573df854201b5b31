package main

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/taskdef"
)

func newInitCommand() *cobra.Command {
	var (
		output, fromDef string
		force           bool
	)
	cmd := &cobra.Command{
		Use:   "init [NAME]",
		Short: "Write a commented starter scenario, a copy of built-in NAME, or a scenario around your task definition",
		Long: `init writes a commented starter scenario to ./scenario.yaml or, given the
name of a built-in scenario (lab list), a copy of it to ./NAME.yaml. With
--from-task-definition FILE it writes ./NAME.yaml (NAME defaults to the
definition's family) around that ECS task definition (the JSON of
RegisterTaskDefinition or of aws ecs describe-task-definition). It never
overwrites a file unless --force is given. --output - writes to stdout.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if fromDef != "" {
				return initFromTaskDefinition(cmd, fromDef, args, output, force)
			}
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
	cmd.Flags().StringVar(&fromDef, "from-task-definition", "", "write a scenario that runs the ECS task definition in `FILE`")
	return cmd
}

// initFromTaskDefinition writes the scenario around the task definition
// in defPath; its warnings (fields lab does not emulate) go to stderr.
func initFromTaskDefinition(cmd *cobra.Command, defPath string, args []string, output string, force bool) error {
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	file := output
	if name == "" || file == "" {
		d, err := taskdef.Load(defPath)
		if err != nil {
			return err
		}
		name = cmp.Or(name, scenarioNameOf(d.Family))
		file = cmp.Or(file, name+".yaml")
	}
	data, warnings, err := scenarioFromTaskDefinition(defPath, name, file)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "lab: note: %s\n", w.Headline())
	}
	if file == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	if err := writeNew(file, data, force); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (a scenario around task definition %s); edit it, then: lab validate %s && lab run %s\n", file, defPath, file, file)
	return nil
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
