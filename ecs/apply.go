package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
		if a.done[i] {
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
func (a *Applier) call(ctx context.Context, in any, out map[string]string) (string, error) {
	c, st := a.c, a.state
	switch in := in.(type) {
	case *cloudwatchlogs.CreateLogGroupInput:
		_, err := c.Logs.CreateLogGroup(ctx, in)
		if apiCode(err) == "ResourceAlreadyExistsException" {
			return aws.ToString(in.LogGroupName) + " exists: kept", nil
		}
		if err != nil {
			return "", err
		}
		st.LogGroup = aws.ToString(in.LogGroupName)
		return st.LogGroup + " created", a.save()

	case *ecs.DescribeClustersInput:
		resp, err := c.ECS.DescribeClusters(ctx, in)
		if err != nil {
			return "", err
		}
		for _, cl := range resp.Clusters {
			if aws.ToString(cl.Status) == "ACTIVE" {
				out["exists"] = "true"
				return aws.ToString(cl.ClusterName) + " exists", nil
			}
		}
		return "no active cluster " + strings.Join(in.Clusters, ","), nil

	case *ecs.CreateClusterInput:
		if a.clusterExists() {
			return "skipped: the cluster exists", nil
		}
		if _, err := c.ECS.CreateCluster(ctx, in); err != nil {
			return "", err
		}
		st.ClusterCreated = true
		return aws.ToString(in.ClusterName) + " created", a.save()

	case *ec2.DescribeSubnetsInput:
		resp, err := c.EC2.DescribeSubnets(ctx, in)
		if err != nil {
			return "", err
		}
		vpc := ""
		for _, sn := range resp.Subnets {
			if vpc != "" && aws.ToString(sn.VpcId) != vpc {
				return "", fmt.Errorf("the subnets are in different VPCs (%s, %s): give subnets of one VPC", vpc, aws.ToString(sn.VpcId))
			}
			vpc = aws.ToString(sn.VpcId)
		}
		if vpc == "" {
			return "", fmt.Errorf("no subnet found among %s: check ecs.subnets and the region", strings.Join(in.SubnetIds, ", "))
		}
		out["VpcId"] = vpc
		return "VPC " + vpc, nil

	case *elb.CreateLoadBalancerInput:
		lb, err := a.findLoadBalancer(ctx, aws.ToString(in.Name))
		if err != nil {
			return "", err
		}
		verb := "exists: taken over"
		if lb == nil {
			resp, err := c.ELB.CreateLoadBalancer(ctx, in)
			if err != nil {
				return "", err
			}
			if len(resp.LoadBalancers) == 0 {
				return "", errors.New("the response names no load balancer")
			}
			lb = &lbInfo{arn: aws.ToString(resp.LoadBalancers[0].LoadBalancerArn), dns: aws.ToString(resp.LoadBalancers[0].DNSName)}
			verb = "created"
		}
		st.LoadBalancerARN = lb.arn
		out["LoadBalancerArn"], out["LoadBalancer dimension"], out["DNSName"] = lb.arn, loadBalancerDimension(lb.arn), lb.dns
		return aws.ToString(in.Name) + " " + verb + " (" + lb.dns + ")", a.save()

	case *elb.ModifyLoadBalancerAttributesInput:
		_, err := c.ELB.ModifyLoadBalancerAttributes(ctx, in)
		return "done", err

	case *elb.CreateTargetGroupInput:
		arn, err := a.findTargetGroup(ctx, aws.ToString(in.Name))
		if err != nil {
			return "", err
		}
		verb := "exists: taken over"
		if arn == "" {
			resp, err := c.ELB.CreateTargetGroup(ctx, in)
			if err != nil {
				return "", err
			}
			if len(resp.TargetGroups) == 0 {
				return "", errors.New("the response names no target group")
			}
			arn, verb = aws.ToString(resp.TargetGroups[0].TargetGroupArn), "created"
		}
		st.TargetGroupARN = arn
		out["TargetGroupArn"], out["TargetGroup dimension"] = arn, targetGroupDimension(arn)
		return aws.ToString(in.Name) + " " + verb, a.save()

	case *elb.ModifyTargetGroupAttributesInput:
		_, err := c.ELB.ModifyTargetGroupAttributes(ctx, in)
		return "done", err

	case *elb.CreateListenerInput:
		ls, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: in.LoadBalancerArn})
		if err != nil {
			return "", err
		}
		for _, l := range ls.Listeners {
			if aws.ToInt32(l.Port) == aws.ToInt32(in.Port) {
				st.ListenerARN = aws.ToString(l.ListenerArn)
				out["ListenerArn"] = st.ListenerARN
				return fmt.Sprintf("port %d exists: taken over", aws.ToInt32(in.Port)), a.save()
			}
		}
		resp, err := c.ELB.CreateListener(ctx, in)
		if err != nil {
			return "", err
		}
		if len(resp.Listeners) > 0 {
			st.ListenerARN = aws.ToString(resp.Listeners[0].ListenerArn)
			out["ListenerArn"] = st.ListenerARN
		}
		return fmt.Sprintf("port %d created", aws.ToInt32(in.Port)), a.save()

	case *elb.DescribeTargetGroupsInput:
		resp, err := c.ELB.DescribeTargetGroups(ctx, in)
		if err != nil {
			return "", err
		}
		if len(resp.TargetGroups) == 0 || len(resp.TargetGroups[0].LoadBalancerArns) == 0 {
			return "", fmt.Errorf("target group %s is not attached to a load balancer: add it to a listener of an ALB, or leave target_group_arn out and lab creates one", strings.Join(in.TargetGroupArns, ","))
		}
		lbARN := resp.TargetGroups[0].LoadBalancerArns[0]
		out["LoadBalancerArn"], out["LoadBalancer dimension"] = lbARN, loadBalancerDimension(lbARN)
		out["TargetGroupArn"] = aws.ToString(resp.TargetGroups[0].TargetGroupArn)
		return "behind " + lbARN, nil

	case *elb.DescribeLoadBalancersInput:
		resp, err := c.ELB.DescribeLoadBalancers(ctx, in)
		if err != nil {
			return "", err
		}
		if len(resp.LoadBalancers) == 0 {
			return "", errors.New("the load balancer is gone")
		}
		out["DNSName"] = aws.ToString(resp.LoadBalancers[0].DNSName)
		out["LoadBalancerArn"] = aws.ToString(resp.LoadBalancers[0].LoadBalancerArn)
		return out["DNSName"], nil

	case *ecs.RegisterTaskDefinitionInput:
		resp, err := c.ECS.RegisterTaskDefinition(ctx, in)
		if err != nil {
			return "", err
		}
		arn := aws.ToString(resp.TaskDefinition.TaskDefinitionArn)
		st.TaskDefinitions = addUnique(st.TaskDefinitions, arn)
		out["TaskDefinitionArn"] = arn
		return fmt.Sprintf("%s:%d (cpu %s, memory %s)", aws.ToString(in.Family), resp.TaskDefinition.Revision, aws.ToString(in.Cpu), aws.ToString(in.Memory)), a.save()

	case *ecs.CreateServiceInput:
		return a.createService(ctx, in)

	case *ecs.UpdateServiceInput:
		resp, err := c.ECS.UpdateService(ctx, in)
		if err != nil {
			return "", err
		}
		st.ServiceARN = aws.ToString(resp.Service.ServiceArn)
		return fmt.Sprintf("deploying %s, desired %d", lastPart(aws.ToString(in.TaskDefinition)), aws.ToInt32(in.DesiredCount)), a.save()

	case *aas.RegisterScalableTargetInput:
		if _, err := c.Autoscaling.RegisterScalableTarget(ctx, in); err != nil {
			return "", err
		}
		st.ScalableTarget = aws.ToString(in.ResourceId)
		return fmt.Sprintf("min %d, max %d", aws.ToInt32(in.MinCapacity), aws.ToInt32(in.MaxCapacity)), a.save()

	case *aas.PutScalingPolicyInput:
		resp, err := c.Autoscaling.PutScalingPolicy(ctx, in)
		if err != nil {
			return "", err
		}
		st.Policies = addUnique(st.Policies, aws.ToString(in.PolicyName))
		out["PolicyARN"] = aws.ToString(resp.PolicyARN)
		return aws.ToString(in.PolicyName), a.save()

	case *cloudwatch.PutMetricAlarmInput:
		if _, err := c.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
			return "", err
		}
		st.Alarms = addUnique(st.Alarms, aws.ToString(in.AlarmName))
		return aws.ToString(in.AlarmName), a.save()
	}
	return "", fmt.Errorf("lab cannot send %T", in)
}

