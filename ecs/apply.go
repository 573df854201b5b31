package ecs

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Applier sends a plan's calls to AWS, one matrix entry at a time,
// filling the references in each input from the responses of earlier
// steps. Every resource it creates goes into the State (saved after each
// create), so that a failure at any step leaves `lab ecs down` able to
// remove what exists.
//
// Creates are safe to repeat: an existing log group, cluster, ALB, target
// group, listener or service of the same name is taken over rather than
// made twice (CreateService also carries a client token, so the SDK's own
// retry of a timed-out call cannot start a second service), and the
// autoscaling and alarm calls are upserts.
type Applier struct {
	c     *Clients
	plan  *Plan
	state *State
	// Log receives one line per call; nil: silent.
	Log func(string)
	// Poll is the interval of the stable wait (default 5 s, as the
	// services-stable waiter's floor is 15 s a little quicker).
	Poll time.Duration

	outputs []map[string]string // per step: response fields, by Ref.Field
	done    []bool
}

// NewApplier prepares to apply plan with clients, recording into state.
// The plan must have no missing values.
func NewApplier(c *Clients, plan *Plan, state *State) (*Applier, error) {
	if len(plan.Errors) > 0 {
		return nil, fmt.Errorf("the plan cannot be applied: %s", strings.Join(plan.Errors, "; "))
	}
	if m := plan.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("the ECS settings are incomplete: %s (give them in the scenario's ecs: section or with --ecs FILE; --dry-run shows the plan)", strings.Join(fieldsOf(m), ", "))
	}
	state.Cluster, state.Service = plan.Cluster, plan.Service
	return &Applier{
		c: c, plan: plan, state: state, Poll: 5 * time.Second,
		outputs: make([]map[string]string, len(plan.Steps)),
		done:    make([]bool, len(plan.Steps)),
	}, nil
}

func fieldsOf(missing []string) []string {
	out := make([]string, len(missing))
	for i, m := range missing {
		out[i], _, _ = strings.Cut(m, ":")
	}
	return out
}

// Endpoint is the base URL the load goes to: the settings' endpoint, or
// once the balancer steps ran, http://DNSNAME (ALB's listener is on port
// 80).
func (a *Applier) Endpoint() string {
	if a.plan.Endpoint != "" {
		return a.plan.Endpoint
	}
	for _, o := range a.outputs {
		if dns := o["DNSName"]; dns != "" {
			if ListenerPort == 80 {
				return "http://" + dns
			}
			return fmt.Sprintf("http://%s:%d", dns, ListenerPort)
		}
	}
	return ""
}

// TaskDefinition is the ARN registered for a plan entry (0-based index
// into the plan's entries), once applied.
func (a *Applier) TaskDefinition(entry int) string {
	for i, s := range a.plan.Steps {
		if s.Entry == a.plan.Entries[entry].Index && s.Operation == "RegisterTaskDefinition" {
			return a.outputs[i]["TaskDefinitionArn"]
		}
	}
	return ""
}

// ApplyEntry sends the calls of one entry of the plan (0-based index into
// plan.Entries) and every shared call before it that has not run yet. It
// does not wait for the service: see WaitStable.
func (a *Applier) ApplyEntry(ctx context.Context, entry int) error {
	if entry < 0 || entry >= len(a.plan.Entries) {
		return fmt.Errorf("ecs apply: entry %d out of range", entry+1)
	}
	want := a.plan.Entries[entry].Index
	for i, s := range a.plan.Steps {
		if a.done[i] || s.Action != nil || s.Generator {
			continue
		}
		if s.Entry != -1 && s.Entry != want {
			if a.entryPosition(s.Entry) > entry {
				break // a later entry's calls: not yet
			}
			continue
		}
		if err := a.step(ctx, i); err != nil {
			return fmt.Errorf("step %d %s:%s: %w", i+1, s.Service, s.Operation, Explain(err))
		}
		a.done[i] = true
	}
	return nil
}

// outputOf is a field of the response of the first step of operation op
// that ran, or "".
func (a *Applier) outputOf(op, field string) string {
	for i, s := range a.plan.Steps {
		if s.Operation == op && a.outputs[i] != nil {
			return a.outputs[i][field]
		}
	}
	return ""
}

func (a *Applier) entryPosition(index int) int {
	for i, e := range a.plan.Entries {
		if e.Index == index {
			return i
		}
	}
	return -1
}

func (a *Applier) logf(format string, args ...any) {
	if a.Log != nil {
		a.Log(fmt.Sprintf(format, args...))
	}
}

