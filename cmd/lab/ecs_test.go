package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ecslab/lab/internal/mototest"
	"github.com/ecslab/lab/lab"
)

// lab ecs up and down as a user runs them, against moto through
// AWS_ENDPOINT_URL.
func TestECSUpDownAgainstMoto(t *testing.T) {
	srv := mototest.Start(t, 1)
	srv.Env(t) // the lab processes inherit the environment
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	net := srv.NewNetwork(t)
	settings := filepath.Join(t.TempDir(), "ecs.yaml")
	os.WriteFile(settings, []byte(fmt.Sprintf(`cluster: lab-e2e
name_suffix: e2e
subnets: [%s]
security_groups: [%s]
image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload:test
execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
`, strings.Join(net.Subnets, ", "), strings.Join(net.SecurityGroups, ", "))), 0o644)
	ctx := context.Background()

	up := runLab(t, ctx, nil, "ecs", "up", "memory-leak", "--entry", "2", "--ecs", settings)
	if up.code != 0 {
		t.Fatalf("ecs up: exit %d\n%s", up.code, up.stderr)
	}
	if !strings.HasPrefix(strings.TrimSpace(up.stdout), "http://") {
		t.Errorf("ecs up printed %q, want the endpoint", up.stdout)
	}
	if !strings.Contains(up.stderr, "is stable") || !strings.Contains(up.stderr, "estimated cost") {
		t.Errorf("ecs up did not say the service is stable:\n%s", up.stderr)
	}

	cfg := srv.Config()
	ecsc := ecs.NewFromConfig(cfg)
	svc, err := ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("lab-e2e"), Services: []string{"lab-memory-leak-e2e"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("service after up: %+v, %v", svc, err)
	}
	td, err := ecsc.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	// Entry 2 of memory-leak is 1024/2048.
	if aws.ToString(td.TaskDefinition.Cpu) != "1024" || aws.ToString(td.TaskDefinition.Memory) != "2048" {
		t.Errorf("--entry 2 deployed cpu %s memory %s, want 1024/2048", aws.ToString(td.TaskDefinition.Cpu), aws.ToString(td.TaskDefinition.Memory))
	}

	for i := 1; i <= 2; i++ {
		down := runLab(t, ctx, nil, "ecs", "down", "memory-leak", "--ecs", settings)
		if down.code != 0 {
			t.Fatalf("ecs down #%d: exit %d\n%s", i, down.code, down.stderr)
		}
		if i == 2 && !strings.Contains(down.stderr, "nothing of memory-leak (owner e2e) left") {
			t.Errorf("second down said:\n%s", down.stderr)
		}
	}
	svc, err = ecsc.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("lab-e2e"), Services: []string{"lab-memory-leak-e2e"}})
	if err == nil && len(svc.Services) > 0 && aws.ToString(svc.Services[0].Status) == "ACTIVE" {
		t.Error("service still active after down")
	}
	tds, err := ecsc.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil || len(tds.TaskDefinitionArns) != 0 {
		t.Errorf("task definitions still active: %v, %v", tds.TaskDefinitionArns, err)
	}
	lbs, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 0 {
		t.Errorf("load balancers left: %d, %v", len(lbs.LoadBalancers), err)
	}

	// With autoscaling: the scalable target and its policy go too.
	if up := runLab(t, ctx, nil, "ecs", "up", "response-time-scaling", "--ecs", settings); up.code != 0 {
		t.Fatalf("ecs up response-time-scaling: exit %d\n%s", up.code, up.stderr)
	}
	aasc := applicationautoscaling.NewFromConfig(cfg)
	pols, err := aasc.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(pols.ScalingPolicies) != 1 {
		t.Fatalf("scaling policies after up: %+v, %v", pols, err)
	}
	if down := runLab(t, ctx, nil, "ecs", "down", "response-time-scaling", "--ecs", settings); down.code != 0 {
		t.Fatalf("ecs down response-time-scaling: exit %d\n%s", down.code, down.stderr)
	}
	targets, err := aasc.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(targets.ScalableTargets) != 0 {
		t.Errorf("scalable targets after down: %+v, %v", targets, err)
	}
	pols, err = aasc.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	if err != nil || len(pols.ScalingPolicies) != 0 {
		t.Errorf("scaling policies after down: %+v, %v", pols, err)
	}
}

