package ecs

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/ecslab/lab/scenarios"
)

// networkFacts are what the network checks of apply need from the
// settings: which subnets serve what, and what was stated.
type networkFacts struct {
	albSubnets     []string // lab's ALB's; none with a given target group
	taskSubnets    []string
	internetFacing bool
	assignStated   *bool
	// wantHealth and deregistration are the scenario's health check and
	// deregistration delay (seconds), to compare with a given target
	// group's.
	wantHealth     *wantedHealth
	deregistration string
}

// resolveSubnets reads the ALB's and the tasks' subnets and security
// groups from the settings: alb_subnets and task_subnets, each falling
// back to subnets.
func (pl *planner) resolveSubnets() {
	s := pl.set
	ownALB := s.TargetGroupARN == ""
	pl.taskSubnets = orList(s.TaskSubnets, s.Subnets)
	if ownALB {
		pl.albSubnets = orList(s.ALBSubnets, s.Subnets)
	}
	switch {
	case len(pl.taskSubnets) == 0 && ownALB && len(pl.albSubnets) == 0:
		pl.taskSubnets = []string{pl.missing("subnets", "VPC subnet IDs for the ALB (two zones or more) and the tasks; or alb_subnets and task_subnets apart")}
		pl.albSubnets = pl.taskSubnets
	case len(pl.taskSubnets) == 0:
		pl.taskSubnets = []string{pl.missing("task_subnets", "VPC subnet IDs for the tasks (or subnets, for both the ALB and the tasks)")}
	case ownALB && len(pl.albSubnets) == 0:
		pl.albSubnets = []string{pl.missing("alb_subnets", "VPC subnet IDs for the ALB, in two zones or more (or subnets, for both the ALB and the tasks)")}
	}
	pl.p.network = networkFacts{albSubnets: pl.albSubnets, taskSubnets: pl.taskSubnets, internetFacing: ownALB && !s.Internal, assignStated: s.AssignPublicIP}
	switch {
	case len(s.SecurityGroups) > 0:
		pl.albSGs, pl.taskSGs = s.SecurityGroups, s.SecurityGroups
		pl.warn("security_groups are given: lab creates no security group and cannot check that they let clients reach the ALB on port %d and the ALB reach the tasks on port %d", ListenerPort, pl.port)
	case ownALB && len(s.ALBIngressCIDRs) > 0:
		pl.ingress = s.ALBIngressCIDRs
	case ownALB && !s.Internal:
		pl.ingress = []string{pl.missing("alb_ingress_cidrs", "who may reach the ALB's listener: found when the run starts as your public IPv4 address (asked of checkip.amazonaws.com), /32; set it to allow more")}
	}
	if s.Internal && ownALB {
		pl.warn("internal: true: the ALB has private addresses only, so lab must run inside the VPC (or a network joined to it) to send the load")
	}
}

// network plans the look-ups that check the subnets before anything
// billable exists: one VPC, the routes and endpoints the tasks reach ECR
// by (which decide assignPublicIp when it is not stated), and the VPC's
// range when an internal ALB admits the VPC.
func (pl *planner) network() {
	subnets := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(pl.albSubnets), pl.taskSubnets...))))
	vpcStep := pl.add(Step{Service: ServiceEC2, Operation: "DescribeSubnets", Entry: -1, ReadOnly: true,
		Note:  "the VPC of the subnets (one for all), and the ALB's zones (two or more)",
		Input: &ec2.DescribeSubnetsInput{SubnetIds: subnets}})
	pl.vpcID = Ref{Step: vpcStep, Field: "VpcId"}.String()
	vpcFilter := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{pl.vpcID}}}
	pl.add(Step{Service: ServiceEC2, Operation: "DescribeVpcEndpoints", Entry: -1, ReadOnly: true,
		Note:  "VPC endpoints for ECR (ecr.api, ecr.dkr and s3): how tasks in subnets without a route to the internet pull the image",
		Input: &ec2.DescribeVpcEndpointsInput{Filters: vpcFilter}})
	rt := pl.add(Step{Service: ServiceEC2, Operation: "DescribeRouteTables", Entry: -1, ReadOnly: true,
		Note:  "each subnet's default route: public (internet gateway), private (NAT) or none; apply stops when no task subnet can reach ECR, and derives assignPublicIp (public subnets need it) unless assign_public_ip is set",
		Input: &ec2.DescribeRouteTablesInput{Filters: vpcFilter}})
	switch stated := pl.set.AssignPublicIP; {
	case stated == nil:
		pl.assignPublic = Ref{Step: rt, Field: "AssignPublicIp"}.String()
	case *stated:
		pl.assignPublic = string(ecstypes.AssignPublicIpEnabled)
	default:
		pl.assignPublic = string(ecstypes.AssignPublicIpDisabled)
	}
	if pl.set.Internal && pl.set.TargetGroupARN == "" && len(pl.set.SecurityGroups) == 0 && len(pl.set.ALBIngressCIDRs) == 0 {
		n := pl.add(Step{Service: ServiceEC2, Operation: "DescribeVpcs", Entry: -1, ReadOnly: true,
			Note:  "the VPC's range: who may reach the internal ALB",
			Input: &ec2.DescribeVpcsInput{VpcIds: []string{pl.vpcID}}})
		pl.ingress = []string{Ref{Step: n, Field: "CidrBlock"}.String()}
	}
}

