package ecs

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func builtin(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func parse(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func mustPlan(t *testing.T, sc *scenarios.Scenario, set *scenarios.ECS) *Plan {
	t.Helper()
	p, err := NewPlan(sc, set)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ops(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Service+":"+s.Operation)
	}
	return out
}

func stepsOf[T any](p *Plan) []T {
	var out []T
	for _, s := range p.Steps {
		if v, ok := s.Input.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

var fullSettings = &scenarios.ECS{
	Region:           "eu-central-1",
	Cluster:          "lab",
	Subnets:          []string{"subnet-a", "subnet-b"},
	SecurityGroups:   []string{"sg-1"},
	AssignPublicIP:   aws.Bool(true),
	NameSuffix:       "alice",
	Image:            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/lab-workload:latest",
	ExecutionRoleARN: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
}

// The dry-run plan of every built-in, without settings, as printed.
func TestGoldenPlans(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		t.Run(b.Name, func(t *testing.T) {
			var out bytes.Buffer
			if err := mustPlan(t, builtin(t, b.Name), nil).Print(&out); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "plan-"+b.Name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ecs -update)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("plan differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// Must show: cpu-vertical registers three sizes and deploys them in order.
func TestCPUVerticalPlan(t *testing.T) {
	p := mustPlan(t, builtin(t, "cpu-vertical"), nil)

	var ecsOps []string
	for _, s := range p.Steps {
		switch s.Operation {
		case "RegisterTaskDefinition", "CreateService", "UpdateService":
			ecsOps = append(ecsOps, s.Operation)
		}
	}
	wantOps := []string{"RegisterTaskDefinition", "CreateService", "RegisterTaskDefinition", "UpdateService", "RegisterTaskDefinition", "UpdateService"}
	if diff := cmp.Diff(wantOps, ecsOps); diff != "" {
		t.Errorf("service calls (-want +got):\n%s", diff)
	}

	tds := stepsOf[*ecs.RegisterTaskDefinitionInput](p)
	var sizes [][2]string
	for _, td := range tds {
		sizes = append(sizes, [2]string{aws.ToString(td.Cpu), aws.ToString(td.Memory)})
		if diff := cmp.Diff([]ecstypes.Compatibility{ecstypes.CompatibilityFargate}, td.RequiresCompatibilities); diff != "" {
			t.Errorf("requiresCompatibilities: %s", diff)
		}
		if td.NetworkMode != ecstypes.NetworkModeAwsvpc {
			t.Errorf("networkMode = %q", td.NetworkMode)
		}
		if got := aws.ToString(td.Family); got != "lab-cpu-vertical-<name_suffix>" {
			t.Errorf("family = %q", got)
		}
		c := td.ContainerDefinitions
		if len(c) != 1 || !aws.ToBool(c[0].Essential) || c[0].LogConfiguration == nil || c[0].LogConfiguration.LogDriver != ecstypes.LogDriverAwslogs {
			t.Errorf("want one essential container logging to awslogs, got %+v", c)
		}
	}
	if diff := cmp.Diff([][2]string{{"256", "512"}, {"512", "1024"}, {"1024", "2048"}}, sizes); diff != "" {
		t.Errorf("task sizes (-want +got):\n%s", diff)
	}

	// Each deployment goes to the revision registered just before it.
	for i, s := range p.Steps {
		var td string
		switch in := s.Input.(type) {
		case *ecs.CreateServiceInput:
			td = aws.ToString(in.TaskDefinition)
		case *ecs.UpdateServiceInput:
			td = aws.ToString(in.TaskDefinition)
		default:
			continue
		}
		if want := (Ref{Step: i, Field: "TaskDefinitionArn"}).String(); td != want {
			t.Errorf("step %d deploys %q, want %q", i+1, td, want)
		}
	}

	// And the printed form carries the API's own names.
	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"cpu": "256"`, `"cpu": "512"`, `"cpu": "1024"`, `"memory": "512"`, `"memory": "1024"`, `"memory": "2048"`,
		`"requiresCompatibilities": [` + "\n" + `       "FARGATE"`, `"networkMode": "awsvpc"`, "ecs:CreateService", "ecs:UpdateService"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed plan lacks %q", want)
		}
	}
	if strings.Index(out.String(), "ecs:CreateService") > strings.Index(out.String(), "ecs:UpdateService") {
		t.Error("CreateService is printed after UpdateService")
	}
}

// Must show: response-time-scaling registers min 1 max 5 and a target
// tracking policy on TargetResponseTime at 2 (seconds).
func TestResponseTimeScalingPlan(t *testing.T) {
	p := mustPlan(t, builtin(t, "response-time-scaling"), fullSettings)
	targets := stepsOf[*aas.RegisterScalableTargetInput](p)
	if len(targets) != 1 {
		t.Fatalf("%d RegisterScalableTarget calls, want 1", len(targets))
	}
	st := targets[0]
	if aws.ToInt32(st.MinCapacity) != 1 || aws.ToInt32(st.MaxCapacity) != 5 ||
		aws.ToString(st.ResourceId) != "service/lab/lab-response-time-scaling-alice" ||
		st.ScalableDimension != aastypes.ScalableDimensionECSServiceDesiredCount {
		t.Errorf("scalable target = %+v", st)
	}
	policies := stepsOf[*aas.PutScalingPolicyInput](p)
	if len(policies) != 1 {
		t.Fatalf("%d PutScalingPolicy calls, want 1", len(policies))
	}
	cfg := policies[0].TargetTrackingScalingPolicyConfiguration
	if cfg == nil || cfg.CustomizedMetricSpecification == nil {
		t.Fatalf("want a customized metric, got %+v", policies[0])
	}
	m := cfg.CustomizedMetricSpecification
	if aws.ToString(m.MetricName) != "TargetResponseTime" || aws.ToString(m.Namespace) != "AWS/ApplicationELB" || m.Statistic != aastypes.MetricStatisticAverage {
		t.Errorf("metric = %+v", m)
	}
	if got := aws.ToFloat64(cfg.TargetValue); got != 2 {
		t.Errorf("target value = %g, want 2 (seconds)", got)
	}
	if aws.ToInt32(cfg.ScaleOutCooldown) != 30 || aws.ToInt32(cfg.ScaleInCooldown) != 30 {
		t.Errorf("cooldowns = %d/%d, want 30/30", aws.ToInt32(cfg.ScaleOutCooldown), aws.ToInt32(cfg.ScaleInCooldown))
	}
	// The scalable target comes after the service it scales.
	o := strings.Join(ops(p), " ")
	if strings.Index(o, "ecs:CreateService") > strings.Index(o, "RegisterScalableTarget") {
		t.Errorf("RegisterScalableTarget before CreateService: %s", o)
	}
	if !hasWarning(p, "metric_period 10s") {
		t.Errorf("no warning for the 10s metric period: %q", p.Warnings)
	}
}

func hasWarning(p *Plan, sub string) bool {
	for _, w := range p.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

func TestHealthCheckClamped(t *testing.T) {
	sc := parse(t, `
name: clamp
workload: {builtin: true}
service:
  cpu: 256
  memory: 512
  health_check: {path: /healthz, interval: 10m, timeout: 1s, healthy_threshold: 1, unhealthy_threshold: 10}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
`)
	// A threshold of 1 is local only; the loader keeps the upper bound at
	// 10, and the plan clamps anyway.
	sc.Service.HealthCheck.UnhealthyThreshold = 12
	p := mustPlan(t, sc, fullSettings)
	tgs := stepsOf[*elb.CreateTargetGroupInput](p)
	if len(tgs) != 1 {
		t.Fatalf("%d CreateTargetGroup calls", len(tgs))
	}
	tg := tgs[0]
	got := []int32{aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthCheckTimeoutSeconds), aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.UnhealthyThresholdCount)}
	if diff := cmp.Diff([]int32{300, 2, 2, 10}, got); diff != "" {
		t.Errorf("interval/timeout/healthy/unhealthy (-want +got):\n%s", diff)
	}
	if aws.ToString(tg.HealthCheckPath) != "/healthz" {
		t.Errorf("path = %q", aws.ToString(tg.HealthCheckPath))
	}
	for _, w := range []string{"health_check.interval 10m0s", "health_check.timeout 1s", "healthy_threshold 1", "unhealthy_threshold 12"} {
		if !hasWarning(p, w) {
			t.Errorf("no warning mentioning %q in %q", w, p.Warnings)
		}
	}

	// A timeout not shorter than the interval is cut below it.
	sc.Service.HealthCheck.Interval, sc.Service.HealthCheck.Timeout = 6e9, 30e9
	tg = stepsOf[*elb.CreateTargetGroupInput](mustPlan(t, sc, fullSettings))[0]
	if aws.ToInt32(tg.HealthCheckTimeoutSeconds) != 5 {
		t.Errorf("timeout = %d, want 5 (below the 6s interval)", aws.ToInt32(tg.HealthCheckTimeoutSeconds))
	}
}

func TestMissing(t *testing.T) {
	p := mustPlan(t, builtin(t, "cpu-vertical"), nil)
	var fields []string
	for _, m := range p.Missing() {
		f, purpose, ok := strings.Cut(m, ": ")
		if !ok || purpose == "" {
			t.Errorf("missing value %q says nothing of what it is for", m)
		}
		fields = append(fields, f)
	}
	want := []string{"region", "name_suffix", "cluster", "subnets", "alb_ingress_cidrs", "image", "execution_role_arn"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		if !strings.Contains(out.String(), Placeholder(f)) {
			t.Errorf("printed plan shows no %s placeholder", Placeholder(f))
		}
	}
	if !strings.Contains(out.String(), "--ecs FILE") {
		t.Error("printed plan does not say how to give the missing values")
	}

	// Complete settings: nothing missing, no placeholder left (only
	// references to earlier steps' outputs).
	p = mustPlan(t, builtin(t, "cpu-vertical"), fullSettings)
	if m := p.Missing(); len(m) != 0 {
		t.Errorf("missing = %q, want none", m)
	}
	out.Reset()
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		if strings.Contains(out.String(), Placeholder(f)) {
			t.Errorf("complete settings, yet the plan shows %s", Placeholder(f))
		}
	}
	cs := stepsOf[*ecs.CreateServiceInput](p)[0]
	if cs.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != ecstypes.AssignPublicIpEnabled {
		t.Error("assign_public_ip: true not mapped to ENABLED")
	}

	// A scenario's own image is a local one: ECS cannot pull it, so the
	// image setting is missing, with the command that pushes it.
	p = mustPlan(t, builtin(t, "bring-your-own-image"), nil)
	pushes := false
	for _, m := range p.Missing() {
		pushes = pushes || strings.HasPrefix(m, "image:") && strings.Contains(m, "lab ecs push --image example/my-api:latest --repository URI")
	}
	if !pushes {
		t.Errorf("bring-your-own-image: missing %q, want image with the push command", p.Missing())
	}
}

func TestHealthCheckMatcher(t *testing.T) {
	sc := parse(t, `
name: matcher
workload: {builtin: true}
service:
  cpu: 256
  memory: 512
  health_check: {matcher: "200-299,302"}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
`)
	tg := stepsOf[*elb.CreateTargetGroupInput](mustPlan(t, sc, fullSettings))[0]
	if tg.Matcher == nil || aws.ToString(tg.Matcher.HttpCode) != "200-299,302" {
		t.Errorf("target group matcher = %+v, want HttpCode 200-299,302", tg.Matcher)
	}
	// A given target group is compared with the same matcher.
	set := *fullSettings
	set.TargetGroupARN = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/mine/0123456789abcdef"
	p := mustPlan(t, sc, &set)
	if w := p.network.wantHealth; w == nil || w.Matcher == nil || aws.ToString(w.Matcher.HttpCode) != "200-299,302" {
		t.Errorf("the given target group is checked against matcher %+v, want 200-299,302", w)
	}
}

func TestStartDelayIgnoredOnECS(t *testing.T) {
	sc := builtin(t, "memory-leak")
	if p := mustPlan(t, sc, fullSettings); hasWarning(p, "start_delay") {
		t.Errorf("a warning about start_delay without one: %q", p.Warnings)
	}
	sc.Service.StartDelay = scenarios.FargateStartDelay
	p := mustPlan(t, sc, fullSettings)
	if !hasWarning(p, "service.start_delay 40s is local only and ignored here") {
		t.Errorf("no warning that start_delay is ignored on ECS in %q", p.Warnings)
	}
}

func TestGivenTargetGroup(t *testing.T) {
	set := *fullSettings
	set.TargetGroupARN = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/mine/0123456789abcdef"
	sc := builtin(t, "cpu-target-tracking")
	sc.Autoscaling.Policies[0].TargetTracking.Metric = scenarios.MetricRequestsPerTarget
	sc.Autoscaling.Policies[0].TargetTracking.Target = 100
	p := mustPlan(t, sc, &set)
	for _, s := range p.Steps {
		if strings.HasPrefix(s.Operation, "Create") && s.Service == ServiceELB {
			t.Errorf("target group given, yet the plan has %s", s.Operation)
		}
	}
	cs := stepsOf[*ecs.CreateServiceInput](p)[0]
	if got := aws.ToString(cs.LoadBalancers[0].TargetGroupArn); got != set.TargetGroupARN {
		t.Errorf("service target group = %q", got)
	}
	pol := stepsOf[*aas.PutScalingPolicyInput](p)[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
	if pol.PredefinedMetricType != aastypes.MetricTypeALBRequestCountPerTarget {
		t.Errorf("metric type = %q", pol.PredefinedMetricType)
	}
	if got, want := aws.ToString(pol.ResourceLabel), "<LoadBalancer dimension from step 7>/targetgroup/mine/0123456789abcdef"; got != want {
		t.Errorf("resource label = %q, want %q", got, want)
	}
}

func TestPredefinedMetrics(t *testing.T) {
	for metric, want := range map[string]aastypes.MetricType{
		scenarios.MetricCPU:    aastypes.MetricTypeECSServiceAverageCPUUtilization,
		scenarios.MetricMemory: aastypes.MetricTypeECSServiceAverageMemoryUtilization,
	} {
		sc := builtin(t, "cpu-target-tracking")
		sc.Autoscaling.Policies[0].TargetTracking.Metric = metric
		cfg := stepsOf[*aas.PutScalingPolicyInput](mustPlan(t, sc, nil))[0].TargetTrackingScalingPolicyConfiguration
		if got := cfg.PredefinedMetricSpecification.PredefinedMetricType; got != want {
			t.Errorf("%s: metric type %q, want %q", metric, got, want)
		}
		if aws.ToFloat64(cfg.TargetValue) != 50 || aws.ToInt32(cfg.ScaleOutCooldown) != 30 || aws.ToInt32(cfg.ScaleInCooldown) != 60 {
			t.Errorf("%s: target %g, cooldowns %d/%d", metric, aws.ToFloat64(cfg.TargetValue), aws.ToInt32(cfg.ScaleOutCooldown), aws.ToInt32(cfg.ScaleInCooldown))
		}
	}
}

func TestStepScaling(t *testing.T) {
	sc := parse(t, `
name: steps
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
autoscaling:
  min: 1
  max: 4
  high_datapoints: 2
  policies:
    - step_scaling:
        metric: response_time
        comparison: ">"
        threshold: 500ms
        datapoints: 2
        cooldown: 45s
        steps:
          - {lower: 0ms, upper: 1s, adjustment: 1}
          - {lower: 1s, adjustment: 2}
`)
	p := mustPlan(t, sc, fullSettings)
	pol := stepsOf[*aas.PutScalingPolicyInput](p)
	alarms := stepsOf[*cloudwatch.PutMetricAlarmInput](p)
	if len(pol) != 1 || len(alarms) != 1 {
		t.Fatalf("%d policies, %d alarms; want 1 and 1: %q", len(pol), len(alarms), ops(p))
	}
	cfg := pol[0].StepScalingPolicyConfiguration
	if cfg == nil || aws.ToInt32(cfg.Cooldown) != 45 || cfg.AdjustmentType != aastypes.AdjustmentTypeChangeInCapacity {
		t.Fatalf("step scaling config = %+v", cfg)
	}
	type step struct {
		Lower, Upper *float64
		Adj          int32
	}
	var got []step
	for _, s := range cfg.StepAdjustments {
		got = append(got, step{s.MetricIntervalLowerBound, s.MetricIntervalUpperBound, aws.ToInt32(s.ScalingAdjustment)})
	}
	want := []step{{aws.Float64(0), aws.Float64(1), 1}, {aws.Float64(1), nil, 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps in seconds (-want +got):\n%s", diff)
	}
	a := alarms[0]
	if aws.ToString(a.MetricName) != "TargetResponseTime" || aws.ToFloat64(a.Threshold) != 0.5 ||
		aws.ToInt32(a.EvaluationPeriods) != 2 || aws.ToInt32(a.Period) != 60 {
		t.Errorf("alarm = %+v", a)
	}
	// The alarm triggers the policy of the step before it.
	var polStep int
	for i, s := range p.Steps {
		if s.Operation == "PutScalingPolicy" {
			polStep = i + 1
		}
	}
	if diff := cmp.Diff([]string{Ref{Step: polStep, Field: "PolicyARN"}.String()}, a.AlarmActions); diff != "" {
		t.Errorf("alarm actions: %s", diff)
	}
	// No target tracking: the datapoint counts are not a concern.
	if hasWarning(p, "high_datapoints") {
		t.Errorf("datapoints warning without target tracking: %q", p.Warnings)
	}

	// With target tracking they are, when they differ from AWS's 3/15.
	sc = builtin(t, "cpu-target-tracking")
	sc.Autoscaling.HighDatapoints = 1
	if !hasWarning(mustPlan(t, sc, nil), "high_datapoints 1") {
		t.Error("no warning for high_datapoints 1 on target tracking")
	}
}

func TestMergeSettings(t *testing.T) {
	base := &scenarios.ECS{Region: "eu-west-1", Cluster: "from-scenario", Subnets: []string{"subnet-s"}, Image: "img-s"}
	over := &scenarios.ECS{Cluster: "from-file", SecurityGroups: []string{"sg-f"}, AssignPublicIP: aws.Bool(true), Image: "img-f"}
	got := MergeSettings(base, over)
	want := &scenarios.ECS{Region: "eu-west-1", Cluster: "from-file", Subnets: []string{"subnet-s"}, SecurityGroups: []string{"sg-f"}, AssignPublicIP: aws.Bool(true), Image: "img-f"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	got.Subnets[0] = "changed"
	if base.Subnets[0] != "subnet-s" {
		t.Error("MergeSettings shares its slices with base")
	}
	if diff := cmp.Diff(&scenarios.ECS{}, MergeSettings(nil, nil)); diff != "" {
		t.Errorf("merge of nothing: %s", diff)
	}
	if diff := cmp.Diff(base, MergeSettings(base, nil)); diff != "" {
		t.Errorf("merge with no file: %s", diff)
	}
}

func TestLoadSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ecs.yaml")
	if err := os.WriteFile(path, []byte("region: eu-central-1\nsubnets: [subnet-a, subnet-b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&scenarios.ECS{Region: "eu-central-1", Subnets: []string{"subnet-a", "subnet-b"}}, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if _, err := LoadSettings(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ scenario, family, elb string }{
		{"cpu-vertical", "lab-cpu-vertical-alice", "lab-cpu-vertical-alice"},
		{"a-very-long-scenario-name-that-goes-on", "lab-a-very-long-scenario-name-that-goes-on-alice", ""},
	} {
		n := NewNames(tc.scenario, "alice")
		if got := n.Family(); got != tc.family {
			t.Errorf("Family(%q) = %q, want %q", tc.scenario, got, tc.family)
		}
		got := n.ELB()
		if len(got) > 32 || !strings.HasSuffix(got, "-alice") || (tc.elb != "" && got != tc.elb) {
			t.Errorf("ELB(%q) = %q, want %q (at most 32 characters, ending in the owner)", tc.scenario, got, tc.elb)
		}
	}
	// Names that differ only where AWS names cannot (., _, case) and
	// long names that differ only at the end stay apart, in every name.
	for _, pair := range [][2]string{{"my.app", "my-app"}, {"my_app", "my-app"}, {"My-App", "my-app"}, {"my.app", "my_app"},
		{"a-very-long-scenario-name-that-goes-on", "a-very-long-scenario-name-that-goes-off"}} {
		a, b := NewNames(pair[0], "alice"), NewNames(pair[1], "alice")
		for what, names := range map[string][2]string{
			"family": {a.Family(), b.Family()}, "ELB": {a.ELB(), b.ELB()}, "log group": {a.LogGroup(), b.LogGroup()},
			"security group": {a.SecurityGroup("alb"), b.SecurityGroup("alb")},
		} {
			if names[0] == names[1] {
				t.Errorf("%q and %q get the same %s name %q", pair[0], pair[1], what, names[0])
			}
		}
	}
	// Two owners of one scenario share no name, and neither owns the
	// other's resources.
	alice, bob := NewNames("cpu-vertical", "alice"), NewNames("cpu-vertical", "bob")
	if alice.ELB() == bob.ELB() || alice.Family() == bob.Family() || alice.LogGroup() == bob.LogGroup() {
		t.Errorf("two owners share names: %q %q", alice.ELB(), bob.ELB())
	}
	if bob.Owns(alice.Tags("service")) || !alice.Owns(alice.Tags("service")) {
		t.Error("ownership by tags is wrong")
	}
	if alice.Owns(map[string]string{TagScenario: "cpu-vertical", TagOwner: "alice"}) {
		t.Error("a resource without lab.managed-by=lab is owned")
	}
	if s := OwnerSuffix("arn:aws:sts::123456789012:assumed-role/dev/alice"); len(s) != 6 || s == OwnerSuffix("arn:aws:sts::123456789012:assumed-role/dev/bob") {
		t.Errorf("owner suffixes: %q", s)
	}
}

func TestParseRefs(t *testing.T) {
	got := ParseRefs("<LoadBalancer dimension from step 5>/<TargetGroup dimension from step 7>")
	want := []Ref{{5, "LoadBalancer dimension"}, {7, "TargetGroup dimension"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	if refs := ParseRefs("<subnets>"); refs != nil {
		t.Errorf("a missing-value placeholder parsed as a reference: %v", refs)
	}
}

// Every step's input is the SDK input of its operation, and every
// reference points back to an earlier step.
func TestStepsAreConsistent(t *testing.T) {
	for _, b := range scenarios.Builtins() {
		p := mustPlan(t, builtin(t, b.Name), nil)
		for i, s := range p.Steps {
			js, err := MarshalInput(s.Service, s.Input)
			if err != nil {
				t.Fatalf("%s step %d: %v", b.Name, i+1, err)
			}
			if typeName := strings.TrimPrefix(reflectName(s.Input), "*"); !strings.HasSuffix(typeName, "."+s.Operation+"Input") {
				t.Errorf("%s step %d %s has input %s", b.Name, i+1, s.Operation, typeName)
			}
			for _, r := range ParseRefs(string(js)) {
				if r.Step < 1 || r.Step > i {
					t.Errorf("%s step %d refers to step %d", b.Name, i+1, r.Step)
				}
			}
		}
	}
}

func reflectName(v any) string { return fmt.Sprintf("%T", v) }

// The dry-run shows every call a run makes: each entry's scheduled
// actions as steps of their own (not applied with the entry), the polls
// and the removal; kill_task is a StopTask on ECS, and the plan says so.
func TestPlanShowsActionsPollsAndRemoval(t *testing.T) {
	sc := parse(t, `
name: ops
workload: {builtin: true}
service: {cpu: 256, memory: 512, count: 2}
load: {path: /, phases: [{duration: 60s, rate: 1}]}
matrix: [{cpu: 256, memory: 512}, {cpu: 512, memory: 1024}]
actions:
  - {at: 10s, scale: 3}
  - {at: 20s, resize: 1024/2048}
  - {at: 30s, kill_task: 1}
  - {at: 40s, stop_task: 1}
`)
	set := *fullSettings
	set.Subnets = []string{"subnet-1", "subnet-2"} // the fake's
	p := mustPlan(t, sc, &set)
	perEntry := map[int][]string{}
	for _, s := range p.Steps {
		if s.Action != nil {
			perEntry[s.Entry] = append(perEntry[s.Entry], s.Operation)
		}
	}
	want := []string{"UpdateService", "DescribeServices", "DescribeTaskDefinition", "RegisterTaskDefinition", "UpdateService", "ListTasks", "StopTask", "ListTasks", "StopTask"}
	for e := range 2 {
		if diff := cmp.Diff(want, perEntry[e]); diff != "" {
			t.Errorf("entry %d's action calls (-want +got):\n%s", e+1, diff)
		}
	}
	stops := stepsOf[*ecs.StopTaskInput](p)
	if len(stops) != 4 || aws.ToString(stops[0].Reason) != killReason || aws.ToString(stops[1].Reason) != "lab: stop_task action" {
		t.Errorf("StopTask reasons: %v", stops)
	}
	if !hasWarning(p, "kill_task on ECS is StopTask") {
		t.Errorf("no kill_task warning: %q", p.Warnings)
	}
	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"at 30s into the load: kill_task", "while each entry runs", "ecs:DescribeTasks", "elasticloadbalancing:DescribeTargetHealth",
		"at the end, on Ctrl-C and on failure (lab ecs down)", "ecs:DeleteTaskDefinitions"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("printed plan lacks %q", w)
		}
	}

	// Applying an entry sends none of its actions' calls.
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	f, c := newFakeAWS(t, func(op string, n int) reply { return happy(op) })
	_, ap := newApplier(t, c, p)
	if err := ap.ApplyEntry(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := len(f.bodies("StopTask")) + len(f.bodies("ListTasks")); n != 0 {
		t.Errorf("apply sent %d action calls", n)
	}
}
