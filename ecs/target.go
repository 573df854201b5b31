package ecs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
)

// Target runs a scenario's service on ECS: lab.Target for `lab run
// --target ecs`. Deploy applies the plan entry by entry (the first
// creates everything, later ones deploy a new revision to the same
// service) and waits until the service is stable; a poller then watches
// the service, its tasks, CloudWatch and Application Auto Scaling, and
// Observe hands out what it saw last. Close removes everything (Down).
type Target struct {
	c       *Clients
	plan    *Plan
	ap      *Applier
	state   *State
	cluster string
	service string

	// StableTimeout bounds each wait for a stable service (default 15 min:
	// Fargate tasks take a minute or two to start and pass ALB checks).
	StableTimeout time.Duration
	// ObservePoll is how often the service is described (default 5 s);
	// CloudWatch is asked once a minute, as it has one datapoint a minute.
	ObservePoll time.Duration
	// ReadyTimeout bounds the wait, after the service is stable, for its
	// tasks to be healthy in the target group and the endpoint to answer
	// (default 5 min).
	ReadyTimeout time.Duration
	// Log receives progress lines (apply, waits, teardown); nil: silent.
	Log func(string)
	// HTTP sends the readiness and round-trip requests to the endpoint.
	HTTP *http.Client
	// Prices price the run's estimate and what it used (Cost).
	Prices report.PriceTable

	mu    sync.Mutex
	obs   lab.Observation
	emit  func(lab.Event)
	sizes map[string]scenarios.Size // task definition ARN -> size
	seen  map[string]bool           // task ARNs, service event IDs, activity IDs already reported
	// began is when the run's first deployment started: stopped tasks
	// created before it are an earlier run's, not this one's.
	began time.Time
	// addrs are the private addresses of the service's running tasks:
	// in a target group that others share, only these are lab's.
	addrs map[string]bool
	used  usage
	// pollMu serialises polls (the poller's and Deploy's first one); it
	// guards noAct and lastCW.
	pollMu  sync.Mutex
	noAct   bool // DescribeScalingActivities is not available (an emulator)
	lastCW  time.Time
	cpu     float64
	mem     float64
	cancel  context.CancelFunc
	polling sync.WaitGroup

	// genMu guards the generators' calls and the tasks started, to be
	// stopped by Close; entry is the entry deployed last.
	genMu    sync.Mutex
	genTasks []string
	entry    int
}

// NewTarget prepares a run of plan on ECS with clients, recording what it
// creates in state.
func NewTarget(c *Clients, plan *Plan, state *State) (*Target, error) {
	ap, err := NewApplier(c, plan, state)
	if err != nil {
		return nil, err
	}
	return &Target{
		c: c, plan: plan, ap: ap, state: state,
		cluster: plan.Cluster, service: plan.Service,
		StableTimeout: 15 * time.Minute, ObservePoll: 5 * time.Second, ReadyTimeout: 5 * time.Minute,
		HTTP: &http.Client{Timeout: 10 * time.Second}, Prices: report.DefaultPrices(),
		sizes: map[string]scenarios.Size{}, seen: map[string]bool{}, addrs: map[string]bool{},
	}, nil
}

var (
	_ lab.Target      = (*Target)(nil)
	_ lab.RTTProber   = (*Target)(nil)
	_ lab.SelfScaling = (*Target)(nil)
)

// Name is "ecs".
func (t *Target) Name() string { return "ecs" }

// ScalesItself is true: Application Auto Scaling scales the service, and
// the target reports its activities as scaling decisions.
func (t *Target) ScalesItself() bool { return true }

func (t *Target) logf(format string, args ...any) {
	if t.Log != nil {
		t.Log(fmt.Sprintf(format, args...))
	}
}

