// Package local is lab's local target: the service's tasks as Docker
// containers under Fargate-sized limits, an ALB-like balancer in front of
// them, and per-task stats from the Docker stats stream.
package local

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/client"

	"github.com/ecslab/lab/internal/dockerhost"
)

// Labels lab puts on what it creates, so that gc finds it again.
const (
	LabelRun      = "io.ecslab.run"
	LabelScenario = "io.ecslab.scenario"
	LabelRole     = "io.ecslab.role"
	LabelEntry    = "io.ecslab.entry"
	LabelTask     = "io.ecslab.task"
)

// Connect returns a client for the Docker daemon lab finds as the docker
// CLI does (DOCKER_HOST, DOCKER_CONTEXT, the current context of the CLI's
// config.json, the default socket), and checks that the daemon answers.
// Its error is one line for a person: the address tried, how it was
// found, and what to do.
func Connect(ctx context.Context) (*client.Client, error) {
	ep, err := dockerhost.Resolve()
	if err != nil {
		return nil, fmt.Errorf("find Docker: %w", err)
	}
	return ConnectTo(ctx, ep)
}

// ConnectTo is Connect for an endpoint already resolved.
func ConnectTo(ctx context.Context, ep dockerhost.Endpoint) (*client.Client, error) {
	cli, err := dockerhost.NewClient(ep)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		return nil, &UnreachableError{Host: ep.String(), Err: err}
	}
	return cli, nil
}

// UnreachableError says that the Docker daemon did not answer.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach Docker at %s: start Docker (or choose a running daemon with DOCKER_HOST, DOCKER_CONTEXT or `docker context use`) and try again; `lab doctor` says more", e.Host)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// LostError says that the Docker daemon stopped answering while a run
// went on: lab can neither watch nor remove its tasks.
type LostError struct {
	Host string
	Err  error
}

func (e *LostError) Error() string {
	// The root cause only (EOF, connection refused): the request that
	// met it does not help.
	cause := e.Err
	for {
		if multi, ok := cause.(interface{ Unwrap() []error }); ok && len(multi.Unwrap()) > 0 {
			cause = multi.Unwrap()[0] // errors.Join: the first says it
			continue
		}
		next := errors.Unwrap(cause)
		if next == nil {
			break
		}
		cause = next
	}
	return fmt.Sprintf("Docker stopped answering at %s mid-run (%v): the run stopped there; once Docker is back, `lab gc` removes what it left", e.Host, cause)
}

func (e *LostError) Unwrap() error { return e.Err }

// lost turns err into a *LostError when the daemon no longer answers:
// then the error of the one call that met it matters less than that.
func (t *Target) lost(err error) error {
	var le *LostError
	if err == nil || errors.As(err, &le) || errors.Is(err, context.Canceled) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, perr := t.cli.Ping(ctx); perr == nil {
		return err
	}
	return &LostError{Host: t.cli.DaemonHost(), Err: err}
}