// balancer plans the security groups and the ALB, or the look-ups of the
// given target group.
func (pl *planner) balancer() {
	if arn := pl.set.TargetGroupARN; arn != "" {
		pl.givenTargetGroup(arn)
		return
	}
	pl.securityGroups("")
	name := pl.names.ELB()
	lbARN := pl.loadBalancer(name)
	pl.targetGroupOf(name, pl.vpcID)
	pl.listener(lbARN)
}

// securityGroups plans the groups lab creates and owns, unless the
// settings give security_groups: the ALB's (listener port from the
// ingress ranges), unless albSG names the given ALB's group, and the
// tasks' (container port from the ALB's group only).
func (pl *planner) securityGroups(albSG string) {
	if len(pl.set.SecurityGroups) > 0 {
		return
	}
	also := []string{"ec2:DescribeSecurityGroups"}
	if albSG == "" {
		n := pl.add(Step{Service: ServiceEC2, Operation: "CreateSecurityGroup", Entry: -1, Also: also,
			Note: "the ALB's security group, lab's own; an existing one is taken over only if its tags say it is this scenario's and owner's",
			Input: &ec2.CreateSecurityGroupInput{
				GroupName:         aws.String(pl.names.SecurityGroup("alb")),
				Description:       aws.String(fmt.Sprintf("lab %s: clients to the ALB on port %d", pl.sc.Name, ListenerPort)),
				VpcId:             aws.String(pl.vpcID),
				TagSpecifications: pl.ec2Tags(ec2types.ResourceTypeSecurityGroup, "alb-security-group"),
			}})
		albSG = Ref{Step: n, Field: "GroupId"}.String()
		var ranges []ec2types.IpRange
		for _, c := range pl.ingress {
			ranges = append(ranges, ec2types.IpRange{CidrIp: aws.String(c), Description: aws.String("lab: load generator")})
		}
		pl.add(Step{Service: ServiceEC2, Operation: "AuthorizeSecurityGroupIngress", Entry: -1,
			Note: fmt.Sprintf("clients may reach the listener (port %d); a rule that exists is kept", ListenerPort),
			Input: &ec2.AuthorizeSecurityGroupIngressInput{
				GroupId:       aws.String(albSG),
				IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(ListenerPort), ToPort: aws.Int32(ListenerPort), IpRanges: ranges}},
			}})
		pl.albSGs = []string{albSG}
	}
	n := pl.add(Step{Service: ServiceEC2, Operation: "CreateSecurityGroup", Entry: -1, Also: also,
		Note: "the tasks' security group, lab's own",
		Input: &ec2.CreateSecurityGroupInput{
			GroupName:         aws.String(pl.names.SecurityGroup("tasks")),
			Description:       aws.String(fmt.Sprintf("lab %s: the ALB to the tasks on port %d", pl.sc.Name, pl.port)),
			VpcId:             aws.String(pl.vpcID),
			TagSpecifications: pl.ec2Tags(ec2types.ResourceTypeSecurityGroup, "task-security-group"),
		}})
	taskSG := Ref{Step: n, Field: "GroupId"}.String()
	pl.add(Step{Service: ServiceEC2, Operation: "AuthorizeSecurityGroupIngress", Entry: -1,
		Note: fmt.Sprintf("only the ALB may reach the tasks (port %d); a rule that exists is kept", pl.port),
		Input: &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(taskSG),
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"), FromPort: aws.Int32(pl.port), ToPort: aws.Int32(pl.port),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(albSG), Description: aws.String("lab: the ALB")}},
			}},
		}})
	pl.taskSGs = []string{taskSG}
}

