package tui

import (
	"context"
	"errors"
	"io"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/ecslab/lab/lab"
)

// FPS caps how often the dashboard redraws. Snapshots come once a second
// and nothing animates in between, so a few frames a second keep keys
// responsive without spending the CPU the containers are measured on.
const FPS = 5

// DashboardConfig configures RunDashboard. The zero value draws on the
// terminal (stdin and stdout).
type DashboardConfig struct {
	// ResultsDir is where the run writes its results; the summary shows it.
	ResultsDir string
	// Styles default to DefaultStyles(lipgloss.DefaultRenderer()).
	Styles *Styles
	// Input and Output default to the terminal; tests and demos set them.
	Input  io.Reader
	Output io.Writer
	// NoAltScreen keeps the dashboard in the normal screen (tests).
	NoAltScreen bool
	// NoCommands: the run takes no commands (a capacity search steers
	// its own load); the keys that would send one say so.
	NoCommands bool
}

// Result is how the user left the dashboard.
type Result struct {
	// RunAgain: the user pressed r on the summary; run the scenario again.
	RunAgain bool
	// Stopped: the user stopped the run before it ended (lab.Run returns
	// an error wrapping lab.ErrInterrupted).
	Stopped bool
}

// Dashboard is a running dashboard program, started by RunDashboard. Give
// the run Context(), Observer() and Commands(), then call Wait with
// lab.Run's error.
type Dashboard struct {
	ctx    context.Context
	cancel context.CancelFunc
	fwd    *forwarder
	cmds   chan lab.Command
	done   chan struct{}

	mu     sync.Mutex
	result Result
	err    error
}

// RunDashboard starts the live dashboard of one run on the terminal and
// returns at once. The run must use the Dashboard's Context (quitting
// cancels it), Observer and Commands:
//
//	dash := tui.RunDashboard(ctx, tui.DashboardConfig{ResultsDir: dir})
//	summary, err := lab.Run(dash.Context(), sc, target, lab.Options{
//		Observers: []lab.Observer{writer, dash.Observer()},
//		Commands:  dash.Commands(),
//	})
//	res, uiErr := dash.Wait(err)
//
// When ctx is cancelled (a signal), the dashboard shows the run stopping
// and leaves once it has ended. If the program ends for any other reason
// while the run goes on, the run is cancelled: it never runs unseen.
func RunDashboard(ctx context.Context, cfg DashboardConfig) *Dashboard {
	runCtx, cancel := context.WithCancel(ctx)
	d := &Dashboard{
		ctx:    runCtx,
		cancel: cancel,
		fwd:    newForwarder(),
		cmds:   make(chan lab.Command, 8),
		done:   make(chan struct{}),
	}
	st := DefaultStyles(lipgloss.DefaultRenderer())
	if cfg.Styles != nil {
		st = *cfg.Styles
	}
	cmds := d.cmds
	if cfg.NoCommands {
		cmds = nil
	}
	m := newModel(st, cmds, cancel, cfg.ResultsDir)
	m.parent = ctx
	opts := []tea.ProgramOption{tea.WithFPS(FPS), tea.WithoutSignalHandler()}
	if !cfg.NoAltScreen {
		opts = append(opts, tea.WithAltScreen())
	}
	if cfg.Input != nil {
		opts = append(opts, tea.WithInput(cfg.Input))
	}
	if cfg.Output != nil {
		opts = append(opts, tea.WithOutput(cfg.Output))
	}
	p := tea.NewProgram(m, opts...)

	stop := make(chan struct{})
	go d.fwd.pump(p.Send, stop)
	go func() {
		// A signal cancels ctx: say so, and let the run's end quit.
		select {
		case <-ctx.Done():
			p.Send(interruptMsg{})
		case <-stop:
		}
	}()
	go func() {
		final, err := p.Run()
		close(stop)
		cancel()
		d.mu.Lock()
		if fm, ok := final.(model); ok {
			d.result = fm.result
		}
		if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			d.err = err
		}
		d.mu.Unlock()
		close(d.done)
	}()
	return d
}

// Context is the run's context: cancelled when the user stops the run.
func (d *Dashboard) Context() context.Context { return d.ctx }

// Observer is what the run publishes to; it never blocks the run.
func (d *Dashboard) Observer() lab.Observer { return d.fwd }

// Commands carries the user's scale, resize, pause and kill keys to the
// run (lab.Options.Commands).
func (d *Dashboard) Commands() <-chan lab.Command { return d.cmds }

// Wait shows runErr (lab.Run's error, or nil) in the summary and blocks
// until the user leaves the dashboard. The error is the program's own
// (e.g. no terminal), not the run's.
func (d *Dashboard) Wait(runErr error) (Result, error) {
	d.fwd.push(runEndedMsg{runErr})
	<-d.done
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.result, d.err
}

// Done is closed when the program has ended.
func (d *Dashboard) Done() <-chan struct{} { return d.done }
