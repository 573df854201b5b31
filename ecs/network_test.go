package ecs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The task subnets' routes decide assignPublicIp and whether the tasks
// can pull their image at all, before anything billable exists.
func TestCheckRoutes(t *testing.T) {
	kinds := map[string]string{"pub": routePublic, "priv": routePrivate, "iso": routeIsolated}
	kindOf := func(s string) string { return kinds[s] }
	yes, no := aws.Bool(true), aws.Bool(false)
	for _, tc := range []struct {
		name       string
		tasks, alb []string
		stated     *bool
		endpoints  bool
		assign     string
		err, warn  string
	}{
		{"public subnets need an address", []string{"pub"}, []string{"pub"}, nil, false, "ENABLED", "", ""},
		{"private subnets use their NAT", []string{"priv"}, []string{"pub"}, nil, false, "DISABLED", "", ""},
		{"endpoints serve every subnet", []string{"iso"}, []string{"pub"}, nil, true, "DISABLED", "", ""},
		{"isolated without endpoints", []string{"iso"}, []string{"pub"}, nil, false, "", "no route out of the VPC and no ECR endpoints", ""},
		{"public without an address", []string{"pub"}, []string{"pub"}, no, false, "", "public, but the tasks get no public address", ""},
		{"stated true in private subnets", []string{"priv"}, []string{"pub"}, yes, false, "ENABLED", "", ""},
		{"some subnets blocked", []string{"priv", "iso"}, []string{"pub"}, nil, false, "DISABLED", "", "tasks placed in subnet iso"},
		{"an internet-facing ALB in a private subnet", []string{"priv"}, []string{"pub", "priv"}, nil, false, "DISABLED", "", "ALB's subnet priv has no route to an internet gateway"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := checkRoutes(networkFacts{taskSubnets: tc.tasks, albSubnets: tc.alb, internetFacing: true, assignStated: tc.stated}, kindOf, tc.endpoints)
			switch {
			case tc.err != "":
				if r.err == nil || !strings.Contains(r.err.Error(), tc.err) || !strings.Contains(r.err.Error(), "VPC endpoints for ecr.api") {
					t.Errorf("error %v, want one saying %q and what to do", r.err, tc.err)
				}
			case r.err != nil || r.assign != tc.assign:
				t.Errorf("assign %q, error %v; want %q", r.assign, r.err, tc.assign)
			}
			if w := strings.Join(r.warnings, "\n"); (tc.warn == "") != (w == "") || !strings.Contains(w, tc.warn) {
				t.Errorf("warnings %q, want %q", w, tc.warn)
			}
		})
	}
}

// A given target group must take IP targets; its health check and
// deregistration delay are compared with the scenario's, reported, and
// left as they are.
func TestGivenTargetGroupIsChecked(t *testing.T) {
	set := *fullSettings
	set.TargetGroupARN = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/mine/1"
	plan := mustPlan(t, builtin(t, "cpu-vertical"), &set)
	for _, tc := range []struct {
		targetType string
		wantErr    string
	}{{"instance", `takes "instance" targets`}, {"ip", ""}} {
		f, c := newFakeAWS(t, func(op string, n int) reply {
			switch op {
			case "DescribeTargetGroups":
				return reply{body: `<TargetGroups><member><TargetGroupArn>` + set.TargetGroupARN + `</TargetGroupArn><TargetType>` + tc.targetType + `</TargetType>` +
					`<HealthCheckPath>/health</HealthCheckPath><HealthCheckIntervalSeconds>30</HealthCheckIntervalSeconds><HealthCheckTimeoutSeconds>2</HealthCheckTimeoutSeconds>` +
					`<HealthyThresholdCount>2</HealthyThresholdCount><UnhealthyThresholdCount>2</UnhealthyThresholdCount><Matcher><HttpCode>200</HttpCode></Matcher>` +
					`<LoadBalancerArns><member>arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/theirs/2</member></LoadBalancerArns></member></TargetGroups>`}
			case "DescribeTargetGroupAttributes":
				return reply{body: `<Attributes><member><Key>deregistration_delay.timeout_seconds</Key><Value>300</Value></member></Attributes>`}
			}
			return reply{}
		})
		var log []string
		ap, err := NewApplier(c, plan, &State{})
		if err != nil {
			t.Fatal(err)
		}
		ap.Log = func(s string) { log = append(log, s) }
		out := map[string]string{}
		_, err = ap.describeTargetGroups(context.Background(), &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{set.TargetGroupARN}}, out)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "target type ip") {
				t.Errorf("%s targets: error %v", tc.targetType, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(log, "\n")
		for _, w := range []string{"health check path is /health, the scenario's /", "interval (s) is 30, the scenario's 5", "deregistration delay is 300s, the scenario's 5s", "leaves it as it is"} {
			if !strings.Contains(all, w) {
				t.Errorf("log lacks %q:\n%s", w, all)
			}
		}
		if out["LoadBalancer dimension"] != "app/theirs/2" {
			t.Errorf("outputs %v", out)
		}
		for _, op := range []string{"ModifyTargetGroup", "ModifyTargetGroupAttributes"} {
			if len(f.bodies(op)) != 0 {
				t.Errorf("%s sent to a target group lab does not own", op)
			}
		}
	}
	if !hasWarning(plan, "may serve real traffic") {
		t.Errorf("no warning about real traffic: %q", plan.Warnings)
	}
}
