package ecs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecslab/lab/scenarios"
)

// stepOf is the number (1-based) of the first step calling operation, or
// 0 when the plan has none.
func stepOf(p *Plan, operation string) int {
	for i, s := range p.Steps {
		if s.Operation == operation {
			return i + 1
		}
	}
	return 0
}

// albIngress is what the ALB's security group admits on the listener: the
// CIDR ranges of the first AuthorizeSecurityGroupIngress (lab's ALB
// group's).
func albIngress(t *testing.T, p *Plan) []string {
	t.Helper()
	in := stepsOf[*ec2.AuthorizeSecurityGroupIngressInput](p)
	if len(in) == 0 {
		t.Fatal("no AuthorizeSecurityGroupIngress step")
	}
	var cidrs []string
	for _, perm := range in[0].IpPermissions {
		if aws.ToInt32(perm.FromPort) != ListenerPort {
			t.Errorf("the ALB's group admits port %d, want %d", aws.ToInt32(perm.FromPort), ListenerPort)
		}
		for _, r := range perm.IpRanges {
			cidrs = append(cidrs, aws.ToString(r.CidrIp))
		}
	}
	return cidrs
}

// alb_subnets go to the ALB and task_subnets to the service's tasks, each
// on its own; subnets alone serve both; the subnets' look-up covers all.
func TestPlanSubnets(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		subnets, albSub, taskSub   []string
		wantALB, wantTasks, lookup []string
	}{
		{"apart", nil, []string{"subnet-pub-a", "subnet-pub-b"}, []string{"subnet-priv-a"},
			[]string{"subnet-pub-a", "subnet-pub-b"}, []string{"subnet-priv-a"}, []string{"subnet-priv-a", "subnet-pub-a", "subnet-pub-b"}},
		{"one list for both", []string{"subnet-a", "subnet-b"}, nil, nil,
			[]string{"subnet-a", "subnet-b"}, []string{"subnet-a", "subnet-b"}, []string{"subnet-a", "subnet-b"}},
		{"subnets with task_subnets", []string{"subnet-a", "subnet-b"}, nil, []string{"subnet-priv-a"},
			[]string{"subnet-a", "subnet-b"}, []string{"subnet-priv-a"}, []string{"subnet-a", "subnet-b", "subnet-priv-a"}},
		{"subnets with alb_subnets", []string{"subnet-a"}, []string{"subnet-pub-a", "subnet-pub-b"}, nil,
			[]string{"subnet-pub-a", "subnet-pub-b"}, []string{"subnet-a"}, []string{"subnet-a", "subnet-pub-a", "subnet-pub-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := *fullSettings
			set.Subnets, set.ALBSubnets, set.TaskSubnets = tc.subnets, tc.albSub, tc.taskSub
			p := mustPlan(t, builtin(t, "cpu-vertical"), &set)
			if m := p.Missing(); len(m) != 0 {
				t.Errorf("missing %q, want none", m)
			}
			lbs := stepsOf[*elb.CreateLoadBalancerInput](p)
			if len(lbs) != 1 {
				t.Fatalf("%d CreateLoadBalancer steps, want 1", len(lbs))
			}
			if !slices.Equal(lbs[0].Subnets, tc.wantALB) {
				t.Errorf("CreateLoadBalancer subnets %v, want %v", lbs[0].Subnets, tc.wantALB)
			}
			services := stepsOf[*ecs.CreateServiceInput](p)
			if len(services) == 0 {
				t.Fatal("no CreateService step")
			}
			for _, cs := range services {
				if got := cs.NetworkConfiguration.AwsvpcConfiguration.Subnets; !slices.Equal(got, tc.wantTasks) {
					t.Errorf("CreateService %s awsvpc subnets %v, want %v", aws.ToString(cs.ServiceName), got, tc.wantTasks)
				}
			}
			if ds := stepsOf[*ec2.DescribeSubnetsInput](p); len(ds) != 1 || !slices.Equal(ds[0].SubnetIds, tc.lookup) {
				t.Errorf("DescribeSubnets %v, want one of %v", ds, tc.lookup)
			}
			if !slices.Equal(p.network.albSubnets, tc.wantALB) || !slices.Equal(p.network.taskSubnets, tc.wantTasks) || !p.network.internetFacing {
				t.Errorf("network facts %+v, want ALB %v, tasks %v, internet-facing", p.network, tc.wantALB, tc.wantTasks)
			}
		})
	}
}

