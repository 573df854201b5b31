package ecs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load/wire"
)

// The load's generators as Fargate tasks (load.from: ecs): Launch starts
// one with RunTask, and its Output is its log stream, read with
// GetLogEvents as the awslogs driver delivers it, until the task has
// stopped and the stream holds nothing more.

var (
	_ lab.GeneratorHost  = (*Target)(nil)
	_ lab.GeneratorPace  = (*Target)(nil)
	_ lab.GeneratorClock = (*Target)(nil)
)

// GeneratorLead is the time between the RunTask calls and the common
// start: Fargate provisions a task and pulls its image in a minute or
// so, sometimes two.
const GeneratorLead = 2 * time.Minute

// generatorLag is how late a window reaches lab: the awslogs driver
// sends what a container wrote every 5 s, and lab reads every
// GeneratorPoll.
const generatorLag = 8 * time.Second

// GeneratorEndpoint is where the generator tasks send the load: the
// service's endpoint, as for load from this machine.
func (t *Target) GeneratorEndpoint() (string, error) {
	if t.plan.generatorDef == 0 {
		return "", errors.New("the plan has no generator tasks: set load.from: ecs")
	}
	return t.Endpoint(), nil
}

// GeneratorLead is GeneratorLead: Fargate tasks start slowly.
func (t *Target) GeneratorLead() time.Duration { return GeneratorLead }

// GeneratorLag is how late windows arrive through CloudWatch Logs.
func (t *Target) GeneratorLag() time.Duration { return generatorLag }

// GeneratorClockOffset is how far AWS's clock, which Fargate keeps its
// tasks' clocks to, is ahead of this machine's, as the Date headers of the
// run's API responses so far bound it: the generators are given their
// common start on AWS's clock.
func (t *Target) GeneratorClockOffset() (offset, bound time.Duration, ok bool) {
	if t.c.Clock == nil {
		return 0, 0, false
	}
	offset, bound, n := t.c.Clock.Offset()
	if n == 0 {
		t.logf("generators: no AWS response carried a Date: their start is on this machine's clock")
		return 0, 0, false
	}
	t.logf("generators: AWS's clock is %s ahead of this machine's (±%s, from %d responses); their start is on AWS's clock",
		offset.Round(time.Millisecond), bound.Round(time.Millisecond), n)
	return offset, bound, true
}

// Launch starts generator gen of the current entry as a Fargate task,
// after sending the generators' shared calls (log group, task
// definition, ingress) the first time.
func (t *Target) Launch(ctx context.Context, gen int, config []byte) (generators.Process, error) {
	// One launch at a time: the shared calls are sent once, and RunTask's
	// rate is limited anyway.
	t.genMu.Lock()
	defer t.genMu.Unlock()
	err := t.ap.applyGenerators(ctx)
	var in *ecs.RunTaskInput
	if err == nil {
		in, err = t.ap.generatorTask(t.entry, string(config))
	}
	if err != nil {
		return nil, fmt.Errorf("generator %d: %w", gen, Explain(err))
	}
	resp, err := t.c.ECS.RunTask(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("generator %d: RunTask: %w", gen, Explain(err))
	}
	if len(resp.Tasks) == 0 {
		why := "no task"
		if len(resp.Failures) > 0 {
			why = aws.ToString(resp.Failures[0].Reason)
		}
		return nil, fmt.Errorf("generator %d: RunTask started %s", gen, why)
	}
	arn := aws.ToString(resp.Tasks[0].TaskArn)
	t.genTasks = append(t.genTasks, arn)
	t.logf("generator %d: task %s started", gen, lastPart(arn))
	p := &generatorTask{t: t, arn: arn, stream: GeneratorStream(arn), exit: -1, launched: time.Now()}
	p.start(ctx)
	return p, nil
}

// GeneratorStream is the log stream of the generator task arn, as the
// awslogs driver names it: prefix/container/task-id.
func GeneratorStream(arn string) string {
	return GeneratorStreamPrefix + "/" + GeneratorContainer + "/" + lastPart(arn)
}

// GeneratorPoll is how often a generator's log stream is read.
var GeneratorPoll = 2 * time.Second

var _ generators.StopReasoner = (*generatorTask)(nil)

// generatorTask is a generator task as generators.Process.
type generatorTask struct {
	t           *Target
	arn, stream string
	out         *io.PipeReader
	cancel      context.CancelFunc
	stop        sync.Once
	launched    time.Time

	mu      sync.Mutex
	stopped bool
	exit    int    // the container's exit code once stopped, -1 without one
	reason  string // why ECS stopped the task, and the container, once stopped
}

func (p *generatorTask) start(ctx context.Context) {
	pr, pw := io.Pipe()
	p.out = pr
	ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go func() { pw.CloseWithError(p.follow(ctx, pw)) }()
}

func (p *generatorTask) Output() io.Reader { return p.out }

