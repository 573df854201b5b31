package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The calls of Applier.call, one method per kind of resource. Each sends
// its input, puts the response fields later steps refer to into out,
// records what it created in the state (saved before it returns), and
// says what it did in a few words.

// createLogGroup creates the log group, or keeps one that exists.
func (a *Applier) createLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput) (string, error) {
	_, err := a.c.Logs.CreateLogGroup(ctx, in)
	if apiCode(err) == "ResourceAlreadyExistsException" {
		return aws.ToString(in.LogGroupName) + " exists: kept", nil
	}
	if err != nil {
		return "", err
	}
	a.state.LogGroup = aws.ToString(in.LogGroupName)
	return a.state.LogGroup + " created", a.save()
}

// describeClusters looks for an active cluster; out["exists"] tells
// createCluster whether to skip.
func (a *Applier) describeClusters(ctx context.Context, in *ecs.DescribeClustersInput, out map[string]string) (string, error) {
	resp, err := a.c.ECS.DescribeClusters(ctx, in)
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
}

// createCluster creates the cluster unless describeClusters found it.
func (a *Applier) createCluster(ctx context.Context, in *ecs.CreateClusterInput) (string, error) {
	if a.clusterExists() {
		return "skipped: the cluster exists", nil
	}
	if _, err := a.c.ECS.CreateCluster(ctx, in); err != nil {
		return "", err
	}
	a.state.ClusterCreated = true
	return aws.ToString(in.ClusterName) + " created", a.save()
}

func (a *Applier) clusterExists() bool {
	for i, s := range a.plan.Steps {
		if s.Operation == "DescribeClusters" && a.outputs[i] != nil {
			return a.outputs[i]["exists"] == "true"
		}
	}
	return false
}

// describeSubnets finds the one VPC of the subnets, for the target group.
func (a *Applier) describeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, out map[string]string) (string, error) {
	resp, err := a.c.EC2.DescribeSubnets(ctx, in)
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
}

// createLoadBalancer creates the ALB, or takes over one of that name.
func (a *Applier) createLoadBalancer(ctx context.Context, in *elb.CreateLoadBalancerInput, out map[string]string) (string, error) {
	lb, err := loadBalancerNamed(ctx, a.c, aws.ToString(in.Name))
	if err != nil {
		return "", err
	}
	verb := "exists: taken over"
	if lb == nil {
		resp, err := a.c.ELB.CreateLoadBalancer(ctx, in)
		if err != nil {
			return "", err
		}
		if len(resp.LoadBalancers) == 0 {
			return "", errors.New("the response names no load balancer")
		}
		lb = &lbInfo{arn: aws.ToString(resp.LoadBalancers[0].LoadBalancerArn), dns: aws.ToString(resp.LoadBalancers[0].DNSName)}
		verb = "created"
	}
	a.state.LoadBalancerARN = lb.arn
	out["LoadBalancerArn"], out["LoadBalancer dimension"], out["DNSName"] = lb.arn, loadBalancerDimension(lb.arn), lb.dns
	return aws.ToString(in.Name) + " " + verb + " (" + lb.dns + ")", a.save()
}

// describeLoadBalancers reads the given target group's ALB: its DNS name
// is the endpoint.
func (a *Applier) describeLoadBalancers(ctx context.Context, in *elb.DescribeLoadBalancersInput, out map[string]string) (string, error) {
	resp, err := a.c.ELB.DescribeLoadBalancers(ctx, in)
	if err != nil {
		return "", err
	}
	if len(resp.LoadBalancers) == 0 {
		return "", errors.New("the load balancer is gone")
	}
	out["DNSName"] = aws.ToString(resp.LoadBalancers[0].DNSName)
	out["LoadBalancerArn"] = aws.ToString(resp.LoadBalancers[0].LoadBalancerArn)
	return out["DNSName"], nil
}

// createTargetGroup creates the target group, or takes over one of that
// name.
func (a *Applier) createTargetGroup(ctx context.Context, in *elb.CreateTargetGroupInput, out map[string]string) (string, error) {
	arn, err := targetGroupNamed(ctx, a.c, aws.ToString(in.Name))
	if err != nil {
		return "", err
	}
	verb := "exists: taken over"
	if arn == "" {
		resp, err := a.c.ELB.CreateTargetGroup(ctx, in)
		if err != nil {
			return "", err
		}
		if len(resp.TargetGroups) == 0 {
			return "", errors.New("the response names no target group")
		}
		arn, verb = aws.ToString(resp.TargetGroups[0].TargetGroupArn), "created"
	}
	a.state.TargetGroupARN = arn
	out["TargetGroupArn"], out["TargetGroup dimension"] = arn, targetGroupDimension(arn)
	return aws.ToString(in.Name) + " " + verb, a.save()
}