// internal: true makes the ALB internal, admits the VPC's range (read by
// a DescribeVpcs step) instead of the caller's public address, and so
// needs no alb_ingress_cidrs nor the look-up of the caller's address; an
// internet-facing ALB admits the caller's address, looked up.
func TestPlanInternalALB(t *testing.T) {
	set := *fullSettings
	set.SecurityGroups = nil // lab makes the ALB's group
	set.Subnets, set.ALBSubnets, set.TaskSubnets = nil, []string{"subnet-a", "subnet-b"}, []string{"subnet-c"}

	// Internet-facing: the caller's address, missing until it is found.
	p := mustPlan(t, builtin(t, "cpu-vertical"), &set)
	if lb := stepsOf[*elb.CreateLoadBalancerInput](p)[0]; lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing {
		t.Errorf("scheme %q, want internet-facing", lb.Scheme)
	}
	if n := stepOf(p, "DescribeVpcs"); n != 0 {
		t.Errorf("internet-facing ALB, yet step %d is DescribeVpcs", n)
	}
	if got := albIngress(t, p); !slices.Equal(got, []string{Placeholder("alb_ingress_cidrs")}) {
		t.Errorf("internet-facing ALB admits %v, want the caller's address (placeholder)", got)
	}

	internal := set
	internal.Internal = true
	p = mustPlan(t, builtin(t, "cpu-vertical"), &internal)
	if lb := stepsOf[*elb.CreateLoadBalancerInput](p)[0]; lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternal {
		t.Errorf("internal: true, scheme %q, want internal", lb.Scheme)
	}
	n := stepOf(p, "DescribeVpcs")
	if n == 0 {
		t.Fatalf("internal: true, yet no DescribeVpcs step: %v", ops(p))
	}
	s := p.Steps[n-1]
	if !s.ReadOnly || n > stepOf(p, "CreateSecurityGroup") {
		t.Errorf("DescribeVpcs (step %d) is not a look-up before the security groups", n)
	}
	vpc := Ref{Step: stepOf(p, "DescribeSubnets"), Field: "VpcId"}.String()
	if in := s.Input.(*ec2.DescribeVpcsInput); !slices.Equal(in.VpcIds, []string{vpc}) {
		t.Errorf("DescribeVpcs of %v, want the subnets' VPC %s", in.VpcIds, vpc)
	}
	if got, want := albIngress(t, p), []string{Ref{Step: n, Field: "CidrBlock"}.String()}; !slices.Equal(got, want) {
		t.Errorf("internal ALB admits %v, want the VPC's range %v", got, want)
	}
	for _, m := range p.Missing() {
		if strings.HasPrefix(m, "alb_ingress_cidrs") {
			t.Errorf("internal: true, yet %q is missing", m)
		}
	}
	if p.network.internetFacing {
		t.Error("internal: true, yet the network checks take the ALB for internet-facing")
	}
	if !hasWarning(p, "internal: true") {
		t.Errorf("warnings %q say nothing of running inside the VPC", p.Warnings)
	}

	// Resolve asks for the caller's address for an internet-facing ALB
	// only.
	var asked atomic.Int32
	checkip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		fmt.Fprintln(w, "203.0.113.7")
	}))
	defer checkip.Close()
	t.Setenv("LAB_CHECKIP_URL", checkip.URL)
	for _, tc := range []struct {
		internal bool
		asks     int32
		cidrs    []string
	}{
		{false, 1, []string{"203.0.113.7/32"}},
		{true, 0, nil},
	} {
		asked.Store(0)
		resolved := &scenarios.ECS{NameSuffix: "alice", Subnets: []string{"subnet-a"}, Internal: tc.internal}
		if err := Resolve(context.Background(), &Clients{Region: "eu-central-1"}, resolved, ResolveOptions{Ingress: true}); err != nil {
			t.Fatal(err)
		}
		if asked.Load() != tc.asks || !slices.Equal(resolved.ALBIngressCIDRs, tc.cidrs) {
			t.Errorf("internal %v: asked for the caller's address %d times, alb_ingress_cidrs %v; want %d, %v",
				tc.internal, asked.Load(), resolved.ALBIngressCIDRs, tc.asks, tc.cidrs)
		}
	}
}