func (a *Applier) clusterExists() bool {
	for i, s := range a.plan.Steps {
		if s.Operation == "DescribeClusters" && a.outputs[i] != nil {
			return a.outputs[i]["exists"] == "true"
		}
	}
	return false
}

// createService creates the service, or deploys the entry's revision to
// it when a service of that name is already active (a rerun of up).
func (a *Applier) createService(ctx context.Context, in *ecs.CreateServiceInput) (string, error) {
	c, st := a.c, a.state
	resp, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: in.Cluster, Services: []string{aws.ToString(in.ServiceName)}})
	if err != nil && apiCode(err) != "ClusterNotFoundException" {
		return "", err
	}
	if resp != nil {
		for _, s := range resp.Services {
			switch aws.ToString(s.Status) {
			case "ACTIVE":
				st.ServiceARN = aws.ToString(s.ServiceArn)
				if err := a.save(); err != nil {
					return "", err
				}
				if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
					Cluster: in.Cluster, Service: in.ServiceName,
					TaskDefinition: in.TaskDefinition, DesiredCount: in.DesiredCount,
				}); err != nil {
					return "", err
				}
				return fmt.Sprintf("%s exists: deploying %s to it", aws.ToString(in.ServiceName), lastPart(aws.ToString(in.TaskDefinition))), nil
			case "DRAINING":
				return "", fmt.Errorf("service %s is still being deleted (DRAINING): wait a few minutes and run again", aws.ToString(in.ServiceName))
			}
		}
	}
	in.ClientToken = aws.String(clientToken(aws.ToString(in.Cluster), aws.ToString(in.ServiceName), aws.ToString(in.TaskDefinition)))
	created, err := c.ECS.CreateService(ctx, in)
	if err != nil {
		return "", err
	}
	st.ServiceARN = aws.ToString(created.Service.ServiceArn)
	return fmt.Sprintf("%s created with %s, desired %d", aws.ToString(in.ServiceName), lastPart(aws.ToString(in.TaskDefinition)), aws.ToInt32(in.DesiredCount)), a.save()
}

