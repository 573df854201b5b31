package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/local/doctor"
)

func newDoctorCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check Docker for local runs: which daemon, what it is, how lab reaches tasks, and what lab will do",
		Long: `lab doctor finds the Docker daemon as lab run does (DOCKER_HOST,
DOCKER_CONTEXT, the docker CLI's current context), asks it what it is,
starts one small container to see how lab reaches tasks, and says for each
finding what lab will do. It exits 1 when something blocks a run, with the
fix.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := doctor.Diagnose(cmd.Context(), doctor.Options{Log: &prefixWriter{w: cmd.ErrOrStderr(), prefix: "lab: "}})
			if err := printReport(cmd.OutOrStdout(), r); err != nil {
				return err
			}
			if r.Failed() {
				return errors.New("lab doctor: something above blocks a run (FAIL): its fix is on the line below it")
			}
			return nil
		},
	}
}

// printReport writes one check per two lines: the verdict, the name and
// what was found; then what lab will do, or the fix.
func printReport(w io.Writer, r doctor.Report) error {
	for _, c := range r {
		if _, err := fmt.Fprintf(w, "%-4s  %-8s  %s\n%16s-> %s\n", c.Status, c.Name, c.Found, "", c.Action); err != nil {
			return err
		}
	}
	return nil
}
