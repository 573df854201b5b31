package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Teardown removes what lab created for one scenario in one region.
type Teardown struct {
	Scenario string
	// Plan, when known, names the alarms the scenario makes.
	Plan    *Plan
	Cluster string // from the settings; the state's wins when it has one
	State   *State
	// Log receives one line per resource; nil: silent.
	Log func(string)
	// Poll and Wait bound the wait for the service to drain before its
	// target group can go (defaults 5 s and 10 min).
	Poll time.Duration
	Wait time.Duration
}

// Down removes everything the state names, and whatever else carries the
// scenario's names and lab's tags (for a state file that is gone or a
// failure between a create and its save): scaling policies and the
// scalable target, alarms, the service (scaled to 0 and deleted), the
// listener, load balancer and target group, the task definitions
// (deregistered), the log group, and the cluster when lab created it and
// it is empty. Anything already gone counts as removed, so Down is safe
// to run twice. It keeps going past a failure and returns every failure;
// the state file is removed only when nothing failed.
func (d *Teardown) Down(ctx context.Context, c *Clients) error {
	st := d.State
	cluster := or(st.Cluster, d.Cluster)
	if cluster == "" || strings.HasPrefix(cluster, "<") {
		return fmt.Errorf("ecs down %s: no cluster is known (no state file for region %s): give ecs.cluster in the scenario or --ecs FILE", d.Scenario, c.Region)
	}
	service := ServiceName(d.Scenario)
	if d.Poll == 0 {
		d.Poll = 5 * time.Second
	}
	if d.Wait == 0 {
		d.Wait = 10 * time.Minute
	}
	var errs []error
	try := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, Explain(err)))
		}
	}

	try("scaling", d.removeScaling(ctx, c, "service/"+cluster+"/"+service))
	try("alarms", d.removeAlarms(ctx, c))
	try("service", d.removeService(ctx, c, cluster, service))
	try("load balancer", d.removeBalancer(ctx, c))
	try("task definitions", d.removeTaskDefinitions(ctx, c))
	try("log group", d.removeLogGroup(ctx, c))
	try("cluster", d.removeCluster(ctx, c, cluster))

	if len(errs) > 0 {
		if err := st.Save(); err != nil {
			errs = append(errs, err)
		}
		return fmt.Errorf("ecs down %s: %w (run `lab ecs down` again once fixed)", d.Scenario, errors.Join(errs...))
	}
	return st.Remove()
}

func (d *Teardown) logf(format string, args ...any) {
	if d.Log != nil {
		d.Log(fmt.Sprintf(format, args...))
	}
}

func (d *Teardown) removeScaling(ctx context.Context, c *Clients, resource string) error {
	pols, err := c.Autoscaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
	})
	if err != nil {
		return err
	}
	for _, p := range pols.ScalingPolicies {
		_, err := c.Autoscaling.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{
			PolicyName: p.PolicyName, ServiceNamespace: aastypes.ServiceNamespaceEcs,
			ResourceId: aws.String(resource), ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		})
		if err != nil && apiCode(err) != "ObjectNotFoundException" {
			return err
		}
		d.logf("scaling policy %s deleted", aws.ToString(p.PolicyName))
	}
	d.State.Policies = nil
	targets, err := c.Autoscaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{resource},
	})
	if err != nil {
		return err
	}
	if len(targets.ScalableTargets) > 0 {
		_, err := c.Autoscaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
			ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		})
		if err != nil && apiCode(err) != "ObjectNotFoundException" {
			return err
		}
		d.logf("scalable target %s deregistered", resource)
	}
	d.State.ScalableTarget = ""
	return nil
}

