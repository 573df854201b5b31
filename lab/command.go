package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/ecslab/lab/scenarios"
)

// Command is an operation on a running experiment, from a person (the
// TUI) or from the scenario's scheduled actions.
type Command struct {
	Scale    int             // set the desired count, when > 0
	Resize   *scenarios.Size // roll the service to this size
	KillTask int             // kill this many tasks
	StopTask int             // stop this many tasks as ECS's StopTask does
	Pause    *bool           // pause (true) or resume (false) the load
}

// Name is the command's operation, as events.jsonl records it.
func (c Command) Name() string {
	switch {
	case c.Resize != nil:
		return "resize"
	case c.KillTask > 0:
		return "kill_task"
	case c.StopTask > 0:
		return "stop_task"
	case c.Pause != nil && *c.Pause:
		return "pause"
	case c.Pause != nil:
		return "resume"
	default:
		return "scale"
	}
}

// Args is the command's argument, as events.jsonl records it: the size,
// the count, or nothing for pause and resume.
func (c Command) Args() any {
	switch {
	case c.Resize != nil:
		return c.Resize.String()
	case c.KillTask > 0:
		return c.KillTask
	case c.StopTask > 0:
		return c.StopTask
	case c.Pause != nil:
		return nil
	default:
		return c.Scale
	}
}

// actionOf is the action event of a command.
func actionOf(c Command) Action {
	return Action{Name: c.Name(), Args: c.Args()}
}

// actionCommand converts a scheduled action.
func actionCommand(a scenarios.Action) Command {
	return Command{Scale: a.Scale, Resize: a.Resize, KillTask: a.KillTask, StopTask: a.StopTask}
}

// schedule is the scenario's actions of one entry, in time order, and
// which of them have been sent.
type schedule struct {
	actions []scenarios.Action
	next    int
}

// due returns the actions whose time has come by elapsed.
func (s *schedule) due(elapsed time.Duration) []scenarios.Action {
	start := s.next
	for s.next < len(s.actions) && s.actions[s.next].At <= elapsed {
		s.next++
	}
	return s.actions[start:s.next]
}

// apply carries out a command on the target. Scaling and killing are
// quick; a resize rolls for as long as the new tasks take to turn
// healthy, so commands run apart from the tick loop and report back
// through events.
func (r *runner) apply(ctx context.Context, c Command, pause func(bool)) {
	r.emit(Event{Data: actionOf(c)})
	var err error
	switch {
	case c.Pause != nil:
		pause(*c.Pause)
		return
	case c.Resize != nil:
		err = r.target.Resize(ctx, *c.Resize)
	case c.KillTask > 0:
		err = r.target.KillTask(ctx, c.KillTask)
	case c.StopTask > 0:
		err = r.target.StopTask(ctx, c.StopTask)
	case c.Scale > 0:
		err = r.target.Scale(ctx, c.Scale)
	default:
		err = fmt.Errorf("nothing to do")
	}
	if err != nil && ctx.Err() == nil {
		r.emit(Event{Data: ActionFailed{Name: c.Name(), Error: err.Error()}})
	}
}
