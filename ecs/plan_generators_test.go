package ecs

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/lab/report"
	"github.com/ecslab/lab/scenarios"
)

const generatorsScenario = `name: gens
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load:
  path: /
  generators: 3
  from: ecs
  phases:
    - {duration: 60s, rate: 300}
`

// With load.from: ecs the plan registers the generators' task definition
// (lab's image in generate mode, logging to their own log group), lets
// them reach the ALB, and runs them in the service's subnets and groups;
// none of these calls is sent when the entry is applied.
func TestGeneratorPlan(t *testing.T) {
	set := *fullSettings
	set.SecurityGroups, set.Internal = nil, true
	p := mustPlan(t, parse(t, generatorsScenario), &set)

	var gen []string
	for _, s := range p.Steps {
		if s.Generator {
			gen = append(gen, s.Service+":"+s.Operation)
		}
	}
	want := []string{"logs:CreateLogGroup", "ecs:RegisterTaskDefinition", "ec2:AuthorizeSecurityGroupIngress", "ecs:RunTask"}
	if !slices.Equal(gen, want) {
		t.Fatalf("generator steps %v, want %v", gen, want)
	}
	tds := stepsOf[*ecs.RegisterTaskDefinitionInput](p)
	td := tds[0]
	if aws.ToString(td.Family) != "lab-gens-alice-generator" {
		t.Fatalf("first task definition %s, want the generators'", aws.ToString(td.Family))
	}
	c := td.ContainerDefinitions[0]
	if aws.ToString(c.Image) != set.Image || !slices.Equal(c.Command, []string{"generate"}) || aws.ToString(td.Cpu) != "1024" || aws.ToString(td.Memory) != "2048" {
		t.Errorf("generator container: image %s command %v size %s/%s", aws.ToString(c.Image), c.Command, aws.ToString(td.Cpu), aws.ToString(td.Memory))
	}
	if g := c.LogConfiguration.Options["awslogs-group"]; g != "/lab/gens/alice/generators" || g != p.GeneratorLogGroup {
		t.Errorf("generators log to %s (plan: %s)", g, p.GeneratorLogGroup)
	}
	if !hasTag(td.Tags, "lab.owner", "alice") {
		t.Errorf("generator task definition tags %v lack the owner", td.Tags)
	}

	run := stepsOf[*ecs.RunTaskInput](p)[0]
	svc := stepsOf[*ecs.CreateServiceInput](p)[0]
	if !slices.Equal(run.NetworkConfiguration.AwsvpcConfiguration.Subnets, svc.NetworkConfiguration.AwsvpcConfiguration.Subnets) ||
		!slices.Equal(run.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, svc.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups) {
		t.Errorf("generators run in %v, the service in %v", run.NetworkConfiguration, svc.NetworkConfiguration)
	}
	if refs := ParseRefs(aws.ToString(run.TaskDefinition)); len(refs) != 1 || p.Steps[refs[0].Step-1].Input != td {
		t.Errorf("RunTask's task definition %s is not the generators'", aws.ToString(run.TaskDefinition))
	}
	env := run.Overrides.ContainerOverrides[0].Environment[0]
	if aws.ToString(env.Name) != generate.EnvConfig || aws.ToString(env.Value) != GeneratorConfigPlaceholder {
		t.Errorf("RunTask env %s=%s", aws.ToString(env.Name), aws.ToString(env.Value))
	}
	ingress := stepsOf[*ec2.AuthorizeSecurityGroupIngressInput](p)
	rule := ingress[len(ingress)-1]
	if pairs := rule.IpPermissions[0].UserIdGroupPairs; len(pairs) != 1 || aws.ToString(pairs[0].GroupId) != svc.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0] || *rule.IpPermissions[0].FromPort != ListenerPort {
		t.Errorf("generator ingress %+v: want the tasks' group to the listener", rule.IpPermissions)
	}

	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"load from: 3 generator tasks of lab-gens-alice-generator (1024/2048 each)", "ecs:RunTask", "sent 3 times", `"command": [`, "StopTask", GeneratorConfigPlaceholder} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("dry run lacks %q:\n%s", w, out.String())
		}
	}

	if local := mustPlan(t, parse(t, strings.Replace(generatorsScenario, "from: ecs", "from: local", 1)), &set); local.GeneratorFamily != "" || len(stepsOf[*ecs.RunTaskInput](local)) != 0 {
		t.Errorf("load.from: local plans generator tasks")
	}
}

// The generators' image: generator_image, else the built-in app's image;
// for another workload it is missing.
func TestGeneratorImage(t *testing.T) {
	src := strings.Replace(generatorsScenario, "workload: {builtin: true}", "workload: {image: mine, port: 8080}", 1)
	p := mustPlan(t, parse(t, src), fullSettings)
	if !slices.ContainsFunc(p.Missing(), func(m string) bool { return strings.HasPrefix(m, "generator_image:") }) {
		t.Errorf("missing %v: want generator_image", p.Missing())
	}
	set := *fullSettings
	set.GeneratorImage = "registry/lab:gen"
	p = mustPlan(t, parse(t, src), &set)
	if img := stepsOf[*ecs.RegisterTaskDefinitionInput](p)[0].ContainerDefinitions[0].Image; aws.ToString(img) != "registry/lab:gen" {
		t.Errorf("generator image %s", aws.ToString(img))
	}
}

// The estimate adds each entry's generator tasks for its load and their
// start, at their size.
func TestGeneratorEstimate(t *testing.T) {
	prices := report.DefaultPrices()
	sc := parse(t, generatorsScenario)
	est := mustPlan(t, sc, fullSettings).Estimate(prices)
	hours := 3 * (sc.LoadDuration() + generatorOverhead).Hours()
	for _, it := range est.Items {
		if strings.Contains(it.Item, "load generators") {
			if math.Abs(it.Quantity-hours) > 1e-4 || math.Abs(it.Amount-hours*prices.TaskHour(scenarios.Size{CPU: 1024, Memory: 2048})) > 1e-6 { // Add rounds
				t.Errorf("generators priced %g task-hours for %g, want %g", it.Quantity, it.Amount, hours)
			}
			return
		}
	}
	t.Errorf("no generator item in %+v", est.Items)
}

func hasTag(tags []ecstypes.Tag, key, value string) bool {
	return slices.ContainsFunc(tags, func(t ecstypes.Tag) bool { return aws.ToString(t.Key) == key && aws.ToString(t.Value) == value })
}