// Deploy applies the entry's calls (and, for the first, everything they
// share), waits until the service is stable (failing at once when the
// deployment circuit breaker stops the deployment), starts watching it,
// and waits until the target group reports the entry's tasks healthy and
// the endpoint answers: the load starts only then.
func (t *Target) Deploy(ctx context.Context, e scenarios.Entry, emit func(lab.Event)) error {
	pos := slices.IndexFunc(t.plan.Entries, func(p scenarios.Entry) bool { return p.Index == e.Index })
	if pos < 0 {
		return fmt.Errorf("ecs: entry %d is not in the plan", e.Index+1)
	}
	t.genMu.Lock()
	t.entry = e.Index
	t.genMu.Unlock()
	t.mu.Lock()
	t.emit = emit
	if t.began.IsZero() {
		t.began = time.Now()
	}
	t.mu.Unlock()
	t.ap.Log, t.ap.Poll = t.Log, t.ObservePoll
	if err := t.ap.ApplyEntry(ctx, pos); err != nil {
		return fmt.Errorf("%w; `lab ecs down %s` removes what was created", err, t.plan.Scenario)
	}
	t.mu.Lock()
	t.sizes[t.ap.TaskDefinition(pos)] = e.Size
	t.mu.Unlock()
	t.startPolling()
	if err := t.ap.WaitStable(ctx, t.StableTimeout); err != nil {
		return err
	}
	t.poll(ctx) // the first observation is of the stable service
	return t.waitReady(ctx, e.Count)
}

// Endpoint is the ALB's address.
func (t *Target) Endpoint() string { return t.ap.Endpoint() }

// Observe returns the last observation of the poller.
func (t *Target) Observe() lab.Observation {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.obs
	o.Tasks = slices.Clone(t.obs.Tasks)
	return o
}

// Scale sets the service's desired count (Application Auto Scaling may
// change it again).
func (t *Target) Scale(ctx context.Context, n int) error {
	_, err := t.c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(t.cluster), Service: aws.String(t.service), DesiredCount: aws.Int32(int32(n)),
	})
	return Explain(err)
}

// Resize registers a revision of the current task definition at size and
// deploys it, returning once the service is stable on it.
func (t *Target) Resize(ctx context.Context, size scenarios.Size) error {
	cur, err := t.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.cluster), Services: []string{t.service}})
	if err != nil {
		return Explain(err)
	}
	if len(cur.Services) == 0 {
		return fmt.Errorf("ecs: service %s is gone", t.service)
	}
	td, err := t.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: cur.Services[0].TaskDefinition, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if err != nil {
		return Explain(err)
	}
	d := td.TaskDefinition
	reg, err := t.c.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: d.Family, RequiresCompatibilities: d.RequiresCompatibilities, NetworkMode: d.NetworkMode,
		Cpu: aws.String(strconv.Itoa(size.CPU)), Memory: aws.String(strconv.Itoa(size.Memory)),
		ExecutionRoleArn: d.ExecutionRoleArn, TaskRoleArn: d.TaskRoleArn,
		ContainerDefinitions: d.ContainerDefinitions, Tags: td.Tags,
	})
	if err != nil {
		return Explain(err)
	}
	arn := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	t.mu.Lock()
	t.state.TaskDefinitions = addUnique(t.state.TaskDefinitions, arn)
	t.sizes[arn] = size
	t.mu.Unlock()
	if err := t.state.Save(); err != nil {
		return err
	}
	if _, err := t.c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(t.cluster), Service: aws.String(t.service), TaskDefinition: aws.String(arn)}); err != nil {
		return Explain(err)
	}
	return stableWait{
		c: t.c, cluster: t.cluster, service: t.service,
		timeout: t.StableTimeout, poll: t.ObservePoll, logf: t.logf,
	}.wait(ctx)
}

// KillTask stops n running tasks. ECS has no crash on call: this is
// StopTask (SIGTERM, then SIGKILL after the stop timeout), and the plan
// says so; ECS replaces them.
func (t *Target) KillTask(ctx context.Context, n int) error {
	return t.stopTasks(ctx, n, killReason)
}

// StopTask stops n running tasks with StopTask; ECS replaces them.
func (t *Target) StopTask(ctx context.Context, n int) error {
	return t.stopTasks(ctx, n, lab.StopTaskReason)
}

// killReason is the reason StopTask gets for a kill_task action.
const killReason = "lab: kill_task action (StopTask on ECS)"

func (t *Target) stopTasks(ctx context.Context, n int, reason string) error {
	list, err := t.c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(t.cluster), ServiceName: aws.String(t.service), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil {
		return Explain(err)
	}
	if len(list.TaskArns) < n {
		return fmt.Errorf("ecs: %d tasks run, cannot stop %d", len(list.TaskArns), n)
	}
	for _, arn := range list.TaskArns[:n] {
		if _, err := t.c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(t.cluster), Task: aws.String(arn), Reason: aws.String(reason)}); err != nil {
			return Explain(err)
		}
	}
	return nil
}

