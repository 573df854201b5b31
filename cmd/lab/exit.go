package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// Exit codes (docs/architecture.md lists them for users).
const (
	exitOK          = 0
	exitFailed      = 1   // the run failed: a Docker or AWS error
	exitBadInput    = 2   // usage or scenario errors
	exitThresholds  = 3   // thresholds failed
	exitInterrupted = 130 // SIGINT, SIGTERM or SIGHUP, after clean-up
)

// errThresholds says that the run completed and its thresholds failed;
// what failed has been printed already.
var errThresholds = errors.New("thresholds failed")

// verdictError is a completed run's failing verdict with its reason for
// people (lab capacity: no fleet meets the peak). It exits 3, as failed
// thresholds do: errors.Is finds errThresholds in it.
type verdictError struct{ reason string }

func (e verdictError) Error() string        { return e.reason }
func (e verdictError) Is(target error) bool { return target == errThresholds }

// usageError marks bad input on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode maps an error to lab's exit code, printing it for people first.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var list scenarios.ErrorList
	var ue usageError
	var verdict verdictError
	switch {
	case errors.Is(err, lab.ErrInterrupted):
		fmt.Fprintln(stderr, "lab: interrupted; cleaned up, results of what ran are written")
		return exitInterrupted
	case errors.Is(err, errThresholds):
		if errors.As(err, &verdict) {
			fmt.Fprintf(stderr, "lab: %v\n", err)
		}
		return exitThresholds
	case errors.As(err, &list):
		fmt.Fprintln(stderr, err)
		return exitBadInput
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lab: %v\n", err)
		return exitBadInput
	}
	fmt.Fprintf(stderr, "lab: %v\n", err)
	return exitFailed
}
