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
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Teardown removes what lab created for one scenario and owner in one
// region: only what the state names or the scenario's names find, and of
// that only what carries lab's tags for this scenario and owner (see
// Names.Owns). What it leaves, it says why.
type Teardown struct {
	Names Names // the scenario and the owner
	// Plan, when known, names the alarms the scenario makes.
	Plan    *Plan
	Cluster string // from the settings; the state's wins when it has one
	State   *State
	// DeleteLogs removes the log group too; by default it is kept, with
	// the containers' logs.
	DeleteLogs bool
	// Log receives one line per resource; nil: silent.
	Log func(string)
	// Poll and Wait bound the waits: for the service to drain before its
	// target group can go, and for network interfaces to go before the
	// security groups can (defaults 5 s and 10 min).
	Poll time.Duration
	Wait time.Duration

	// Removed counts what Down removed.
	Removed int
}

// Down removes, of what lab created: scaling policies and the scalable
// target, alarms, the service (scaled to 0, deleted, drained), the
// listener, load balancer and target group, the task definitions
// (deregistered, then deleted), the log group (with DeleteLogs), the
// security groups, and the cluster when it is lab's and empty. Anything
// already gone counts as removed, so Down is safe to run twice. It keeps
// going past a failure and returns every failure; the state file is
// removed only when nothing failed.
func (d *Teardown) Down(ctx context.Context, c *Clients) error {
	st, scenario := d.State, d.Names.Scenario
	cluster := or(st.Cluster, d.Cluster)
	if cluster == "" || strings.HasPrefix(cluster, "<") {
		return fmt.Errorf("ecs down %s: no cluster is known (no state file for region %s): give ecs.cluster in the scenario or --ecs FILE", scenario, c.Region)
	}
	d.Poll = cmpOr(d.Poll, 5*time.Second)
	d.Wait = cmpOr(d.Wait, 10*time.Minute)
	var errs []error
	try := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, Explain(err)))
		}
	}

	service := d.Names.Service()
	svc, err := describeService(ctx, c, cluster, service)
	try("service", err)
	ours := err == nil && d.ownsService(svc)
	if ours {
		try("scaling", d.removeScaling(ctx, c, "service/"+cluster+"/"+service))
	}
	try("alarms", d.removeAlarms(ctx, c))
	if ours {
		try("service", d.removeService(ctx, c, cluster, svc))
	}
	try("generator tasks", d.stopGenerators(ctx, c, cluster))
	try("load balancer", d.removeBalancer(ctx, c))
	try("task definitions", d.removeTaskDefinitions(ctx, c))
	try("log group", d.removeLogGroup(ctx, c))
	try("generators' log group", d.removeGeneratorLogGroup(ctx, c))
	try("security groups", d.removeSecurityGroups(ctx, c))
	try("cluster", d.removeCluster(ctx, c, cluster))

	if len(errs) > 0 {
		if err := st.Save(); err != nil {
			errs = append(errs, err)
		}
		return fmt.Errorf("ecs down %s: %w (run `lab ecs down` again once fixed)", scenario, errors.Join(errs...))
	}
	return st.Remove()
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (d *Teardown) logf(format string, args ...any) {
	if d.Log != nil {
		d.Log(fmt.Sprintf(format, args...))
	}
}

// did logs a removal and counts it.
func (d *Teardown) did(format string, args ...any) {
	d.Removed++
	d.logf(format, args...)
}

// leftAlone logs a resource Down does not remove, and why.
func (d *Teardown) leftAlone(what, name string, tags map[string]string) {
	d.logf("%s %s left alone: %s", what, name, d.Names.Whose(tags))
}

// describeService is the service (with its tags), or nil when there is
// none that is not INACTIVE.
func describeService(ctx context.Context, c *Clients, cluster, service string) (*ecstypes.Service, error) {
	resp, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String(cluster), Services: []string{service}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags},
	})
	if apiCode(err) == "ClusterNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range resp.Services {
		if aws.ToString(resp.Services[i].Status) != "INACTIVE" {
			return &resp.Services[i], nil
		}
	}
	return nil, nil
}

func ecsTags(tags []ecstypes.Tag) map[string]string {
	return tagMap(tags, func(t ecstypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
}

// ownsService says whether the service, and so its scaling, is this
// scenario's and owner's to remove: it is gone, or its tags say so.
func (d *Teardown) ownsService(svc *ecstypes.Service) bool {
	if svc == nil {
		d.State.ServiceARN = ""
		return true // gone: a scalable target left behind still goes
	}
	tags := ecsTags(svc.Tags)
	if !d.Names.Owns(tags) {
		d.leftAlone("service (and its scaling)", aws.ToString(svc.ServiceName), tags)
		d.State.ServiceARN = ""
		return false
	}
	return true
}

// removeScaling deletes the scaling policies and the scalable target of
// the service, which Down found to be lab's (Application Auto Scaling's
// own tags cannot be read everywhere: the service's decide).
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
		d.did("scaling policy %s deleted", aws.ToString(p.PolicyName))
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
		d.did("scalable target %s deregistered", resource)
	}
	d.State.ScalableTarget = ""
	return nil
}

// removeAlarms deletes, of the state's alarms and those the scenario's
// plan makes (their names follow from the scenario and owner), those
// whose tags say they are lab's.
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
	resp, err := c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		return err
	}
	var ours []string
	for _, a := range resp.MetricAlarms {
		tags, err := c.CloudWatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: a.AlarmArn})
		if err != nil {
			return err
		}
		m := tagMap(tags.Tags, func(t cwtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
		if !d.Names.Owns(m) {
			d.leftAlone("alarm", aws.ToString(a.AlarmName), m)
			continue
		}
		ours = append(ours, aws.ToString(a.AlarmName))
	}
	if len(ours) > 0 {
		if _, err := c.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: ours}); err != nil && apiCode(err) != "ResourceNotFound" {
			return err
		}
		d.did("alarms %s deleted", strings.Join(ours, ", "))
	}
	d.State.Alarms = nil
	return nil
}

// removeService scales the service (lab's, ACTIVE or DRAINING) to 0,
// deletes it, and waits until it is inactive, so that its target group
// is free to go.
func (d *Teardown) removeService(ctx context.Context, c *Clients, cluster string, svc *ecstypes.Service) error {
	if svc == nil {
		return nil
	}
	service := aws.ToString(svc.ServiceName)
	if aws.ToString(svc.Status) == "ACTIVE" {
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), DesiredCount: aws.Int32(0)}); err != nil && !gone(err) {
			return err
		}
		if _, err := c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(service), Force: aws.Bool(true)}); err != nil && !gone(err) {
			return err
		}
		d.did("service %s scaled to 0 and deleted", service)
	}
	deadline := time.Now().Add(d.Wait)
	for {
		s, err := describeService(ctx, c, cluster, service)
		if err != nil {
			return err
		}
		if s == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s still draining after %s", service, d.Wait)
		}
		if err := sleep(ctx, d.Poll); err != nil {
			return err
		}
	}
	d.State.ServiceARN = ""
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func gone(err error) bool {
	switch apiCode(err) {
	case "ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException":
		return true
	}
	return false
}
