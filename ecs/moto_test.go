package ecs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/ecslab/lab/internal/mototest"
	"github.com/ecslab/lab/scenarios"
)

// The integration layer: the real SDK clients against moto, an AWS
// emulator, through AWS_ENDPOINT_URL as a user's emulator would be given.

// motoSettings are the settings of a run in n: lab makes its own
// security groups, decides assignPublicIp from the routes, and finds its
// owner suffix and the caller's address itself.
func motoSettings(n mototest.Network) *scenarios.ECS {
	return &scenarios.ECS{
		Cluster:          "lab-test",
		Subnets:          n.Subnets,
		Image:            "123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload:test",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
	}
}

// calls records every call the SDK clients send, with its input.
type calls struct {
	mu   sync.Mutex
	ops  []string // service:Operation
	args []any
}

func (l *calls) record(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("labRecordCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			l.mu.Lock()
			l.ops = append(l.ops, serviceLabel(awsmiddleware.GetServiceID(ctx))+":"+awsmiddleware.GetOperationName(ctx))
			l.args = append(l.args, in.Parameters)
			l.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// inputs are the inputs of every call of type T.
func inputsOf[T any](l *calls) []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []T
	for _, a := range l.args {
		if v, ok := a.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// startMoto starts moto with a VPC of public subnets and connects as lab
// does (the standard chain, pointed at moto), recording every call; the
// caller's public address is a local stand-in for checkip.
func startMoto(t *testing.T) (*Clients, mototest.Network, *calls) {
	t.Helper()
	return startMotoWith(t, nil)
}

// startMotoWith is startMoto with the configuration changed by change.
func startMotoWith(t *testing.T, change func(*aws.Config)) (*Clients, mototest.Network, *calls) {
	t.Helper()
	srv := mototest.Start(t, 1)
	srv.Env(t)
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	checkip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "203.0.113.7") }))
	t.Cleanup(checkip.Close)
	t.Setenv("LAB_CHECKIP_URL", checkip.URL)
	cfg, err := LoadConfig(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	log := &calls{}
	cfg.APIOptions = append(cfg.APIOptions, log.record)
	if change != nil {
		change(&cfg)
	}
	return NewClients(cfg), srv.NewNetwork(t), log
}

// resolvedPlan resolves the settings as lab does once connected, and
// plans the scenario with them.
func resolvedPlan(t *testing.T, c *Clients, sc *scenarios.Scenario, set *scenarios.ECS) *Plan {
	t.Helper()
	if err := Resolve(context.Background(), c, set, ResolveOptions{Ingress: true}); err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, sc, set)
	if m := p.Missing(); len(m) > 0 {
		t.Fatalf("missing after Resolve: %q", m)
	}
	return p
}