func (a *Applier) save() error { return a.state.Save() }

// step fills the references of step i's input and sends it.
func (a *Applier) step(ctx context.Context, i int) error {
	s := a.plan.Steps[i]
	in, err := a.fill(s.Input)
	if err != nil {
		return err
	}
	out := map[string]string{}
	a.outputs[i] = out
	what, err := a.call(ctx, in, out)
	if err != nil {
		return err
	}
	a.logf("%2d/%d %s:%s %s", i+1, len(a.plan.Steps), s.Service, s.Operation, what)
	return nil
}

// fill returns a deep copy of in with every reference replaced by the
// value it names. The plan itself is left as printed.
func (a *Applier) fill(in any) (any, error) {
	cp := deepCopy(reflect.ValueOf(in))
	var firstErr error
	walkStrings(cp, func(s string) string {
		refs := ParseRefs(s)
		for _, r := range refs {
			val, err := a.resolve(r)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			s = strings.Replace(s, r.String(), val, 1)
		}
		return s
	})
	return cp.Interface(), firstErr
}

func (a *Applier) resolve(r Ref) (string, error) {
	i := r.Step - 1
	if i < 0 || i >= len(a.outputs) || a.outputs[i] == nil {
		return "", fmt.Errorf("reference %s: that step has not run", r)
	}
	v := a.outputs[i][r.Field]
	if v == "" {
		return "", fmt.Errorf("reference %s: step %d's response has no %s", r, r.Step, r.Field)
	}
	return v, nil
}

// deepCopy copies pointers, structs, slices and maps so that filling
// references never writes into the plan.
func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v) // unexported fields (the SDK's noSmithyDocumentSerde) as they are
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	}
	return v
}

// walkStrings replaces every settable string reachable from v with f(s).
func walkStrings(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), f)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if it.Value().Kind() == reflect.String {
				v.SetMapIndex(it.Key(), reflect.ValueOf(f(it.Value().String())).Convert(it.Value().Type()))
			}
		}
	case reflect.String:
		if v.CanSet() && strings.Contains(v.String(), " from step ") {
			v.SetString(f(v.String()))
		}
	}
}

// call sends one input, fills out with the response fields later steps
// refer to, records created resources in the state, and says what it did.
// Each kind of resource has its own method (apply_calls.go).
func (a *Applier) call(ctx context.Context, in any, out map[string]string) (string, error) {
	switch in := in.(type) {
	case *cloudwatchlogs.CreateLogGroupInput:
		return a.createLogGroup(ctx, in)
	case *ecs.DescribeClustersInput:
		return a.describeClusters(ctx, in, out)
	case *ecs.CreateClusterInput:
		return a.createCluster(ctx, in)
	case *ec2.DescribeSubnetsInput:
		return a.describeSubnets(ctx, in, out)
	case *ec2.DescribeVpcEndpointsInput:
		return a.describeVpcEndpoints(ctx, in, out)
	case *ec2.DescribeRouteTablesInput:
		return a.describeRouteTables(ctx, in, out)
	case *ec2.DescribeVpcsInput:
		return a.describeVpcs(ctx, in, out)
	case *ec2.CreateSecurityGroupInput:
		return a.createSecurityGroup(ctx, in, out)
	case *ec2.AuthorizeSecurityGroupIngressInput:
		return a.authorizeIngress(ctx, in)
	case *elb.CreateLoadBalancerInput:
		return a.createLoadBalancer(ctx, in, out)
	case *elb.ModifyLoadBalancerAttributesInput:
		_, err := a.c.ELB.ModifyLoadBalancerAttributes(ctx, in)
		return "done", err
	case *elb.DescribeLoadBalancersInput:
		return a.describeLoadBalancers(ctx, in, out)
	case *elb.CreateTargetGroupInput:
		return a.createTargetGroup(ctx, in, out)
	case *elb.ModifyTargetGroupAttributesInput:
		_, err := a.c.ELB.ModifyTargetGroupAttributes(ctx, in)
		return "done", err
	case *elb.DescribeTargetGroupsInput:
		return a.describeTargetGroups(ctx, in, out)
	case *elb.CreateListenerInput:
		return a.createListener(ctx, in, out)
	case *ecs.RegisterTaskDefinitionInput:
		return a.registerTaskDefinition(ctx, in, out)
	case *ecs.CreateServiceInput:
		return a.createService(ctx, in)
	case *ecs.UpdateServiceInput:
		return a.updateService(ctx, in)
	case *aas.RegisterScalableTargetInput:
		return a.registerScalableTarget(ctx, in)
	case *aas.PutScalingPolicyInput:
		return a.putScalingPolicy(ctx, in, out)
	case *cloudwatch.PutMetricAlarmInput:
		return a.putMetricAlarm(ctx, in)
	}
	return "", fmt.Errorf("lab cannot send %T", in)
}

