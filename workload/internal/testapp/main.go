// Command testapp stands in for lab in the workload package's Docker
// tests: `testapp workload` is what the workload image runs, as
// `lab workload` does.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ecslab/lab/workload"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "workload" {
		fmt.Fprintln(os.Stderr, "usage: testapp workload")
		os.Exit(2)
	}
	if err := workload.RunFromEnv(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "lab workload:", err)
		os.Exit(1)
	}
}