// Teardown ends an entry. The service stays: the next entry deploys its
// revision onto it, and Close removes it.
func (t *Target) Teardown(ctx context.Context) error { return nil }

// Close stops watching and removes everything the run created.
func (t *Target) Close(ctx context.Context) error {
	t.stopPolling()
	t.logf("removing what the run created (lab ecs down %s)", t.plan.Scenario)
	err := t.stopGenerators(ctx)
	d := &Teardown{Names: t.plan.Names, Plan: t.plan, Cluster: t.cluster, State: t.state, Log: t.Log, Poll: t.ObservePoll}
	err = errors.Join(err, d.Down(ctx, t.c))
	t.mu.Lock()
	t.used.ended = time.Now()
	t.mu.Unlock()
	return err
}

func (t *Target) startPolling() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.polling.Add(1)
	go func() {
		defer t.polling.Done()
		tick := time.NewTicker(t.ObservePoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				t.poll(ctx)
			}
		}
	}()
}

func (t *Target) stopPolling() {
	t.mu.Lock()
	cancel := t.cancel
	t.mu.Unlock()
	if cancel != nil {
		cancel()
		t.polling.Wait()
	}
}

// poll takes one observation. Failures of a poll are reported as events
// and the last observation stands: a throttled Describe must not end a run.
func (t *Target) poll(ctx context.Context) {
	t.pollMu.Lock()
	defer t.pollMu.Unlock()
	resp, err := t.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.cluster), Services: []string{t.service}})
	if err != nil || len(resp.Services) == 0 {
		if err != nil && ctx.Err() == nil {
			t.send(lab.Event{Data: lab.ActionFailed{Name: "observe", Error: Explain(err).Error()}})
		}
		return
	}
	svc := resp.Services[0]
	tasks := t.tasks(ctx)
	t.account(tasks, time.Now())
	healthy := t.healthyTargets(ctx)
	t.serviceEvents(svc.Events)
	t.mu.Lock()
	before := t.obs.Desired
	t.mu.Unlock()
	if before == 0 {
		before = int(svc.DesiredCount)
	}
	t.activities(ctx, before)
	t.metrics(ctx)

	t.mu.Lock()
	defer t.mu.Unlock()
	t.obs = lab.Observation{
		Desired: int(svc.DesiredCount),
		Running: int(svc.RunningCount),
		Healthy: healthy,
		Tasks:   tasks,
		CPUPct:  t.cpu,
		MemPct:  t.mem,
	}
}

func (t *Target) send(ev lab.Event) {
	t.mu.Lock()
	emit := t.emit
	t.mu.Unlock()
	if emit != nil {
		emit(ev)
	}
}

// tasks describes the service's running tasks and reports the ones that
// started or stopped since the last poll.
func (t *Target) tasks(ctx context.Context) []lab.TaskStat {
	var out []lab.TaskStat
	addrs := map[string]bool{}
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		list, err := t.c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(t.cluster), ServiceName: aws.String(t.service), DesiredStatus: status})
		if err != nil || len(list.TaskArns) == 0 {
			continue
		}
		arns := list.TaskArns
		if len(arns) > 100 { // DescribeTasks takes at most 100
			arns = arns[:100]
		}
		desc, err := t.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(t.cluster), Tasks: arns})
		if err != nil {
			continue
		}
		for _, tk := range desc.Tasks {
			id := lastPart(aws.ToString(tk.TaskArn))
			size := t.taskSize(tk)
			if status == ecstypes.DesiredStatusRunning {
				if !t.once("task:" + id) {
					t.send(lab.Event{Data: lab.TaskStarted{Task: id, Size: size.String()}})
				}
				state := "pending"
				if aws.ToString(tk.LastStatus) == "RUNNING" {
					state = "running"
				}
				out = append(out, lab.TaskStat{ID: id, Size: size, State: state, Healthy: tk.HealthStatus == ecstypes.HealthStatusHealthy})
				for _, a := range taskAddresses(tk) {
					addrs[a] = true
				}
				continue
			}
			if t.earlier(tk) {
				continue // an earlier run's task, still listed for an hour after it stopped
			}
			if !t.once("stopped:" + id) {
				t.send(stoppedEvent(id, tk))
			}
		}
	}
	t.mu.Lock()
	t.addrs = addrs
	t.mu.Unlock()
	return out
}