// clientToken makes CreateService idempotent across the SDK's retries and
// reruns: the same service and revision give the same token (at most 36
// characters, as ECS allows).
func clientToken(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "lab-" + hex.EncodeToString(h[:16])
}

type lbInfo struct{ arn, dns string }

func (a *Applier) findLoadBalancer(ctx context.Context, name string) (*lbInfo, error) {
	resp, err := a.c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}})
	if apiCode(err) == "LoadBalancerNotFound" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(resp.LoadBalancers) == 0 {
		return nil, nil
	}
	lb := resp.LoadBalancers[0]
	return &lbInfo{arn: aws.ToString(lb.LoadBalancerArn), dns: aws.ToString(lb.DNSName)}, nil
}

func (a *Applier) findTargetGroup(ctx context.Context, name string) (string, error) {
	resp, err := a.c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}})
	if apiCode(err) == "TargetGroupNotFound" {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if len(resp.TargetGroups) == 0 {
		return "", nil
	}
	return aws.ToString(resp.TargetGroups[0].TargetGroupArn), nil
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
	return waitStable(ctx, a.c, a.plan.Cluster, a.plan.Service, timeout, a.Poll, a.logf)
}

func waitStable(ctx context.Context, c *Clients, cluster, service string, timeout, poll time.Duration, logf func(string, ...any)) error {
	deadline := time.Now().Add(timeout)
	waiting := "the first DescribeServices"
	for {
		resp, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
		if err != nil {
			return Explain(err)
		}
		if len(resp.Services) == 0 || aws.ToString(resp.Services[0].Status) != "ACTIVE" {
			return fmt.Errorf("service %s is not active in cluster %s", service, cluster)
		}
		s := resp.Services[0]
		if len(s.Deployments) <= 1 && s.RunningCount == s.DesiredCount {
			return nil
		}
		if w := pendingWork(s); w != waiting {
			logf("waiting for %s: %s", service, w)
			waiting = w
		}
		if time.Now().Add(poll).After(deadline) {
			return fmt.Errorf("service %s not stable after %s: still waiting for %s", service, timeout, waiting)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
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