func TestMotoUpScaleDown(t *testing.T) {
	c, net, log := startMoto(t)
	ctx := context.Background()

	sc := builtin(t, "response-time-scaling")
	set := motoSettings(net)
	set.RuntimePlatform = scenarios.ARM64
	var labCalls []string // every call lab makes, for the IAM policy
	m := log.mark()
	plan := resolvedPlan(t, c, sc, set)
	st, ap := newApplier(t, c, plan)
	ap.Poll = 100 * time.Millisecond
	var lines []string
	ap.Log = func(s string) { lines = append(lines, s) }
	if err := ap.ApplyEntry(ctx, 0); err != nil {
		t.Fatalf("apply: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if err := ap.WaitStable(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	labCalls = append(labCalls, log.since(m)...)
	if !strings.HasPrefix(ap.Endpoint(), "http://") {
		t.Errorf("endpoint %q: want the ALB's DNS name", ap.Endpoint())
	}

	// What exists now: the service on the registered revision (ARM64),
	// with lab's task security group and a public address (public
	// subnets), the deployment circuit breaker with rollback asked for,
	// the scalable target 1..5 and the response-time policy.
	svc := serviceNamed(t, c, "lab-test", plan.Service)
	if svc == nil || aws.ToString(svc.Status) != "ACTIVE" || aws.ToString(svc.TaskDefinition) != ap.TaskDefinition(0) {
		t.Fatalf("service after up: %+v, want ACTIVE on %s", svc, ap.TaskDefinition(0))
	}
	td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil || td.TaskDefinition.RuntimePlatform == nil || td.TaskDefinition.RuntimePlatform.CpuArchitecture != ecstypes.CPUArchitectureArm64 {
		t.Errorf("task definition's runtime platform: %+v, %v", td, err)
	}
	creates := inputsOf[*ecs.CreateServiceInput](log)
	if len(creates) != 1 {
		t.Fatalf("%d CreateService calls", len(creates))
	}
	cb := creates[0].DeploymentConfiguration.DeploymentCircuitBreaker
	if cb == nil || !cb.Enable || !cb.Rollback || creates[0].NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != ecstypes.AssignPublicIpEnabled {
		t.Errorf("CreateService sent circuit breaker %+v, assignPublicIp %q; want enabled with rollback, ENABLED", cb, creates[0].NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp)
	}
	checkSecurityGroups(t, c, plan, creates[0].NetworkConfiguration.AwsvpcConfiguration.SecurityGroups)
	targets, err := c.Autoscaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(targets.ScalableTargets) != 1 || aws.ToInt32(targets.ScalableTargets[0].MaxCapacity) != 5 {
		t.Fatalf("scalable targets after up: %+v, %v", targets, err)
	}
	if len(st.Policies) != 1 || st.LoadBalancerARN == "" || st.TargetGroupARN == "" || !st.ClusterCreated || len(st.TaskDefinitions) != 1 || len(st.SecurityGroups) != 2 {
		t.Errorf("state after up: %+v", st)
	}

	// Applying again takes everything over: no second ALB, service,
	// security group or cluster; one more task definition revision.
	ap2, err := NewApplier(c, mustPlan(t, sc, set), st)
	if err != nil {
		t.Fatal(err)
	}
	m = log.mark()
	if err := ap2.ApplyEntry(ctx, 0); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	labCalls = append(labCalls, log.since(m)...)
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancers after a second apply: %d, %v", len(lbs.LoadBalancers), err)
	}
	svcs, err := c.ECS.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("lab-test")})
	if err != nil || len(svcs.ServiceArns) != 1 || len(st.SecurityGroups) != 2 {
		t.Fatalf("services after a second apply: %v, %v; security groups %v", svcs.ServiceArns, err, st.SecurityGroups)
	}

	// Scale as a command does.
	tg := &Target{c: c, cluster: "lab-test", service: plan.Service}
	if err := tg.Scale(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if svc := serviceNamed(t, c, "lab-test", plan.Service); svc.DesiredCount != 3 {
		t.Errorf("desired after Scale(3): %d", svc.DesiredCount)
	}

	down := &Teardown{Names: plan.Names, Plan: plan, Cluster: "lab-test", State: st, Poll: 100 * time.Millisecond}
	m = log.mark()
	if err := down.Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	labCalls = append(labCalls, log.since(m)...)
	assertNothingLeft(t, c, plan.Names, "lab-test", true)

	// And again, from nothing (no state file either), deleting the logs.
	st2, err := LoadState(c.Region, plan.Names)
	if err != nil || !st2.Empty() {
		t.Fatalf("state after down: %+v, %v", st2, err)
	}
	m = log.mark()
	if err := (&Teardown{Names: plan.Names, Cluster: "lab-test", State: st2, Poll: 100 * time.Millisecond, DeleteLogs: true}).Down(ctx, c); err != nil {
		t.Fatalf("second down: %v", err)
	}
	labCalls = append(labCalls, log.since(m)...)
	assertNothingLeft(t, c, plan.Names, "lab-test", false)
	checkPolicyCovers(t, plan, labCalls)
}

// checkSecurityGroups checks lab's two groups: the ALB's admits the
// caller's address on the listener port, the tasks' admits the ALB's
// group only, on the container port; the service uses the tasks'.
func checkSecurityGroups(t *testing.T, c *Clients, plan *Plan, serviceGroups []string) {
	t.Helper()
	resp, err := c.EC2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{plan.Names.SecurityGroup("alb"), plan.Names.SecurityGroup("tasks")}}}})
	if err != nil || len(resp.SecurityGroups) != 2 {
		t.Fatalf("lab's security groups: %+v, %v", resp, err)
	}
	byName := map[string]ec2types.SecurityGroup{}
	for _, g := range resp.SecurityGroups {
		byName[aws.ToString(g.GroupName)] = g
		if !plan.Names.Owns(tagMap(g.Tags, func(t ec2types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })) {
			t.Errorf("security group %s is not tagged as lab's: %v", aws.ToString(g.GroupName), g.Tags)
		}
	}
	alb, tasks := byName[plan.Names.SecurityGroup("alb")], byName[plan.Names.SecurityGroup("tasks")]
	if p := alb.IpPermissions; len(p) != 1 || aws.ToInt32(p[0].FromPort) != ListenerPort || len(p[0].IpRanges) != 1 || aws.ToString(p[0].IpRanges[0].CidrIp) != "203.0.113.7/32" {
		t.Errorf("the ALB's group admits %+v, want port 80 from 203.0.113.7/32 only", p)
	}
	if p := tasks.IpPermissions; len(p) != 1 || aws.ToInt32(p[0].FromPort) != scenarios.BuiltinPort || len(p[0].IpRanges) != 0 ||
		len(p[0].UserIdGroupPairs) != 1 || aws.ToString(p[0].UserIdGroupPairs[0].GroupId) != aws.ToString(alb.GroupId) {
		t.Errorf("the tasks' group admits %+v, want port %d from the ALB's group only", p, scenarios.BuiltinPort)
	}
	if !slices.Equal(serviceGroups, []string{aws.ToString(tasks.GroupId)}) {
		t.Errorf("the service's groups %v, want the tasks' %s", serviceGroups, aws.ToString(tasks.GroupId))
	}
}

