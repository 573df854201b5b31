package ecs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ecslab/lab/internal/mototest"
	"github.com/ecslab/lab/scenarios"
)

// The integration layer: the real SDK clients against moto, an AWS
// emulator, through AWS_ENDPOINT_URL as a user's emulator would be given.

func motoSettings(n mototest.Network) *scenarios.ECS {
	return &scenarios.ECS{
		Region:           mototest.Region,
		Cluster:          "lab-test",
		Subnets:          n.Subnets,
		SecurityGroups:   n.SecurityGroups,
		Image:            "123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload:test",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
	}
}

// startMoto starts moto with a VPC for the tasks and connects as lab
// does: the standard chain, pointed at moto.
func startMoto(t *testing.T) (*Clients, mototest.Network) {
	t.Helper()
	srv := mototest.Start(t, 1)
	srv.Env(t)
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	c, err := Connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return c, srv.NewNetwork(t)
}

func TestMotoUpScaleDown(t *testing.T) {
	c, net := startMoto(t)
	ctx := context.Background()

	sc := builtin(t, "response-time-scaling")
	plan := mustPlan(t, sc, motoSettings(net))
	st, ap := newApplier(t, c, plan)
	ap.Poll = 100 * time.Millisecond
	var log []string
	ap.Log = func(s string) { log = append(log, s) }
	if err := ap.ApplyEntry(ctx, 0); err != nil {
		t.Fatalf("apply: %v\n%s", err, strings.Join(log, "\n"))
	}
	if err := ap.WaitStable(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ap.Endpoint(), "http://") {
		t.Errorf("endpoint %q: want the ALB's DNS name", ap.Endpoint())
	}

	// What exists now: the service on the registered revision, the
	// scalable target 1..5 and the response-time policy.
	svc := describeService(t, c, "lab-test", plan.Service)
	if svc == nil || aws.ToString(svc.Status) != "ACTIVE" || aws.ToString(svc.TaskDefinition) != ap.TaskDefinition(0) {
		t.Fatalf("service after up: %+v, want ACTIVE on %s", svc, ap.TaskDefinition(0))
	}
	targets, err := c.Autoscaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(targets.ScalableTargets) != 1 || aws.ToInt32(targets.ScalableTargets[0].MaxCapacity) != 5 {
		t.Fatalf("scalable targets after up: %+v, %v", targets, err)
	}
	if len(st.Policies) != 1 || st.LoadBalancerARN == "" || st.TargetGroupARN == "" || !st.ClusterCreated || len(st.TaskDefinitions) != 1 {
		t.Errorf("state after up: %+v", st)
	}

	// Applying again takes everything over: no second ALB, service or
	// cluster; one more task definition revision.
	plan2, _ := NewPlan(sc, motoSettings(net))
	ap2, err := NewApplier(c, plan2, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := ap2.ApplyEntry(ctx, 0); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancers after a second apply: %d, %v", len(lbs.LoadBalancers), err)
	}
	svcs, err := c.ECS.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("lab-test")})
	if err != nil || len(svcs.ServiceArns) != 1 {
		t.Fatalf("services after a second apply: %v, %v", svcs.ServiceArns, err)
	}

	// Scale as a command does.
	tg := &Target{c: c, cluster: "lab-test", service: plan.Service}
	if err := tg.Scale(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if svc := describeService(t, c, "lab-test", plan.Service); svc.DesiredCount != 3 {
		t.Errorf("desired after Scale(3): %d", svc.DesiredCount)
	}

	down := &Teardown{Scenario: sc.Name, Plan: plan, Cluster: "lab-test", State: st, Poll: 100 * time.Millisecond}
	if err := down.Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertNothingLeft(t, c, sc.Name, "lab-test")

	// And again, from nothing (no state file either).
	st2, err := LoadState(c.Region, sc.Name)
	if err != nil || !st2.Empty() {
		t.Fatalf("state after down: %+v, %v", st2, err)
	}
	if err := (&Teardown{Scenario: sc.Name, Cluster: "lab-test", State: st2, Poll: 100 * time.Millisecond}).Down(ctx, c); err != nil {
		t.Fatalf("second down: %v", err)
	}
}

// A failure half-way through apply leaves a state from which down removes
// what was made; and without the state, the names and tags suffice.
func TestMotoFailedApplyThenDown(t *testing.T) {
	c, net := startMoto(t)
	ctx := context.Background()

	sc := builtin(t, "cpu-vertical")
	set := motoSettings(net)
	plan := mustPlan(t, sc, set)
	// Break the plan after the balancer: a service in a cluster that the
	// plan claims exists but does not.
	for i := range plan.Steps {
		if in, ok := plan.Steps[i].Input.(*ecs.CreateServiceInput); ok {
			in.Cluster = aws.String("no-such-cluster")
		}
	}
	st, ap := newApplier(t, c, plan)
	err := ap.ApplyEntry(ctx, 0)
	if err == nil {
		t.Fatal("apply into a missing cluster succeeded")
	}
	if !strings.Contains(err.Error(), "CreateService") || strings.Contains(err.Error(), "\n") {
		t.Errorf("apply error %q: want one line naming the call", err)
	}
	if st.LoadBalancerARN == "" || len(st.TaskDefinitions) != 1 {
		t.Fatalf("state after the failure: %+v", st)
	}
	// The state file holds it too.
	saved, err := LoadState(c.Region, sc.Name)
	if err != nil || saved.LoadBalancerARN != st.LoadBalancerARN {
		t.Fatalf("saved state: %+v, %v", saved, err)
	}

	// down without the state file: by names and tags.
	if err := st.Remove(); err != nil {
		t.Fatal(err)
	}
	fresh, _ := LoadState(c.Region, sc.Name)
	if err := (&Teardown{Scenario: sc.Name, Cluster: set.Cluster, State: fresh, Poll: 100 * time.Millisecond}).Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertNothingLeft(t, c, sc.Name, set.Cluster)
}

func describeService(t *testing.T, c *Clients, cluster, service string) *ecstypes.Service {
	t.Helper()
	resp, err := c.ECS.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Services) == 0 {
		return nil
	}
	return &resp.Services[0]
}

// assertNothingLeft checks the emulator for anything of the scenario:
// service, scalable target, policies, load balancers, target groups,
// active task definitions, log group, cluster.
func assertNothingLeft(t *testing.T, c *Clients, scenario, cluster string) {
	t.Helper()
	ctx := context.Background()
	if svc := describeService(t, c, cluster, ServiceName(scenario)); svc != nil && aws.ToString(svc.Status) == "ACTIVE" {
		t.Errorf("service %s still active", ServiceName(scenario))
	}
	targets, err := c.Autoscaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets left: %+v, %v", targets, err)
	}
	pols, err := c.Autoscaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(pols.ScalingPolicies) != 0 {
		t.Errorf("scaling policies left: %+v, %v", pols, err)
	}
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 0 {
		t.Errorf("load balancers left: %d, %v", len(lbs.LoadBalancers), err)
	}
	tgs, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	if err != nil || len(tgs.TargetGroups) != 0 {
		t.Errorf("target groups left: %d, %v", len(tgs.TargetGroups), err)
	}
	tds, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil || len(tds.TaskDefinitionArns) != 0 {
		t.Errorf("active task definitions left: %v, %v", tds.TaskDefinitionArns, err)
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 0 {
		t.Errorf("log groups left: %d, %v", len(groups.LogGroups), err)
	}
	cls, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range cls.Clusters {
		if aws.ToString(cl.Status) == "ACTIVE" {
			t.Errorf("cluster %s still active", cluster)
		}
	}
}