// earlier says whether a task was created before this run began.
func (t *Target) earlier(tk ecstypes.Task) bool {
	t.mu.Lock()
	began := t.began
	t.mu.Unlock()
	created := tk.CreatedAt
	if created == nil {
		created = tk.StartedAt
	}
	return created != nil && !began.IsZero() && created.Before(began)
}

// taskAddresses are the private IPv4 addresses of a task's network
// interface: what it registers in the target group by.
func taskAddresses(tk ecstypes.Task) []string {
	var out []string
	for _, at := range tk.Attachments {
		for _, d := range at.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" && aws.ToString(d.Value) != "" {
				out = append(out, aws.ToString(d.Value))
			}
		}
	}
	return out
}

// once reports whether key was seen before, and marks it seen.
func (t *Target) once(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[key] {
		return true
	}
	t.seen[key] = true
	return false
}

func (t *Target) taskSize(tk ecstypes.Task) scenarios.Size {
	t.mu.Lock()
	s, ok := t.sizes[aws.ToString(tk.TaskDefinitionArn)]
	t.mu.Unlock()
	if ok {
		return s
	}
	cpu, _ := strconv.Atoi(aws.ToString(tk.Cpu))
	mem, _ := strconv.Atoi(aws.ToString(tk.Memory))
	return scenarios.Size{CPU: cpu, Memory: mem}
}

// stoppedEvent is task_stopped for a stopped task, with the container's
// reason when it has one (OOM kills) and the task's stoppedReason
// otherwise, as the local target reports them. Stops of the service
// scheduler (scale-in, deployments) and of lab's teardown carry by_lab:
// the summary does not count them as failures.
func stoppedEvent(id string, tk ecstypes.Task) lab.Event {
	reason := aws.ToString(tk.StoppedReason)
	exit, container := -1, ""
	if c := stoppingContainer(tk.Containers); c != nil {
		if c.ExitCode != nil {
			exit = int(*c.ExitCode)
		}
		if r := aws.ToString(c.Reason); r != "" {
			reason = r
		}
		if len(tk.Containers) > 1 {
			container = aws.ToString(c.Name)
		}
	}
	oom := lab.IsOOMReason(reason)
	if oom {
		reason = lab.StopReasonOOM
	}
	// The actions' stops are the experiment's; deployments', scale-ins'
	// and the teardown's are lab's own.
	stopped := aws.ToString(tk.StoppedReason)
	byLab := tk.StopCode == ecstypes.TaskStopCodeServiceSchedulerInitiated && strings.HasPrefix(stopped, "Scaling activity initiated by") ||
		strings.HasPrefix(stopped, "lab: ") && stopped != killReason && stopped != lab.StopTaskReason
	ev := lab.Event{Data: lab.TaskStopped{Task: id, Reason: reason, Container: container, Exit: &lab.Exit{Code: exit, OOM: oom}, ByLab: byLab}}
	if tk.StoppedAt != nil {
		ev.Time = *tk.StoppedAt
	}
	return ev
}

// stoppingContainer is the container that explains a task's stop: the
// one with a reason of its own (an OOM kill), else the last that exited
// with a code other than 0 (an essential container's exit stops the task;
// an init container that finished with 0 does not), else the last with an
// exit code; nil when none has either.
func stoppingContainer(cs []ecstypes.Container) *ecstypes.Container {
	var failed, exited *ecstypes.Container
	for i := range cs {
		c := &cs[i]
		switch {
		case aws.ToString(c.Reason) != "":
			return c
		case c.ExitCode != nil && *c.ExitCode != 0:
			failed = c
		case c.ExitCode != nil:
			exited = c
		}
	}
	if failed != nil {
		return failed
	}
	return exited
}

// healthyTargets counts the target group's healthy targets that are this
// service's tasks, as ALB sees them: a given target group may hold other
// services' targets, and those are not lab's.
func (t *Target) healthyTargets(ctx context.Context) int {
	tg := t.state.TargetGroupARN
	if tg == "" {
		tg = t.plan.targetGroupARN()
	}
	if tg == "" {
		return 0
	}
	resp, err := t.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, d := range resp.TargetHealthDescriptions {
		if d.Target != nil && t.addrs[aws.ToString(d.Target.Id)] && d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			n++
		}
	}
	return n
}

