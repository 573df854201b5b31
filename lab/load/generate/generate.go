// Package generate is a load generator as a process of its own: what the
// workload program's generate mode runs (`lab workload generate`, in a
// container of lab's image), when a scenario splits its load across
// several generators. It runs its share of the load and writes, each
// second, the window of what happened in the format of package wire.
package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/lab/load/wire"
)

// EnvConfig is the environment variable that holds the Config, as JSON.
const EnvConfig = "LAB_GENERATOR"

// Config is what a generator is told: its share of the load, and when
// the schedule that all generators follow starts.
type Config struct {
	Gen     int            `json:"gen"` // this generator's index, from 0
	Of      int            `json:"of"`  // how many generators share the load
	Start   time.Time      `json:"start,omitzero"`
	Mix     []load.Request `json:"mix"`
	Timeout time.Duration  `json:"timeout,omitempty"`
	Phases  []load.Phase   `json:"phases"`
}

// ConfigFromEnv reads the Config from EnvConfig.
func ConfigFromEnv() (Config, error) {
	raw := os.Getenv(EnvConfig)
	if raw == "" {
		return Config{}, fmt.Errorf("%s is not set: it holds the generator's configuration as JSON", EnvConfig)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return Config{}, fmt.Errorf("%s: %w", EnvConfig, err)
	}
	return cfg, nil
}

// lateAfter is how long after the common start a generator may begin
// and still send from second 0: catching up that much of its schedule is
// a scheduler's hiccup. A generator later than that (a Fargate task that
// started after the others) takes the schedule up at the next whole
// second instead, so that its backlog does not reach the service as one
// burst, and the seconds it skipped are under-sent.
const lateAfter = 200 * time.Millisecond

// Run runs the generator's share of the load from cfg.Start and writes
// its lines to out: start, one window per second (the last one once
// every request has completed) and done, or an error line when the
// generator cannot run. When ctx is cancelled it writes the window so
// far and returns ctx's error, without done.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	w := &writer{out: out, gen: cfg.Gen}
	clock := hostClock(ctx, os.Getenv(EnvMetadata))
	start := cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	late := time.Since(start)
	from := skipTo(late)
	gen, err := load.New(load.Config{
		Mix: cfg.Mix, Timeout: cfg.Timeout, Phases: cfg.Phases,
		Share: load.Share{Index: cfg.Gen, Of: cfg.Of}, From: from,
	})
	if err != nil {
		w.write(wire.Line{Type: wire.TypeError, Error: err.Error()})
		return errors.Join(err, w.err)
	}
	if d := time.Until(start); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	first := int(from / time.Second)
	w.write(wire.Line{Type: wire.TypeStart, Start: start.UTC(), From: first, LateNanos: max(int64(late), 0), Clock: clock})
	done := make(chan error, 1)
	go func() { done <- gen.RunAt(ctx, start) }()
	seconds, runErr := w.windows(ctx, gen, start, first, done)
	if runErr == nil {
		w.write(wire.Line{Type: wire.TypeDone, Seconds: seconds})
	}
	return errors.Join(runErr, w.err)
}

// skipTo is where on the schedule a generator that is late by late
// begins: at once up to lateAfter, else at the next whole second.
func skipTo(late time.Duration) time.Duration {
	if late <= lateAfter {
		return 0
	}
	return late.Truncate(time.Second) + time.Second
}

// windows writes a window at the end of every second from second first
// of the schedule until the generator is done, then at once the window
// of that last part of a second, and says how many it wrote.
func (w *writer) windows(ctx context.Context, gen *load.Generator, start time.Time, first int, done <-chan error) (int, error) {
	second := first
	next := func() *time.Timer { return time.NewTimer(time.Until(start.Add(time.Duration(second+1) * time.Second))) }
	tick := next()
	defer func() { tick.Stop() }()
	var runErr error
	running := true
	for {
		select {
		case runErr = <-done:
			running = false // its last window is written now: lab need not wait for the second's end
		case <-tick.C:
		}
		w.window(second, gen.Record(), ctx.Err() != nil)
		second++
		if !running || w.err != nil {
			return second - first, errors.Join(runErr, w.err)
		}
		tick = next()
	}
}

// writer writes lines and keeps the first error: a generator whose
// output is gone has no one to report to.
type writer struct {
	out io.Writer
	gen int
	err error
}

func (w *writer) window(second int, r load.Record, partial bool) {
	l, err := wire.WindowLine(w.gen, second, r)
	if err != nil {
		w.err = firstErr(w.err, err)
		return
	}
	l.Partial = partial
	w.write(l)
}

func (w *writer) write(l wire.Line) {
	if w.err != nil {
		return
	}
	l.V, l.Gen = wire.Version, w.gen
	data, err := l.Encode()
	if err == nil {
		_, err = w.out.Write(data)
	}
	w.err = firstErr(w.err, err)
}

func firstErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// RunFromEnv is the generate mode of the workload program: the Config
// from EnvConfig, run until its load is over or SIGTERM (docker stop,
// ECS's StopTask) or SIGINT says stop.
func RunFromEnv(ctx context.Context, out io.Writer) error {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	return Run(ctx, cfg, out)
}