// Two people run the same scenario in one account and cluster: each
// gets their own stack, and one's down leaves the other's whole. A
// resource of lab's name that is not tagged as the owner's is refused.
func TestMotoTwoOwners(t *testing.T) {
	c, net, _ := startMoto(t)
	ctx := context.Background()
	sc := builtin(t, "cpu-vertical")
	alice, bob := as(t, c, "alice"), as(t, c, "bob")

	// Something of alice's ALB name that lab did not create for her.
	aliceSet := motoSettings(net)
	alicePlan := resolvedPlan(t, alice, sc, aliceSet)
	impostor, err := c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(alicePlan.Names.ELB()), Subnets: net.Subnets})
	if err != nil {
		t.Fatal(err)
	}
	_, ap := newApplier(t, alice, alicePlan)
	err = ap.ApplyEntry(ctx, 0)
	if err == nil || !strings.Contains(err.Error(), "exists and is not tagged as lab's") || !strings.Contains(err.Error(), "name_suffix") {
		t.Fatalf("apply over another's load balancer: %v, want a refusal saying what to do", err)
	}
	if _, err := c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: impostor.LoadBalancers[0].LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}

	up := func(who *Clients, p *Plan) *State {
		st, ap := newApplier(t, who, p)
		if err := ap.ApplyEntry(ctx, 0); err != nil {
			t.Fatalf("apply for %s: %v", p.Names.Owner, err)
		}
		return st
	}
	aliceState := up(alice, alicePlan)
	bobPlan := resolvedPlan(t, bob, sc, motoSettings(net))
	if bobPlan.Names.Owner == alicePlan.Names.Owner || bobPlan.Service == alicePlan.Service {
		t.Fatalf("two identities, one owner suffix %q", bobPlan.Names.Owner)
	}
	up(bob, bobPlan)
	if lbs, _ := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}); len(lbs.LoadBalancers) != 2 {
		t.Fatalf("%d load balancers, want one each", len(lbs.LoadBalancers))
	}

	d := &Teardown{Names: alicePlan.Names, Plan: alicePlan, Cluster: "lab-test", State: aliceState, Poll: 100 * time.Millisecond, DeleteLogs: true}
	if err := d.Down(ctx, alice); err != nil {
		t.Fatalf("alice's down: %v", err)
	}
	assertNothingLeft(t, c, alicePlan.Names, "", false)
	assertWhole(t, c, bobPlan)

	// Down by name only (no state), as bob's teammate alice: still
	// nothing of bob's goes.
	fresh, _ := LoadState(c.Region, alicePlan.Names)
	if err := (&Teardown{Names: alicePlan.Names, Cluster: "lab-test", State: fresh, Poll: 100 * time.Millisecond, DeleteLogs: true}).Down(ctx, alice); err != nil {
		t.Fatal(err)
	}
	assertWhole(t, c, bobPlan)
}

// as is a connection with the identity of an assumed role session named
// who, as a person signed in through AWS SSO has.
func as(t *testing.T, c *Clients, who string) *Clients {
	t.Helper()
	out, err := c.STS.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/developer"), RoleSessionName: aws.String(who),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	k := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))
	return NewClients(cfg)
}

