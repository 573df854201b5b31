// Command lab-workload is lab's built-in mock app as a program of its own:
// what lab's workload image runs. It is small and static (no Docker client, no
// AWS), so `make build` cross-compiles it for linux/amd64 and linux/arm64
// beside lab, and lab packages the one that matches the Docker daemon.
//
// With no argument it serves the app; "workload" is accepted before any
// argument, so that an image's entrypoint `/lab workload` runs it as it
// runs lab itself. "probe" runs the CPU probe that lab calibrate compares
// with Fargate and prints its result as one JSON line. "agent" serves a
// task's metadata and credentials endpoints (package taskagent), fed by
// lab. "pause" waits for SIGTERM: a multi-container task's holder, which
// owns its network namespace. "generate" runs a share of a run's load
// (its configuration, JSON, in LAB_GENERATOR) and prints a window of it
// per second.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/lab/local/taskagent"
	"github.com/ecslab/lab/workload/app"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "workload" {
		args = args[1:]
	}
	switch {
	case len(args) == 0:
		if err := app.RunFromEnv(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "lab workload:", err)
			os.Exit(1)
		}
	case len(args) == 1 && args[0] == "probe":
		if err := app.WriteProbe(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "lab workload probe:", err)
			os.Exit(1)
		}
	case len(args) == 1 && args[0] == "agent":
		if err := taskagent.ServeFromEnv(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "lab workload agent:", err)
			os.Exit(1)
		}
	case len(args) == 1 && args[0] == "pause":
		app.Pause(context.Background())
	case len(args) == 1 && args[0] == "generate":
		if err := generate.RunFromEnv(context.Background(), os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "lab workload generate:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: lab-workload [workload] [probe|agent|pause|generate]  (knobs come from the environment: PORT, CPU_WORK, LEAK_PER_REQUEST, DELAY_STEP)")
		os.Exit(2)
	}
}
