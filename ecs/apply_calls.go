package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The calls of Applier.call, one method per kind of resource. Each sends
// its input, puts the response fields later steps refer to into out,
// records what it created in the state (saved before it returns), and
// says what it did in a few words.

// createLogGroup creates the log group, or keeps one that exists and is
// lab's for this scenario and owner.
func (a *Applier) createLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput) (string, error) {
	name := aws.ToString(in.LogGroupName)
	_, err := a.c.Logs.CreateLogGroup(ctx, in)
	verb := "created"
	if apiCode(err) == "ResourceAlreadyExistsException" {
		tags, err := a.c.Logs.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: in.LogGroupName}) //nolint:staticcheck // ListTagsForResource needs the ARN; this is the same data by name
		if err != nil {
			return "", err
		}
		if err := a.takeOver("log group", name, tags.Tags); err != nil {
			return "", err
		}
		verb = "exists: kept"
	} else if err != nil {
		return "", err
	}
	if name == a.plan.LogGroup { // not the generators'
		a.state.LogGroup = name
	}
	return name + " " + verb, a.save()
}

// takeOver refuses a resource of lab's name that its tags do not give to
// this scenario and owner.
func (a *Applier) takeOver(what, name string, tags map[string]string) error {
	if a.plan.Names.Owns(tags) {
		return nil
	}
	return fmt.Errorf("%s %s exists and is %s: lab takes over only what it created for this scenario and owner; remove it, or set ecs.name_suffix to use other names", what, name, a.plan.Names.Whose(tags))
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

// describeSubnets finds the one VPC of the subnets, and checks that the
// ALB's are in two zones or more, as ELB requires.
func (a *Applier) describeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, out map[string]string) (string, error) {
	resp, err := a.c.EC2.DescribeSubnets(ctx, in)
	if err != nil {
		return "", err
	}
	vpc := ""
	zones := map[string]bool{}
	for _, sn := range resp.Subnets {
		if vpc != "" && aws.ToString(sn.VpcId) != vpc {
			return "", fmt.Errorf("the subnets are in different VPCs (%s, %s): give subnets of one VPC", vpc, aws.ToString(sn.VpcId))
		}
		vpc = aws.ToString(sn.VpcId)
		if slices.Contains(a.plan.network.albSubnets, aws.ToString(sn.SubnetId)) {
			zones[aws.ToString(sn.AvailabilityZone)] = true
		}
	}
	if vpc == "" {
		return "", fmt.Errorf("no subnet found among %s: check the subnets and the region", strings.Join(in.SubnetIds, ", "))
	}
	if n := len(a.plan.network.albSubnets); n > 0 && len(zones) < 2 {
		return "", fmt.Errorf("the ALB's subnets (%s) are in %d availability zone: an ALB needs subnets in two zones or more", strings.Join(a.plan.network.albSubnets, ", "), len(zones))
	}
	out["VpcId"] = vpc
	return "VPC " + vpc, nil
}

// describeVpcEndpoints tells describeRouteTables whether the VPC has the
// endpoints tasks without a route to the internet pull images through.
func (a *Applier) describeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, out map[string]string) (string, error) {
	resp, err := a.c.EC2.DescribeVpcEndpoints(ctx, in)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range resp.VpcEndpoints {
		names = append(names, aws.ToString(e.ServiceName))
	}
	if hasECREndpoints(names) {
		out["ECR endpoints"] = "yes"
		return "ECR reachable through VPC endpoints", nil
	}
	return "no VPC endpoints for ECR", nil
}

// hasECREndpoints says whether the endpoint services include ECR's API,
// its registry and S3 (where ECR keeps the layers).
func hasECREndpoints(services []string) bool {
	has := func(suffix string) bool {
		return slices.ContainsFunc(services, func(s string) bool { return strings.HasSuffix(s, suffix) })
	}
	return has(".ecr.api") && has(".ecr.dkr") && has(".s3")
}

// describeRouteTables classifies the subnets by their default route and
// decides assignPublicIp (out["AssignPublicIp"]); see checkRoutes.
func (a *Applier) describeRouteTables(ctx context.Context, in *ec2.DescribeRouteTablesInput, out map[string]string) (string, error) {
	resp, err := a.c.EC2.DescribeRouteTables(ctx, in)
	if err != nil {
		return "", err
	}
	endpoints := a.outputOf("DescribeVpcEndpoints", "ECR endpoints") == "yes"
	r := checkRoutes(a.plan.network, subnetRoutes(resp.RouteTables), endpoints)
	for _, w := range r.warnings {
		a.logf("warning: %s", w)
	}
	if r.err != nil {
		return "", r.err
	}
	out["AssignPublicIp"] = r.assign
	return "assignPublicIp " + r.assign + " (" + r.why + ")", nil
}

