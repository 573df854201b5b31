package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Serve serves the app with the knobs of cfg on addr until ctx is done,
// then shuts down gracefully: it stops accepting connections and lets
// in-flight requests finish, for at most cfg.ShutdownTimeout (default
// DefaultShutdownTimeout), after which it closes the remaining
// connections. It returns nil after a shutdown, and an error when it
// cannot listen or serve.
func Serve(ctx context.Context, addr string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return serveOn(ctx, ln, New(cfg).Handler(), cfg.ShutdownTimeout)
}

// RunFromEnv is `lab workload`, the entrypoint of the workload image: it
// reads the knobs from the environment (ConfigFromEnv), logs them in one
// line on stderr, and serves on PORT until ctx is done or the process gets
// SIGTERM or SIGINT, then shuts down gracefully.
func RunFromEnv(ctx context.Context) error {
	return runFromEnv(ctx, os.Getenv, os.Stderr)
}

func runFromEnv(ctx context.Context, getenv func(string) string, log io.Writer) error {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := ":" + strconv.Itoa(cfg.Port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	fmt.Fprintf(log, "lab workload: listening on %s with %s\n", ln.Addr(), cfg)
	return serveOn(ctx, ln, New(cfg).Handler(), cfg.ShutdownTimeout)
}

// serveOn serves h on ln until ctx is done, then shuts down gracefully
// within timeout. It closes ln.
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// In-flight requests outlived the timeout: cut them off. Their
		// clients see a closed connection, as with a task that stops.
		_ = srv.Close() // returns the listener's close error, already closed
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	return nil
}
