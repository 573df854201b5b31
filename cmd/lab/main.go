// Command lab is a local-first container lab for services that run on
// Amazon ECS (Fargate). This package only parses flags and wires the
// parts together; exit codes are decided in exit.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGHUP too: a closed terminal window, a dropped ssh session or a
	// killed tmux pane is an exit path that must clean up like Ctrl-C.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	go func() {
		// A second Ctrl-C kills lab at once; `lab gc` removes what it left.
		<-ctx.Done()
		stop()
	}()
	err := newRootCommand().ExecuteContext(ctx)
	os.Exit(exitCode(err, os.Stderr))
}