// assertWhole checks that p's stack is all there: service, ALB, target
// group, task definition, security groups, log group.
func assertWhole(t *testing.T, c *Clients, p *Plan) {
	t.Helper()
	ctx := context.Background()
	if svc := serviceNamed(t, c, "lab-test", p.Service); svc == nil || aws.ToString(svc.Status) != "ACTIVE" {
		t.Errorf("%s's service is gone", p.Names.Owner)
	}
	if lb, err := loadBalancerNamed(ctx, c, p.Names.ELB()); err != nil || lb == nil {
		t.Errorf("%s's load balancer is gone: %v", p.Names.Owner, err)
	}
	if tg, err := targetGroupNamed(ctx, c, p.Names.ELB()); err != nil || tg == "" {
		t.Errorf("%s's target group is gone: %v", p.Names.Owner, err)
	}
	tds, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(p.Family), Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil || len(tds.TaskDefinitionArns) != 1 {
		t.Errorf("%s's task definitions: %v, %v", p.Names.Owner, tds.TaskDefinitionArns, err)
	}
	sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{p.Names.SecurityGroup("alb"), p.Names.SecurityGroup("tasks")}}}})
	if err != nil || len(sgs.SecurityGroups) != 2 {
		t.Errorf("%s's security groups: %d, %v", p.Names.Owner, len(sgs.SecurityGroups), err)
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(p.LogGroup)})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Errorf("%s's log group: %v", p.Names.Owner, err)
	}
}

// A failure half-way through apply leaves a state from which down removes
// what was made; and without the state, the names and tags suffice.
func TestMotoFailedApplyThenDown(t *testing.T) {
	c, net, _ := startMoto(t)
	ctx := context.Background()

	sc := builtin(t, "cpu-vertical")
	set := motoSettings(net)
	plan := resolvedPlan(t, c, sc, set)
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
	saved, err := LoadState(c.Region, plan.Names)
	if err != nil || saved.LoadBalancerARN != st.LoadBalancerARN {
		t.Fatalf("saved state: %+v, %v", saved, err)
	}

	// down without the state file: by names and tags.
	if err := st.Remove(); err != nil {
		t.Fatal(err)
	}
	fresh, _ := LoadState(c.Region, plan.Names)
	if err := (&Teardown{Names: plan.Names, Cluster: set.Cluster, State: fresh, Poll: 100 * time.Millisecond, DeleteLogs: true}).Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertNothingLeft(t, c, plan.Names, set.Cluster, false)
}

func serviceNamed(t *testing.T, c *Clients, cluster, service string) *ecstypes.Service {
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

// assertNothingLeft checks the emulator for anything of n's: service,
// scalable target, policies, load balancer, target group, task
// definitions (active or inactive), security groups, the log group
// (unless logsKept: then it must be there), and the cluster (when one
// is named).
func assertNothingLeft(t *testing.T, c *Clients, n Names, cluster string, logsKept bool) {
	t.Helper()
	ctx := context.Background()
	if svc := serviceNamed(t, c, "lab-test", n.Service()); svc != nil && aws.ToString(svc.Status) == "ACTIVE" {
		t.Errorf("service %s still active", n.Service())
	}
	targets, err := c.Autoscaling.DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/lab-test/" + n.Service()}})
	if err != nil || len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets left: %+v, %v", targets, err)
	}
	pols, err := c.Autoscaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/lab-test/" + n.Service())})
	if err != nil || len(pols.ScalingPolicies) != 0 {
		t.Errorf("scaling policies left: %+v, %v", pols, err)
	}
	if lb, err := loadBalancerNamed(ctx, c, n.ELB()); err != nil || lb != nil {
		t.Errorf("load balancer %s left: %v", n.ELB(), err)
	}
	if tg, err := targetGroupNamed(ctx, c, n.ELB()); err != nil || tg != "" {
		t.Errorf("target group %s left: %v", n.ELB(), err)
	}
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		tds, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(n.Family()), Status: status})
		if err != nil || len(tds.TaskDefinitionArns) != 0 {
			t.Errorf("%s task definitions left: %v, %v", status, tds.TaskDefinitionArns, err)
		}
	}
	sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{n.SecurityGroup("alb"), n.SecurityGroup("tasks")}}}})
	if err != nil || len(sgs.SecurityGroups) != 0 {
		t.Errorf("security groups left: %d, %v", len(sgs.SecurityGroups), err)
	}
	groups, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(n.LogGroup())})
	if err != nil || (len(groups.LogGroups) == 1) != logsKept {
		t.Errorf("log groups: %d, %v (kept: %v)", len(groups.LogGroups), err, logsKept)
	}
	if cluster == "" {
		return
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

// checkPolicyCovers checks that every call lab made (ops, as
// service:Operation) is an action of the plan's IAM policy.
func checkPolicyCovers(t *testing.T, plan *Plan, ops []string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, st := range plan.IAMPolicy().Statement {
		for _, a := range st.Action {
			allowed[a] = true
		}
	}
	for _, op := range ops {
		if !allowed[op] {
			t.Errorf("lab called %s, which the IAM policy does not allow", op)
		}
	}
}

// mark is where the record stands; since returns the calls after it.
func (l *calls) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ops)
}

func (l *calls) since(m int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ops[m:])
}