// lab run --target ecs against moto: the plan applied entry by entry, the
// load sent to the settings' endpoint (a local server standing in for
// the ALB, which moto does not serve), results as locally with "target":
// "ecs", and everything removed at the end.
func TestRunOnECSAgainstMoto(t *testing.T) {
	srv := mototest.Start(t, 1)
	srv.Env(t)
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	net := srv.NewNetwork(t)
	var served atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "ok")
	}))
	defer app.Close()
	settings := filepath.Join(t.TempDir(), "ecs.yaml")
	os.WriteFile(settings, []byte(fmt.Sprintf(`cluster: lab-run
subnets: [%s]
security_groups: [%s]
image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-workload:test
execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole
endpoint: %s
`, strings.Join(net.Subnets, ", "), strings.Join(net.SecurityGroups, ", "), app.URL)), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out := t.TempDir()
	r := runLab(t, ctx, nil, "run", "testdata/ecs-short.yaml", "--target", "ecs", "--ecs", settings, "--headless", "--json", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var s lab.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stdout is not summary.json: %v\n%s", err, r.stdout)
	}
	if s.Target != "ecs" || len(s.Entries) != 2 {
		t.Fatalf("summary: target %q, %d entries", s.Target, len(s.Entries))
	}
	if s.Cost == nil || s.Cost.Estimate.Total <= 0 || s.Cost.Actual == nil || len(s.Cost.Actual.Items) == 0 {
		t.Errorf("summary cost %+v: want the estimate and what the run used", s.Cost)
	}
	if !strings.Contains(r.stderr, "estimated cost") {
		t.Errorf("no cost estimate before the run:\n%s", r.stderr)
	}
	for _, e := range s.Entries {
		if e.Requests < 25 || e.OK != e.Requests {
			t.Errorf("entry %s: %d requests, %d ok; want about 30, all ok", e.Label, e.Requests, e.OK)
		}
		if e.Scaling.MaxCount != 1 {
			t.Errorf("entry %s: max desired %d, want 1 (from DescribeServices)", e.Label, e.Scaling.MaxCount)
		}
	}
	if served.Load() < 50 {
		t.Errorf("the endpoint served %d requests, want about 60", served.Load())
	}
	for _, want := range []string{"RegisterScalableTarget", "UpdateService", "deregistered", "load balancer"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.stderr)
		}
	}
	// Gone: the service, its revisions, the ALB.
	cfg := srv.Config()
	tds, err := ecs.NewFromConfig(cfg).ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Status: ecstypes.TaskDefinitionStatusActive})
	if err != nil || len(tds.TaskDefinitionArns) != 0 {
		t.Errorf("task definitions left: %v, %v", tds.TaskDefinitionArns, err)
	}
	lbs, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 0 {
		t.Errorf("load balancers left: %d, %v", len(lbs.LoadBalancers), err)
	}
}

// lab ecs iam-policy prints a policy IAM takes, with every call of the
// plan, the execution role passed to ECS tasks only, and no credentials.
func TestECSIAMPolicy(t *testing.T) {
	settings := filepath.Join(t.TempDir(), "ecs.yaml")
	os.WriteFile(settings, []byte("execution_role_arn: arn:aws:iam::123456789012:role/exec\n"), 0o644)
	r := runLab(t, context.Background(), []string{"AWS_ACCESS_KEY_ID=", "AWS_PROFILE="}, "ecs", "iam-policy", "response-time-scaling", "--ecs", settings)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Action    []string
			Resource  any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Version != "2012-10-17" {
		t.Fatalf("not an IAM policy: %v\n%s", err, r.stdout)
	}
	actions := map[string]any{}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			actions[a] = st.Resource
		}
	}
	for _, want := range []string{"ecs:CreateService", "ecs:DeleteTaskDefinitions", "elasticloadbalancing:CreateLoadBalancer",
		"ec2:CreateSecurityGroup", "application-autoscaling:PutScalingPolicy", "cloudwatch:GetMetricData", "logs:CreateLogGroup",
		"sts:GetCallerIdentity", "iam:CreateServiceLinkedRole", "ecs:TagResource"} {
		if _, ok := actions[want]; !ok {
			t.Errorf("the policy lacks %s", want)
		}
	}
	if actions["iam:PassRole"] != "arn:aws:iam::123456789012:role/exec" {
		t.Errorf("iam:PassRole on %v, want the execution role only", actions["iam:PassRole"])
	}
}

// Missing settings and credentials: one clear line each, exit 2 and 1.
func TestECSUpExplainsWhatIsMissing(t *testing.T) {
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	ctx := context.Background()
	r := runLab(t, ctx, nil, "ecs", "up", "cpu-vertical")
	if r.code != exitBadInput || !strings.Contains(r.stderr, "subnets:") || !strings.Contains(r.stderr, "--dry-run") {
		t.Errorf("up without settings: exit %d\n%s", r.code, r.stderr)
	}

	dir := t.TempDir()
	settings := filepath.Join(dir, "ecs.yaml")
	os.WriteFile(settings, []byte("region: us-east-1\ncluster: c\nsubnets: [subnet-1, subnet-2]\nsecurity_groups: [sg-1]\nimage: img\nexecution_role_arn: arn:aws:iam::1:role/r\n"), 0o644)
	env := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE=", "AWS_CONFIG_FILE=" + filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:1"}
	r = runLab(t, ctx, env, "ecs", "up", "cpu-vertical", "--ecs", settings)
	if r.code != exitFailed || !strings.Contains(r.stderr, "no AWS credentials") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("up without credentials: exit %d, want 1 and one line\n%s", r.code, r.stderr)
	}
}
