package app

import (
	"context"
	"os/signal"
	"syscall"
)

// Pause does nothing until SIGTERM or SIGINT (or ctx ends): what a task's
// holder container runs (`lab-workload pause`). The holder owns the
// task's network namespace, which every container of the task joins, as
// a Fargate task's containers share one. As PID 1 it must handle SIGTERM
// itself: the kernel drops signals PID 1 does not handle.
func Pause(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	return nil
}