// follow copies the stream's events, a line each, to w until the task
// has stopped and a read after that found nothing new.
func (p *generatorTask) follow(ctx context.Context, w io.Writer) error {
	var token *string
	for n := 0; ; n++ {
		read, next, done, err := p.read(ctx, token, w)
		if err != nil || done {
			return err // after done the task only exits: its stop takes Fargate a minute
		}
		token = next
		if read == 0 && p.hasStopped() {
			return nil // stopped, and a read since found nothing more
		}
		if n%3 == 0 { // the task is asked every few reads
			if _, err := p.describe(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(GeneratorPoll):
		}
	}
}

// read copies the events after token and returns how many, the token
// to go on from, and whether the generator's done line was among them.
// A stream not yet created holds nothing.
func (p *generatorTask) read(ctx context.Context, token *string, w io.Writer) (total int, next *string, done bool, err error) {
	for {
		resp, err := p.t.c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(p.t.plan.GeneratorLogGroup), LogStreamName: aws.String(p.stream),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		if apiCode(err) == "ResourceNotFoundException" {
			return total, token, false, nil
		}
		if err != nil {
			return total, token, false, fmt.Errorf("read %s: %w", p.stream, Explain(err))
		}
		for _, ev := range resp.Events {
			line := strings.TrimSuffix(aws.ToString(ev.Message), "\n")
			if _, err := io.WriteString(w, line+"\n"); err != nil {
				return total, token, false, err
			}
			if l, err := wire.Decode([]byte(line)); err == nil && l.Type == wire.TypeDone {
				return total + 1, resp.NextForwardToken, true, nil
			}
		}
		total += len(resp.Events)
		if len(resp.Events) == 0 || aws.ToString(resp.NextForwardToken) == aws.ToString(token) {
			return total, resp.NextForwardToken, false, nil
		}
		token = resp.NextForwardToken
	}
}

func (p *generatorTask) hasStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// describe asks whether the task has stopped, and keeps its exit code.
func (p *generatorTask) describe(ctx context.Context) (bool, error) {
	resp, err := p.t.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(p.t.cluster), Tasks: []string{p.arn}})
	if err != nil {
		return false, fmt.Errorf("describe generator task %s: %w", lastPart(p.arn), Explain(err))
	}
	if len(resp.Tasks) == 0 || aws.ToString(resp.Tasks[0].LastStatus) != string(ecstypes.DesiredStatusStopped) {
		return false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	task := resp.Tasks[0]
	reasons := []string{aws.ToString(task.StoppedReason)}
	for _, c := range task.Containers {
		if aws.ToString(c.Name) != GeneratorContainer {
			continue
		}
		if c.ExitCode != nil {
			p.exit = int(*c.ExitCode)
		}
		reasons = append(reasons, aws.ToString(c.Reason))
	}
	p.reason = strings.Join(slices.DeleteFunc(reasons, func(r string) bool { return r == "" }), "; ")
	return true, nil
}

// StopReason is why ECS stopped the task (its stoppedReason, and the
// generator container's reason when it has one), once it has stopped:
// "Essential container in task exited", "CannotPullContainerError: ...",
// "Task stopped by ...".
func (p *generatorTask) StopReason() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

// Wait returns the generator's exit code once its task has stopped.
func (p *generatorTask) Wait(ctx context.Context) (int, error) {
	for {
		stopped, err := p.describe(ctx)
		if err != nil {
			return 0, err
		}
		if stopped {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.exit, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(GeneratorPoll):
		}
	}
}

// Remove stops the task, once; its stream is no longer read.
func (p *generatorTask) Remove(ctx context.Context) error {
	var err error
	p.stop.Do(func() {
		p.cancel()
		err = p.t.stopGenerator(ctx, p.arn)
		p.t.accountGenerator(time.Since(p.launched))
	})
	return err
}

// stopGenerator stops a generator task; one already stopped is no error.
func (t *Target) stopGenerator(ctx context.Context, arn string) error {
	_, err := t.c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(t.cluster), Task: aws.String(arn), Reason: aws.String("lab: the load is over")})
	if err != nil && !strings.Contains(err.Error(), "not found") {
		return fmt.Errorf("stop generator task %s: %w", lastPart(arn), Explain(err))
	}
	return nil
}

// accountGenerator adds a generator task's time to what the run used:
// from RunTask to StopTask, as Fargate bills it (near enough).
func (t *Target) accountGenerator(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.used.generatorHours += d.Hours()
}

// stopGenerators stops every generator task the run started, on Close.
func (t *Target) stopGenerators(ctx context.Context) error {
	t.genMu.Lock()
	arns := t.genTasks
	t.genTasks = nil
	t.genMu.Unlock()
	var errs []error
	for _, arn := range arns {
		errs = append(errs, t.stopGenerator(ctx, arn))
	}
	return errors.Join(errs...)
}

// applyGenerators sends the generators' shared calls not yet sent.
func (a *Applier) applyGenerators(ctx context.Context) error {
	for i, s := range a.plan.Steps {
		if !s.Generator || s.Entry != -1 || a.done[i] {
			continue
		}
		if err := a.step(ctx, i); err != nil {
			return fmt.Errorf("step %d %s:%s: %w", i+1, s.Service, s.Operation, Explain(err))
		}
		a.done[i] = true
	}
	return nil
}

// generatorTask is entry's RunTask input with its references filled and
// the generator's config in place of the placeholder.
func (a *Applier) generatorTask(entry int, config string) (*ecs.RunTaskInput, error) {
	for _, s := range a.plan.Steps {
		if _, ok := s.Input.(*ecs.RunTaskInput); !ok || !s.Generator || s.Entry != entry {
			continue
		}
		in, err := a.fill(s.Input)
		if err != nil {
			return nil, err
		}
		rt := in.(*ecs.RunTaskInput)
		for _, o := range rt.Overrides.ContainerOverrides {
			for i := range o.Environment {
				if aws.ToString(o.Environment[i].Value) == GeneratorConfigPlaceholder {
					o.Environment[i].Value = aws.String(config)
				}
			}
		}
		return rt, nil
	}
	return nil, fmt.Errorf("the plan has no generator tasks for entry %d", entry+1)
}