// describeVpcs reads the VPC's range, which may reach an internal ALB.
func (a *Applier) describeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, out map[string]string) (string, error) {
	resp, err := a.c.EC2.DescribeVpcs(ctx, in)
	if err != nil {
		return "", err
	}
	if len(resp.Vpcs) == 0 || aws.ToString(resp.Vpcs[0].CidrBlock) == "" {
		return "", fmt.Errorf("VPC %s has no IPv4 range: set alb_ingress_cidrs", strings.Join(in.VpcIds, ","))
	}
	out["CidrBlock"] = aws.ToString(resp.Vpcs[0].CidrBlock)
	return "range " + out["CidrBlock"], nil
}

// createSecurityGroup creates one of lab's security groups, or takes over
// the one of that name in the VPC when its tags say it is lab's for this
// scenario and owner.
func (a *Applier) createSecurityGroup(ctx context.Context, in *ec2.CreateSecurityGroupInput, out map[string]string) (string, error) {
	name := aws.ToString(in.GroupName)
	found, err := a.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}}, {Name: aws.String("vpc-id"), Values: []string{aws.ToString(in.VpcId)}},
	}})
	if err != nil {
		return "", err
	}
	id, verb := "", "created"
	if len(found.SecurityGroups) > 0 {
		g := found.SecurityGroups[0]
		tags := tagMap(g.Tags, func(t ec2types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
		if err := a.takeOver("security group", name, tags); err != nil {
			return "", err
		}
		id, verb = aws.ToString(g.GroupId), "exists: taken over"
	} else {
		resp, err := a.c.EC2.CreateSecurityGroup(ctx, in)
		if err != nil {
			return "", err
		}
		id = aws.ToString(resp.GroupId)
	}
	a.state.SecurityGroups = addUnique(a.state.SecurityGroups, id)
	out["GroupId"] = id
	return fmt.Sprintf("%s %s %s", name, id, verb), a.save()
}

// authorizeIngress adds a security group rule; one that exists is kept.
func (a *Applier) authorizeIngress(ctx context.Context, in *ec2.AuthorizeSecurityGroupIngressInput) (string, error) {
	_, err := a.c.EC2.AuthorizeSecurityGroupIngress(ctx, in)
	if apiCode(err) == "InvalidPermission.Duplicate" {
		return "the rule exists: kept", nil
	}
	if err != nil {
		return "", err
	}
	return "rule added", nil
}

// createLoadBalancer creates the ALB, or takes over the one of that name
// when its tags say it is lab's for this scenario and owner.
func (a *Applier) createLoadBalancer(ctx context.Context, in *elb.CreateLoadBalancerInput, out map[string]string) (string, error) {
	lb, err := loadBalancerNamed(ctx, a.c, aws.ToString(in.Name))
	if err != nil {
		return "", err
	}
	verb := "exists: taken over"
	if lb != nil {
		if err := a.takeOverELB(ctx, "load balancer", aws.ToString(in.Name), lb.arn); err != nil {
			return "", err
		}
	} else {
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
	lb := resp.LoadBalancers[0]
	out["DNSName"] = aws.ToString(lb.DNSName)
	out["LoadBalancerArn"] = aws.ToString(lb.LoadBalancerArn)
	if len(lb.SecurityGroups) > 0 {
		// Any one of the ALB's groups admits its traffic: the ALB's
		// network interfaces carry them all.
		out["SecurityGroup"] = lb.SecurityGroups[0]
	}
	return out["DNSName"], nil
}

// takeOverELB refuses a load balancer or target group of lab's name that
// its tags do not give to this scenario and owner.
func (a *Applier) takeOverELB(ctx context.Context, what, name, arn string) error {
	tags, err := elbTags(ctx, a.c, arn)
	if err != nil {
		return err
	}
	return a.takeOver(what, name, tags)
}

// createTargetGroup creates the target group, or takes over the one of
// that name when its tags say it is lab's for this scenario and owner.
func (a *Applier) createTargetGroup(ctx context.Context, in *elb.CreateTargetGroupInput, out map[string]string) (string, error) {
	arn, err := targetGroupNamed(ctx, a.c, aws.ToString(in.Name))
	if err != nil {
		return "", err
	}
	verb := "exists: taken over"
	if arn != "" {
		if err := a.takeOverELB(ctx, "target group", aws.ToString(in.Name), arn); err != nil {
			return "", err
		}
	} else {
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

// describeTargetGroups reads the given target group: it must take IP
// targets (awsvpc tasks register by address) and be behind a load
// balancer; where its health check or deregistration delay differs from
// the scenario's, lab says so and leaves it (the group may serve real
// traffic).
func (a *Applier) describeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, out map[string]string) (string, error) {
	resp, err := a.c.ELB.DescribeTargetGroups(ctx, in)
	if err != nil {
		return "", err
	}
	arn := strings.Join(in.TargetGroupArns, ",")
	if len(resp.TargetGroups) == 0 || len(resp.TargetGroups[0].LoadBalancerArns) == 0 {
		return "", fmt.Errorf("target group %s is not attached to a load balancer: add it to a listener of an ALB, or leave target_group_arn out and lab creates one", arn)
	}
	tg := resp.TargetGroups[0]
	if tg.TargetType != elbtypes.TargetTypeEnumIp {
		return "", fmt.Errorf("target group %s takes %q targets: Fargate tasks (awsvpc) register by IP address, so give a target group of target type ip", arn, tg.TargetType)
	}
	for _, d := range a.plan.network.healthDiffs(tg) {
		a.logf("warning: the given target group's %s; lab leaves it as it is", d)
	}
	if want := a.plan.network.deregistration; want != "" {
		attrs, err := a.c.ELB.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
		if err != nil {
			return "", err
		}
		for _, at := range attrs.Attributes {
			if aws.ToString(at.Key) == "deregistration_delay.timeout_seconds" && aws.ToString(at.Value) != want {
				a.logf("warning: the given target group's deregistration delay is %ss, the scenario's %ss; lab leaves it as it is", aws.ToString(at.Value), want)
			}
		}
	}
	lbARN := tg.LoadBalancerArns[0]
	out["LoadBalancerArn"], out["LoadBalancer dimension"] = lbARN, loadBalancerDimension(lbARN)
	out["TargetGroupArn"] = aws.ToString(tg.TargetGroupArn)
	return "IP targets, behind " + lbARN, nil
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
// it when a service of that name is already active (a rerun of up) and
// its tags say it is lab's for this scenario and owner.
func (a *Applier) createService(ctx context.Context, in *ecs.CreateServiceInput) (string, error) {
	c, st := a.c, a.state
	svc, err := describeService(ctx, c, aws.ToString(in.Cluster), aws.ToString(in.ServiceName))
	if err != nil {
		return "", err
	}
	if svc != nil {
		if aws.ToString(svc.Status) == "DRAINING" {
			return "", fmt.Errorf("service %s is still being deleted (DRAINING): wait a few minutes and run again", aws.ToString(in.ServiceName))
		}
		if err := a.takeOver("service", aws.ToString(in.ServiceName), ecsTags(svc.Tags)); err != nil {
			return "", err
		}
		st.ServiceARN = aws.ToString(svc.ServiceArn)
		if err := a.save(); err != nil {
			return "", err
		}
		if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: in.Cluster, Service: in.ServiceName,
			TaskDefinition: in.TaskDefinition, DesiredCount: in.DesiredCount,
			NetworkConfiguration: in.NetworkConfiguration, DeploymentConfiguration: in.DeploymentConfiguration,
		}); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s exists: deploying %s to it", aws.ToString(in.ServiceName), lastPart(aws.ToString(in.TaskDefinition))), nil
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

// putMetricAlarm creates a step scaling alarm, or updates the one of that
// name (PutMetricAlarm is an upsert: it would overwrite any alarm of the
// name) when its tags say it is lab's for this scenario and owner.
func (a *Applier) putMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput) (string, error) {
	name := aws.ToString(in.AlarmName)
	found, err := a.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return "", err
	}
	verb := "created"
	for _, al := range found.MetricAlarms {
		if aws.ToString(al.AlarmName) != name {
			continue
		}
		tags, err := a.c.CloudWatch.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: al.AlarmArn})
		if err != nil {
			return "", err
		}
		if err := a.takeOver("alarm", name, tagMap(tags.Tags, func(t cwtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })); err != nil {
			return "", err
		}
		verb = "exists: updated"
	}
	if _, err := a.c.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
		return "", err
	}
	a.state.Alarms = addUnique(a.state.Alarms, name)
	return name + " " + verb, a.save()
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