// loadBalancerDimension is the LoadBalancer dimension of an ALB ARN:
// arn:...:loadbalancer/app/NAME/ID -> app/NAME/ID.
func loadBalancerDimension(arn string) string {
	if i := strings.Index(arn, ":loadbalancer/"); i >= 0 {
		return arn[i+len(":loadbalancer/"):]
	}
	return arn
}

func lastPart(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// WaitStable waits as the services-stable waiter does, for one
// deployment with running == desired, up to timeout. On timeout the
// error names what it still waits for and the service's last event.
func (a *Applier) WaitStable(ctx context.Context, timeout time.Duration) error {
	return stableWait{
		c: a.c, cluster: a.plan.Cluster, service: a.plan.Service,
		timeout: timeout, poll: a.Poll, logf: a.logf,
	}.wait(ctx)
}

// stableWait is one wait for a service to be stable: one deployment,
// running == desired.
type stableWait struct {
	c                *Clients
	cluster, service string
	timeout          time.Duration // how long at most
	poll             time.Duration // between two DescribeServices
	// logf gets what the service still waits for, each time that changes.
	logf func(format string, args ...any)
}

func (w stableWait) wait(ctx context.Context) error {
	deadline := time.Now().Add(w.timeout)
	waiting := "the first DescribeServices"
	for {
		resp, err := w.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(w.cluster), Services: []string{w.service}})
		if err != nil {
			return Explain(err)
		}
		if len(resp.Services) == 0 || aws.ToString(resp.Services[0].Status) != "ACTIVE" {
			return fmt.Errorf("service %s is not active in cluster %s", w.service, w.cluster)
		}
		s := resp.Services[0]
		if err := failedDeployment(ctx, w.c, w.cluster, s); err != nil {
			return err
		}
		if len(s.Deployments) <= 1 && s.RunningCount == s.DesiredCount {
			return nil
		}
		if p := pendingWork(s); p != waiting {
			w.logf("waiting for %s: %s", w.service, p)
			waiting = p
		}
		if time.Now().Add(w.poll).After(deadline) {
			return fmt.Errorf("service %s not stable after %s: still waiting for %s", w.service, w.timeout, waiting)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.poll):
		}
	}
}

// failedDeployment is the error of a deployment that the deployment
// circuit breaker stopped (rolled back, when there was one to go back
// to), with ECS's reason and the last stopped task's: a task that cannot
// start fails the entry in minutes, not after the stable wait's timeout.
func failedDeployment(ctx context.Context, c *Clients, cluster string, s ecstypes.Service) error {
	for _, d := range s.Deployments {
		if d.RolloutState != ecstypes.DeploymentRolloutStateFailed {
			continue
		}
		msg := fmt.Sprintf("the deployment of %s failed: %s", lastPart(aws.ToString(d.TaskDefinition)), aws.ToString(d.RolloutStateReason))
		if why := lastStopReason(ctx, c, cluster, aws.ToString(s.ServiceName)); why != "" {
			msg += "; a task stopped with: " + why
		}
		return errors.New(msg)
	}
	return nil
}

// lastStopReason is the reason of one of the service's stopped tasks, or
// "" when none can be found.
func lastStopReason(ctx context.Context, c *Clients, cluster, service string) string {
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(list.TaskArns) == 0 {
		return ""
	}
	desc, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns[:1]})
	if err != nil || len(desc.Tasks) == 0 {
		return ""
	}
	tk := desc.Tasks[0]
	for _, ct := range tk.Containers {
		if r := aws.ToString(ct.Reason); r != "" {
			return r
		}
	}
	return aws.ToString(tk.StoppedReason)
}

// pendingWork says what keeps a service from being stable.
func pendingWork(s ecstypes.Service) string {
	w := fmt.Sprintf("%d of %d tasks running, %d pending", s.RunningCount, s.DesiredCount, s.PendingCount)
	if n := len(s.Deployments); n > 1 {
		w += fmt.Sprintf(", %d deployments (the old one draining)", n)
	}
	if len(s.Events) > 0 {
		w += "; last event: " + aws.ToString(s.Events[0].Message)
	}
	return w
}
