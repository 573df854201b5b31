package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/internal/buildinfo"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lab's version, commit, Go version and platform",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return printVersion(cmd.OutOrStdout(), buildinfo.Read())
		},
	}
}

// printVersion writes info as `lab version` shows it, e.g.
//
//	lab v1.4.0
//	commit:   0123456789ab 2026-12-06T18:00:00Z
//	go:       go1.26.8
//	platform: darwin/arm64
func printVersion(w io.Writer, info buildinfo.Info) error {
	commit := info.Commit
	if commit == "" {
		commit = "unknown"
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if info.Time != "" {
		commit += " " + info.Time
	}
	if info.Modified {
		commit += " (with uncommitted changes)"
	}
	platform := info.Platform
	if info.CGO {
		platform += " (cgo)"
	}
	_, err := fmt.Fprintf(w, "lab %s\ncommit:   %s\ngo:       %s\nplatform: %s\n", info.Version, commit, info.GoVersion, platform)
	return err
}
