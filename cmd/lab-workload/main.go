// Command lab-workload is lab's built-in mock app as a program of its own:
// what lab's workload image runs. It is small and static (no Docker, no
// AWS), so `make build` cross-compiles it for linux/amd64 and linux/arm64
// beside lab, and lab packages the one that matches the Docker daemon.
//
// It takes no arguments; "workload" is accepted as the only one, so that
// an image's entrypoint `/lab workload` runs it as it runs lab itself.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ecslab/lab/workload/app"
)

func main() {
	if len(os.Args) > 2 || len(os.Args) == 2 && os.Args[1] != "workload" {
		fmt.Fprintln(os.Stderr, "usage: lab-workload [workload]  (knobs come from the environment: PORT, CPU_WORK, LEAK_PER_REQUEST, DELAY_STEP)")
		os.Exit(2)
	}
	if err := app.RunFromEnv(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "lab workload:", err)
		os.Exit(1)
	}
}