// givenTargetGroup plans the look-ups of a target group the settings
// name (its load balancer, for the endpoint, the scaling metrics and its
// security group) and the tasks' security group.
func (pl *planner) givenTargetGroup(arn string) {
	pl.targetGroup = arn
	pl.tgDimension = targetGroupDimension(arn)
	n := pl.add(Step{Service: ServiceELB, Operation: "DescribeTargetGroups", Entry: -1, ReadOnly: true,
		Note:  "the given target group: IP targets (awsvpc needs them), its load balancer (the endpoint, the scaling metrics), and its health check and deregistration delay against the scenario's, which lab does not change on a target group it does not own",
		Also:  []string{"elasticloadbalancing:DescribeTargetGroupAttributes"},
		Input: &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}})
	lbARN := Ref{Step: n, Field: "LoadBalancerArn"}.String()
	pl.lbDimension = Ref{Step: n, Field: "LoadBalancer dimension"}.String()
	lb := pl.add(Step{Service: ServiceELB, Operation: "DescribeLoadBalancers", Entry: -1, ReadOnly: true,
		Note:  "the endpoint the load goes to (the load balancer's DNSName) and its security group, which the tasks admit",
		Input: &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}}})
	want := &wantedHealth{}
	pl.healthCheck(want)
	pl.p.network.wantHealth = want
	pl.p.network.deregistration = seconds(pl.clampDuration("balancer.deregistration_delay", pl.sc.Balancer.DeregistrationDelay, 0, maxDeregistration))
	pl.warn("target_group_arn is given: lab's tasks join a target group that may serve real traffic, and real clients' requests reach lab's tasks; lab counts only its own tasks' targets, changes none of the group's settings, and deregisters its tasks at the end")
	pl.securityGroups(Ref{Step: lb, Field: "SecurityGroup"}.String())
}

// loadBalancer plans the ALB lab creates and its idle timeout, and
// returns the reference to its ARN.
func (pl *planner) loadBalancer(name string) string {
	scheme := elbtypes.LoadBalancerSchemeEnumInternetFacing
	if pl.set.Internal {
		scheme = elbtypes.LoadBalancerSchemeEnumInternal
	}
	lbStep := pl.add(Step{Service: ServiceELB, Operation: "CreateLoadBalancer", Entry: -1,
		Note: "no target_group_arn given: lab creates the ALB; its DNSName is the endpoint the load goes to; an existing one is taken over only if its tags say it is this scenario's and owner's",
		Also: []string{"elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"},
		Input: &elb.CreateLoadBalancerInput{
			Name:           aws.String(name),
			Type:           elbtypes.LoadBalancerTypeEnumApplication,
			Scheme:         scheme,
			IpAddressType:  elbtypes.IpAddressTypeIpv4,
			Subnets:        pl.albSubnets,
			SecurityGroups: pl.albSGs,
			Tags:           pl.elbTags("load-balancer"),
		}})
	lbARN := Ref{Step: lbStep, Field: "LoadBalancerArn"}.String()
	pl.lbDimension = Ref{Step: lbStep, Field: "LoadBalancer dimension"}.String()

	idle := pl.clampDuration("balancer.target_timeout (ALB idle timeout)", pl.sc.Balancer.TargetTimeout, minIdleTimeout, maxIdleTimeout)
	pl.add(Step{Service: ServiceELB, Operation: "ModifyLoadBalancerAttributes", Entry: -1,
		Note: "balancer.target_timeout: the ALB answers 504 after it",
		Input: &elb.ModifyLoadBalancerAttributesInput{
			LoadBalancerArn: aws.String(lbARN),
			Attributes: []elbtypes.LoadBalancerAttribute{
				{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String(seconds(idle))},
			},
		}})
	return lbARN
}