// removeAlarms deletes the state's alarms and those the scenario's plan
// makes (their names follow from the scenario). It never lists alarms:
// DeleteAlarms of a name that does not exist is no error.
func (d *Teardown) removeAlarms(ctx context.Context, c *Clients) error {
	names := slices.Clone(d.State.Alarms)
	if d.Plan != nil {
		for _, s := range d.Plan.Steps {
			if in, ok := s.Input.(*cloudwatch.PutMetricAlarmInput); ok {
				names = addUnique(names, aws.ToString(in.AlarmName))
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	if _, err := c.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: names}); err != nil && apiCode(err) != "ResourceNotFound" {
		return err
	}
	d.logf("alarms %s deleted", strings.Join(names, ", "))
	d.State.Alarms = nil
	return nil
}

// removeService scales the service to 0, deletes it, and waits until it
// is inactive, so that its target group is free to go.
func (d *Teardown) removeService(ctx context.Context, c *Clients, cluster, service string) error {
	resp, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if apiCode(err) == "ClusterNotFoundException" {
		d.State.ServiceARN = ""
		return nil
	}
	if err != nil {
		return err
	}
	active := slices.ContainsFunc(resp.Services, func(s ecstypes.Service) bool { return aws.ToString(s.Status) == "ACTIVE" })
	if active {
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), DesiredCount: aws.Int32(0)}); err != nil && !gone(err) {
			return err
		}
		if _, err := c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), Force: aws.Bool(true)}); err != nil && !gone(err) {
			return err
		}
		d.logf("service %s scaled to 0 and deleted", service)
	}
	deadline := time.Now().Add(d.Wait)
	for {
		resp, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
		if err != nil {
			return err
		}
		draining := slices.ContainsFunc(resp.Services, func(s ecstypes.Service) bool { return aws.ToString(s.Status) != "INACTIVE" })
		if !draining {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s still draining after %s", service, d.Wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.Poll):
		}
	}
	d.State.ServiceARN = ""
	return nil
}

func gone(err error) bool {
	switch apiCode(err) {
	case "ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException":
		return true
	}
	return false
}

// removeBalancer deletes the listener, the ALB and the target group lab
// created: those in the state, and those of the scenario's name that
// carry its tags.
func (d *Teardown) removeBalancer(ctx context.Context, c *Clients) error {
	if err := d.removeLoadBalancer(ctx, c); err != nil {
		return err
	}
	return d.removeTargetGroup(ctx, c)
}

// removeLoadBalancer deletes the ALB's listeners, then the ALB.
func (d *Teardown) removeLoadBalancer(ctx context.Context, c *Clients) error {
	st := d.State
	lbARN, err := d.ours(ctx, c, "load balancer", st.LoadBalancerARN, func(name string) (string, error) {
		lb, err := loadBalancerNamed(ctx, c, name)
		if lb == nil {
			return "", err
		}
		return lb.arn, err
	})
	if err != nil || lbARN == "" {
		return err
	}
	ls, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil && apiCode(err) != "LoadBalancerNotFound" {
		return err
	}
	if ls != nil {
		for _, l := range ls.Listeners {
			if _, err := c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil && apiCode(err) != "ListenerNotFound" {
				return err
			}
			d.logf("listener port %d deleted", aws.ToInt32(l.Port))
		}
	}
	st.ListenerARN = ""
	if _, err := c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lbARN)}); err != nil && apiCode(err) != "LoadBalancerNotFound" {
		return err
	}
	d.logf("load balancer %s deleted", loadBalancerDimension(lbARN))
	st.LoadBalancerARN = ""
	return nil
}

// removeTargetGroup deletes the target group once the deleted ALB has let
// go of it.
func (d *Teardown) removeTargetGroup(ctx context.Context, c *Clients) error {
	st := d.State
	tgARN, err := d.ours(ctx, c, "target group", st.TargetGroupARN, func(name string) (string, error) {
		return targetGroupNamed(ctx, c, name)
	})
	if err != nil || tgARN == "" {
		return err
	}
	// The ALB lets go of its target group a moment after it is deleted.
	for attempt := 0; attempt < 10; attempt++ {
		_, err = c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgARN)})
		if err == nil || apiCode(err) == "TargetGroupNotFound" {
			d.logf("target group %s deleted", targetGroupDimension(tgARN))
			st.TargetGroupARN = ""
			return nil
		}
		if apiCode(err) != "ResourceInUse" {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.Poll):
		}
	}
	return err
}