// describeTargetGroups reads the given target group's load balancer.
func (a *Applier) describeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, out map[string]string) (string, error) {
	resp, err := a.c.ELB.DescribeTargetGroups(ctx, in)
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
}

// createListener creates the listener, or takes over the ALB's listener
// on that port.
func (a *Applier) createListener(ctx context.Context, in *elb.CreateListenerInput, out map[string]string) (string, error) {
	ls, err := a.c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: in.LoadBalancerArn})
	if err != nil {
		return "", err
	}
	for _, l := range ls.Listeners {
		if aws.ToInt32(l.Port) == aws.ToInt32(in.Port) {
			a.state.ListenerARN = aws.ToString(l.ListenerArn)
			out["ListenerArn"] = a.state.ListenerARN
			return fmt.Sprintf("port %d exists: taken over", aws.ToInt32(in.Port)), a.save()
		}
	}
	resp, err := a.c.ELB.CreateListener(ctx, in)
	if err != nil {
		return "", err
	}
	if len(resp.Listeners) > 0 {
		a.state.ListenerARN = aws.ToString(resp.Listeners[0].ListenerArn)
		out["ListenerArn"] = a.state.ListenerARN
	}
	return fmt.Sprintf("port %d created", aws.ToInt32(in.Port)), a.save()
}

// registerTaskDefinition registers a revision (each call makes a new one).
func (a *Applier) registerTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, out map[string]string) (string, error) {
	resp, err := a.c.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", err
	}
	arn := aws.ToString(resp.TaskDefinition.TaskDefinitionArn)
	a.state.TaskDefinitions = addUnique(a.state.TaskDefinitions, arn)
	out["TaskDefinitionArn"] = arn
	return fmt.Sprintf("%s:%d (cpu %s, memory %s)", aws.ToString(in.Family), resp.TaskDefinition.Revision, aws.ToString(in.Cpu), aws.ToString(in.Memory)), a.save()
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

// updateService deploys a later entry's revision to the service.
func (a *Applier) updateService(ctx context.Context, in *ecs.UpdateServiceInput) (string, error) {
	resp, err := a.c.ECS.UpdateService(ctx, in)
	if err != nil {
		return "", err
	}
	a.state.ServiceARN = aws.ToString(resp.Service.ServiceArn)
	return fmt.Sprintf("deploying %s, desired %d", lastPart(aws.ToString(in.TaskDefinition)), aws.ToInt32(in.DesiredCount)), a.save()
}

// registerScalableTarget registers (or updates: an upsert) the service's
// desired count as a scalable target.
func (a *Applier) registerScalableTarget(ctx context.Context, in *aas.RegisterScalableTargetInput) (string, error) {
	if _, err := a.c.Autoscaling.RegisterScalableTarget(ctx, in); err != nil {
		return "", err
	}
	a.state.ScalableTarget = aws.ToString(in.ResourceId)
	return fmt.Sprintf("min %d, max %d", aws.ToInt32(in.MinCapacity), aws.ToInt32(in.MaxCapacity)), a.save()
}

// putScalingPolicy creates or updates (an upsert) a scaling policy; its
// ARN is what a step scaling policy's alarm triggers.
func (a *Applier) putScalingPolicy(ctx context.Context, in *aas.PutScalingPolicyInput, out map[string]string) (string, error) {
	resp, err := a.c.Autoscaling.PutScalingPolicy(ctx, in)
	if err != nil {
		return "", err
	}
	a.state.Policies = addUnique(a.state.Policies, aws.ToString(in.PolicyName))
	out["PolicyARN"] = aws.ToString(resp.PolicyARN)
	return aws.ToString(in.PolicyName), a.save()
}

// putMetricAlarm creates or updates (an upsert) a step scaling alarm.
func (a *Applier) putMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput) (string, error) {
	if _, err := a.c.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
		return "", err
	}
	a.state.Alarms = addUnique(a.state.Alarms, aws.ToString(in.AlarmName))
	return aws.ToString(in.AlarmName), a.save()
}

type lbInfo struct{ arn, dns string }

// loadBalancerNamed is the load balancer called name, or nil when there
// is none.
func loadBalancerNamed(ctx context.Context, c *Clients, name string) (*lbInfo, error) {
	resp, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}})
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

// targetGroupNamed is the ARN of the target group called name, or ""
// when there is none.
func targetGroupNamed(ctx context.Context, c *Clients, name string) (string, error) {
	resp, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}})
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
