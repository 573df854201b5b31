package ecs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The network checks apply makes before anything billable exists: can
// the tasks pull their image, can clients reach the ALB. They are pure:
// the route tables in, a decision out.

// What a subnet's default route (0.0.0.0/0) leads to.
const (
	routePublic   = "public"   // an internet gateway
	routePrivate  = "private"  // a NAT gateway, or another way out (transit gateway, peering, an appliance)
	routeIsolated = "isolated" // nowhere: only the VPC and its endpoints
)

// subnetRoutes returns what each subnet's default route leads to, from
// the VPC's route tables: a subnet's own table, else the VPC's main one.
func subnetRoutes(tables []ec2types.RouteTable) func(subnet string) string {
	kind := func(t ec2types.RouteTable) string {
		for _, r := range t.Routes {
			if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" || r.State == ec2types.RouteStateBlackhole {
				continue
			}
			if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
				return routePublic
			}
			return routePrivate
		}
		return routeIsolated
	}
	own, main := map[string]string{}, routeIsolated
	for _, t := range tables {
		for _, a := range t.Associations {
			switch {
			case aws.ToBool(a.Main):
				main = kind(t)
			case a.SubnetId != nil:
				own[aws.ToString(a.SubnetId)] = kind(t)
			}
		}
	}
	return func(subnet string) string {
		if k, ok := own[subnet]; ok {
			return k
		}
		return main
	}
}

// routeCheck is the outcome of checkRoutes.
type routeCheck struct {
	assign   string // ENABLED or DISABLED
	why      string
	warnings []string
	err      error // no task subnet can reach ECR
}

// checkRoutes decides assignPublicIp (unless stated) and whether the
// tasks can pull their image: a task reaches ECR through a NAT (a
// private subnet), through an internet gateway only with a public
// address (a public subnet), or through VPC endpoints. It also warns when
// an internet-facing ALB sits in a subnet without an internet gateway.
func checkRoutes(n networkFacts, kindOf func(string) string, endpoints bool) routeCheck {
	var r routeCheck
	public := slices.ContainsFunc(n.taskSubnets, func(s string) bool { return kindOf(s) == routePublic })
	switch {
	case n.assignStated != nil && *n.assignStated:
		r.assign, r.why = string(ecstypes.AssignPublicIpEnabled), "assign_public_ip: true"
	case n.assignStated != nil:
		r.assign, r.why = string(ecstypes.AssignPublicIpDisabled), "assign_public_ip: false"
	case public && !endpoints:
		r.assign, r.why = string(ecstypes.AssignPublicIpEnabled), "tasks in public subnets reach ECR only with a public address"
	case endpoints:
		r.assign, r.why = string(ecstypes.AssignPublicIpDisabled), "ECR through the VPC's endpoints"
	default:
		r.assign, r.why = string(ecstypes.AssignPublicIpDisabled), "private subnets reach ECR through their NAT"
	}
	var blocked []string
	for _, s := range n.taskSubnets {
		switch kind := kindOf(s); {
		case endpoints || kind == routePrivate:
		case kind == routePublic && r.assign == string(ecstypes.AssignPublicIpEnabled):
		case kind == routePublic:
			blocked = append(blocked, s+" (public, but the tasks get no public address)")
		default:
			blocked = append(blocked, s+" (no route out of the VPC and no ECR endpoints)")
		}
	}
	const remedy = "give task_subnets with a NAT gateway route, public subnets with assign_public_ip left out or true, or add VPC endpoints for ecr.api, ecr.dkr, s3 and logs"
	switch {
	case len(blocked) == len(n.taskSubnets) && len(blocked) > 0:
		r.err = fmt.Errorf("tasks cannot reach ECR to pull their image from subnet %s: %s", strings.Join(blocked, ", "), remedy)
	case len(blocked) > 0:
		r.warnings = append(r.warnings, fmt.Sprintf("tasks placed in subnet %s cannot reach ECR and will fail to start: %s", strings.Join(blocked, ", "), remedy))
	}
	if n.internetFacing {
		for _, s := range n.albSubnets {
			if kindOf(s) != routePublic {
				r.warnings = append(r.warnings, fmt.Sprintf("the internet-facing ALB's subnet %s has no route to an internet gateway: clients cannot reach the ALB through it (give public alb_subnets)", s))
			}
		}
	}
	return r
}

// healthDiffs lists where a given target group's health check differs
// from the scenario's (n.wantHealth), as "health check path is /x, the
// scenario's /".
func (n networkFacts) healthDiffs(tg elbtypes.TargetGroup) []string {
	w := n.wantHealth
	if w == nil {
		return nil
	}
	var out []string
	diff := func(what, got, want string) {
		if got != want {
			out = append(out, fmt.Sprintf("health check %s is %s, the scenario's %s", what, got, want))
		}
	}
	num := func(p *int32) string { return fmt.Sprint(aws.ToInt32(p)) }
	diff("path", aws.ToString(tg.HealthCheckPath), aws.ToString(w.HealthCheckPath))
	diff("interval (s)", num(tg.HealthCheckIntervalSeconds), num(w.HealthCheckIntervalSeconds))
	diff("timeout (s)", num(tg.HealthCheckTimeoutSeconds), num(w.HealthCheckTimeoutSeconds))
	diff("healthy threshold", num(tg.HealthyThresholdCount), num(w.HealthyThresholdCount))
	diff("unhealthy threshold", num(tg.UnhealthyThresholdCount), num(w.UnhealthyThresholdCount))
	if tg.Matcher != nil && w.Matcher != nil {
		diff("success codes", aws.ToString(tg.Matcher.HttpCode), aws.ToString(w.Matcher.HttpCode))
	}
	return out
}

// wantedHealth is the target group lab would create, for its health
// check settings.
type wantedHealth = elb.CreateTargetGroupInput