// targetGroupOf plans the target group lab creates in the VPC vpcID (a
// reference) with the scenario's health check, and its attributes.
func (pl *planner) targetGroupOf(name, vpcID string) {
	input := &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		TargetType: elbtypes.TargetTypeEnumIp,
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(pl.port),
		VpcId:      aws.String(vpcID),
		Tags:       pl.elbTags("target-group"),
	}
	pl.healthCheck(input)
	tgStep := pl.add(Step{Service: ServiceELB, Operation: "CreateTargetGroup", Entry: -1,
		Also:  []string{"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTags"},
		Note:  "IP targets (awsvpc); the health check is the scenario's, within ALB's limits",
		Input: input})
	pl.targetGroup = Ref{Step: tgStep, Field: "TargetGroupArn"}.String()
	pl.tgDimension = Ref{Step: tgStep, Field: "TargetGroup dimension"}.String()

	dereg := pl.clampDuration("balancer.deregistration_delay", pl.sc.Balancer.DeregistrationDelay, 0, maxDeregistration)
	algorithm := "round_robin"
	if pl.sc.Balancer.Algorithm == scenarios.LeastOutstandingRequests {
		algorithm = "least_outstanding_requests"
	}
	pl.add(Step{Service: ServiceELB, Operation: "ModifyTargetGroupAttributes", Entry: -1,
		Note: "balancer.deregistration_delay and balancer.algorithm",
		Input: &elb.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(pl.targetGroup),
			Attributes: []elbtypes.TargetGroupAttribute{
				{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(seconds(dereg))},
				{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String(algorithm)},
			},
		}})
}

// healthCheck sets the target group's health check to the scenario's,
// within ALB's limits (with a warning for each value it changes), its
// matcher included.
func (pl *planner) healthCheck(tg *elb.CreateTargetGroupInput) {
	hc := pl.sc.Service.HealthCheck
	interval := pl.clampDuration("service.health_check.interval", hc.Interval, minHealthInterval, maxHealthInterval)
	timeout := pl.clampDuration("service.health_check.timeout", hc.Timeout, minHealthTimeout, maxHealthTimeout)
	if timeout >= interval {
		t := max(interval-time.Second, minHealthTimeout)
		pl.warn("service.health_check.timeout %s must be shorter than the interval %s on ALB: the target group uses %s", timeout, interval, t)
		timeout = t
	}
	healthy := pl.clampInt("service.health_check.healthy_threshold", hc.HealthyThreshold, minHealthThreshold, maxHealthThreshold)
	unhealthy := pl.clampInt("service.health_check.unhealthy_threshold", hc.UnhealthyThreshold, minHealthThreshold, maxHealthThreshold)
	path := hc.Path
	if path == "" {
		path = scenarios.DefaultHealthPath
	}
	tg.HealthCheckProtocol = elbtypes.ProtocolEnumHttp
	tg.HealthCheckPath = aws.String(path)
	tg.HealthCheckIntervalSeconds = aws.Int32(int32(interval / time.Second))
	tg.HealthCheckTimeoutSeconds = aws.Int32(int32(timeout / time.Second))
	tg.HealthyThresholdCount = aws.Int32(int32(healthy))
	tg.UnhealthyThresholdCount = aws.Int32(int32(unhealthy))
	// The scenario's matcher is in ALB's own syntax, checked against
	// ALB's range when the scenario was loaded.
	tg.Matcher = &elbtypes.Matcher{HttpCode: aws.String(cmp.Or(hc.Matcher, scenarios.DefaultMatcher))}
}

// listener plans the ALB's HTTP listener, forwarding to the target group.
func (pl *planner) listener(lbARN string) {
	pl.add(Step{Service: ServiceELB, Operation: "CreateListener", Entry: -1,
		Also: []string{"elasticloadbalancing:DescribeListeners"},
		Note: fmt.Sprintf("HTTP on port %d, forwarding to the target group", ListenerPort),
		Input: &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(lbARN),
			Protocol:        elbtypes.ProtocolEnumHttp,
			Port:            aws.Int32(ListenerPort),
			DefaultActions: []elbtypes.Action{{
				Type:           elbtypes.ActionTypeEnumForward,
				TargetGroupArn: aws.String(pl.targetGroup),
			}},
			Tags: pl.elbTags("listener"),
		}})
}

func (pl *planner) clampDuration(field string, d, lo, hi time.Duration) time.Duration {
	c := min(max(d, lo), hi)
	if r := c.Truncate(time.Second); r != c {
		c = r + time.Second // ALB takes whole seconds: round up
	}
	if c != d {
		pl.warn("%s %s is outside what AWS allows (%s to %s, whole seconds): the plan uses %s", field, d, lo, hi, c)
	}
	return c
}

func (pl *planner) clampInt(field string, v, lo, hi int) int {
	c := min(max(v, lo), hi)
	if c != v {
		pl.warn("%s %d is outside what ALB allows (%d to %d): the plan uses %d", field, v, lo, hi, c)
	}
	return c
}