// ours is the ARN of the scenario's load balancer or target group (what):
// known, the one the state names, or else the one that named finds by the
// scenario's name, when it carries the scenario's tag. "" when there is
// none, or (with a log line saying so) when it is not tagged as lab's.
func (d *Teardown) ours(ctx context.Context, c *Clients, what, known string, named func(name string) (string, error)) (string, error) {
	if known != "" {
		return known, nil
	}
	name := ELBName(d.Scenario)
	arn, err := named(name)
	if err != nil || arn == "" {
		return "", err
	}
	resp, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		return "", err
	}
	for _, td := range resp.TagDescriptions {
		for _, t := range td.Tags {
			if aws.ToString(t.Key) == TagScenario && aws.ToString(t.Value) == d.Scenario {
				return arn, nil
			}
		}
	}
	d.logf("%s %s is not tagged %s=%s: left alone", what, name, TagScenario, d.Scenario)
	return "", nil
}

// removeTaskDefinitions deregisters every active revision of the
// scenario's family (a repeated RegisterTaskDefinition makes another
// revision, so the family is the complete list).
func (d *Teardown) removeTaskDefinitions(ctx context.Context, c *Clients) error {
	family := Family(d.Scenario)
	arns := slices.Clone(d.State.TaskDefinitions)
	p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, arn := range page.TaskDefinitionArns {
			if familyOf(arn) == family {
				arns = addUnique(arns, arn)
			}
		}
	}
	for _, arn := range arns {
		_, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil && apiCode(err) != "ClientException" { // ClientException: already inactive or unknown
			return err
		}
		d.logf("task definition %s deregistered", lastPart(arn))
	}
	d.State.TaskDefinitions = nil
	return nil
}

// familyOf is FAMILY of arn:...:task-definition/FAMILY:REVISION.
func familyOf(arn string) string {
	f := lastPart(arn)
	if i := strings.LastIndexByte(f, ':'); i >= 0 {
		f = f[:i]
	}
	return f
}

func (d *Teardown) removeLogGroup(ctx context.Context, c *Clients) error {
	name := LogGroupName(d.Scenario)
	if d.State.LogGroup == "" {
		resp, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
		if err != nil {
			return err
		}
		found := false
		for _, g := range resp.LogGroups {
			found = found || aws.ToString(g.LogGroupName) == name
		}
		if !found {
			return nil
		}
		tags, err := c.Logs.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(name)}) //nolint:staticcheck // ListTagsForResource needs the ARN; this is the same data by name
		if err != nil {
			return err
		}
		if tags.Tags[TagScenario] != d.Scenario {
			d.logf("log group %s is not tagged %s=%s: left alone", name, TagScenario, d.Scenario)
			return nil
		}
	}
	if _, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil && apiCode(err) != "ResourceNotFoundException" {
		return err
	}
	d.logf("log group %s deleted", name)
	d.State.LogGroup = ""
	return nil
}

// removeCluster deletes the cluster when lab created it for this
// scenario (the state says so, or its tags do) and nothing else runs in it.
func (d *Teardown) removeCluster(ctx context.Context, c *Clients, cluster string) error {
	resp, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
	if err != nil {
		return err
	}
	var cl *ecstypes.Cluster
	for i := range resp.Clusters {
		if aws.ToString(resp.Clusters[i].Status) == "ACTIVE" {
			cl = &resp.Clusters[i]
		}
	}
	if cl == nil {
		d.State.ClusterCreated = false
		return nil
	}
	ours := d.State.ClusterCreated
	for _, t := range cl.Tags {
		ours = ours || aws.ToString(t.Key) == TagScenario && aws.ToString(t.Value) == d.Scenario
	}
	if !ours {
		return nil
	}
	if cl.ActiveServicesCount > 0 || cl.RunningTasksCount > 0 {
		d.logf("cluster %s kept: %d other services and %d tasks still run in it", cluster, cl.ActiveServicesCount, cl.RunningTasksCount)
		return nil
	}
	if _, err := c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(cluster)}); err != nil && apiCode(err) != "ClusterNotFoundException" {
		return err
	}
	d.logf("cluster %s deleted", cluster)
	d.State.ClusterCreated = false
	return nil
}
