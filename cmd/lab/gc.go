package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"github.com/ecslab/lab/internal/dockerhost"
	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/workload"
)

func newGCCommand() *cobra.Command {
	var images bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove what dead runs left behind (and, with --images, the cached workload image)",
		Long: `gc removes the containers and networks of runs whose lab process is gone.
A run is taken for dead only on proof: its process (pid and start time,
from the labels on its containers) no longer exists on this host, or,
where there is no /proc, its lock file is free. A run gc cannot tell
about (another host, another user's process it cannot see, a lock file
it cannot find) is left alone and named. With --images it also removes
the cached workload images, except those a live run uses.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli, err := local.Connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cli.Close()
			return runGC(cmd.Context(), cli, cmd.OutOrStdout(), images)
		},
	}
	cmd.Flags().BoolVar(&images, "images", false, "also remove the cached workload images no live run uses")
	return cmd
}

// runGC removes dead runs (and workload images) and says what it did:
// a removal that failed is an error, never "removed".
func runGC(ctx context.Context, cli client.APIClient, out io.Writer, images bool) error {
	rep, err := local.GC(ctx, cli)
	if err != nil {
		return err
	}
	for _, id := range rep.Removed {
		fmt.Fprintf(out, "removed run %s\n", id)
	}
	for _, r := range rep.Live {
		fmt.Fprintf(out, "kept run %s: %s\n", r.ID, r.Why)
	}
	errs := []error{rep.Err(), removeEnvelopes(ctx, cli, rep.Removed)}
	removedImages := 0
	if images {
		n, err := workload.RemoveImages(ctx, cli, rep.LiveImages())
		removedImages = n
		fmt.Fprintf(out, "removed %d workload image(s)\n", n)
		errs = append(errs, err)
	}
	if len(rep.Removed)+len(rep.Live)+len(rep.Failed)+removedImages == 0 && !images {
		fmt.Fprintln(out, "nothing to remove")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gc: %w", err)
	}
	return nil
}

// removeEnvelopes removes the task envelopes (parent cgroups) of dead
// runs, where lab can make them: the runtime removes a container's cgroup,
// not its parent's. Where lab cannot, no run made one.
func removeEnvelopes(ctx context.Context, cli client.APIClient, runs []string) error {
	if len(runs) == 0 {
		return nil
	}
	ep, err := dockerhost.Resolve()
	if err != nil {
		return nil
	}
	info, err := cli.Info(ctx)
	if err != nil {
		return fmt.Errorf("task envelopes: %w", err)
	}
	h, err := envelope.Probe(envelope.Daemon{Local: ep.Local(), OS: info.OSType, OperatingSystem: info.OperatingSystem,
		CgroupVersion: info.CgroupVersion, CgroupDriver: info.CgroupDriver}, cgroupRoot)
	if err != nil {
		return nil
	}
	var errs []error
	for _, run := range runs {
		errs = append(errs, h.RemoveRun(run))
	}
	return errors.Join(errs...)
}