// serviceEvents reports the service's new event messages (newest first in
// the response), oldest first.
func (t *Target) serviceEvents(evs []ecstypes.ServiceEvent) {
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if t.once("event:" + aws.ToString(e.Id)) {
			continue
		}
		ev := lab.Event{Data: lab.ServiceEvent{Message: aws.ToString(e.Message)}}
		if e.CreatedAt != nil {
			ev.Time = *e.CreatedAt
		}
		t.send(ev)
	}
}

var (
	desiredRE = regexp.MustCompile(`desired count (?:from (\d+) )?to (\d+)`)
	policyRE  = regexp.MustCompile(`triggered policy (\S+)`)
)

// activities reports Application Auto Scaling's new successful scaling
// activities as scaling_decision events, from the desired count observed
// before (desired) unless the activity names it. An emulator without
// DescribeScalingActivities switches this off after the first refusal.
func (t *Target) activities(ctx context.Context, desired int) {
	if t.noAct || t.state.ScalableTarget == "" {
		return
	}
	resp, err := t.c.Autoscaling.DescribeScalingActivities(ctx, &aas.DescribeScalingActivitiesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(t.state.ScalableTarget),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	}, func(o *aas.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		if ctx.Err() == nil && !isThrottle(apiCode(err)) {
			// Not there (an emulator) or not allowed: the run goes on,
			// without AWS's scaling activities in its events.
			t.noAct = true
			t.logf("scaling activities not available, not reported: %v", Explain(err))
		}
		return
	}
	for i := len(resp.ScalingActivities) - 1; i >= 0; i-- {
		a := resp.ScalingActivities[i]
		if a.StatusCode != aastypes.ScalingActivityStatusCodeSuccessful || t.once("activity:"+aws.ToString(a.ActivityId)) {
			continue
		}
		m := desiredRE.FindStringSubmatch(aws.ToString(a.Description))
		if m == nil {
			continue
		}
		to, _ := strconv.Atoi(m[2])
		from := desired
		if m[1] != "" {
			from, _ = strconv.Atoi(m[1])
		}
		dir := lab.ScaleOut
		if to < from || to == from && strings.Contains(aws.ToString(a.Cause), "AlarmLow") {
			dir = lab.ScaleIn
		}
		desired = to
		policy := "application-autoscaling"
		if m := policyRE.FindStringSubmatch(aws.ToString(a.Cause)); m != nil {
			policy = m[1]
		}
		ev := lab.Event{Data: lab.ScalingDecision{Direction: dir, From: from, To: to, Policy: policy,
			Metric: "aws", Formula: aws.ToString(a.Description), Note: aws.ToString(a.Cause)}}
		if a.EndTime != nil {
			ev.Time = *a.EndTime
		}
		t.send(ev)
	}
}

// metrics asks CloudWatch for the service's CPU and memory utilization,
// once a minute (ECS publishes one datapoint a minute).
func (t *Target) metrics(ctx context.Context) {
	now := time.Now()
	if now.Sub(t.lastCW) < time.Minute {
		return
	}
	t.lastCW = now
	t.mu.Lock()
	t.used.metrics += 2
	t.mu.Unlock()
	resp, err := t.c.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-5 * time.Minute)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{t.metricQuery("cpu", "CPUUtilization"), t.metricQuery("mem", "MemoryUtilization")},
		ScanBy:            cwtypes.ScanByTimestampDescending,
	})
	if err != nil {
		return
	}
	for _, r := range resp.MetricDataResults {
		if len(r.Values) == 0 {
			continue
		}
		t.mu.Lock()
		switch aws.ToString(r.Id) {
		case "cpu":
			t.cpu = r.Values[0]
		case "mem":
			t.mem = r.Values[0]
		}
		t.mu.Unlock()
	}
}

// targetGroupARN is the given target group of the plan, if any.
func (p *Plan) targetGroupARN() string {
	for _, s := range p.Steps {
		if in, ok := s.Input.(*elb.DescribeTargetGroupsInput); ok && len(in.TargetGroupArns) > 0 {
			return in.TargetGroupArns[0]
		}
	}
	return ""
}
