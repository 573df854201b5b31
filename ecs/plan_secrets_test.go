package ecs

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"
)

const secretsScenario = `
name: secrets
workload:
  image: myorg/api:1.4
  port: 8080
  env: {API_URL: planted-env-value}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
matrix:
  - {cpu: 256, memory: 512, env: {EXTRA: planted-matrix-value}}
secrets:
  - {name: STRIPE_KEY, value_from: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:stripe-AbCdEf"}
  - {name: FLAGS, value_from: "arn:aws:ssm:eu-central-1:123456789012:parameter/lab/flags"}
`

// Secrets go to the task definition's secrets as ARNs, never to its
// environment; the execution role's need to read them is a warning; the
// printed plan shows no env value.
func TestSecretsPlan(t *testing.T) {
	p := mustPlan(t, parse(t, secretsScenario), fullSettings)
	if len(p.Errors) > 0 {
		t.Fatalf("errors: %v", p.Errors)
	}
	tds := stepsOf[*ecs.RegisterTaskDefinitionInput](p)
	if len(tds) != 1 {
		t.Fatalf("%d task definitions", len(tds))
	}
	c := tds[0].ContainerDefinitions[0]
	var got [][2]string
	for _, s := range c.Secrets {
		got = append(got, [2]string{aws.ToString(s.Name), aws.ToString(s.ValueFrom)})
	}
	want := [][2]string{
		{"STRIPE_KEY", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:stripe-AbCdEf"},
		{"FLAGS", "arn:aws:ssm:eu-central-1:123456789012:parameter/lab/flags"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("container secrets (-want +got):\n%s", diff)
	}
	for _, kv := range c.Environment {
		if name := aws.ToString(kv.Name); name == "STRIPE_KEY" || name == "FLAGS" {
			t.Errorf("secret %s is in the environment", name)
		}
	}
	if !hasWarning(p, "secretsmanager:GetSecretValue or ssm:GetParameters") {
		t.Errorf("no warning about the execution role reading the secrets: %v", p.Warnings)
	}
	// Applied as given: the env values are sent to ECS.
	if env := c.Environment; len(env) != 2 || aws.ToString(env[0].Value) != "planted-env-value" {
		t.Errorf("environment sent %v, want the scenario's values", env)
	}

	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, planted := range []string{"planted-env-value", "planted-matrix-value"} {
		if strings.Contains(out.String(), planted) {
			t.Errorf("the printed plan shows %q", planted)
		}
	}
	if !strings.Contains(out.String(), `"name": "API_URL",`) || !strings.Contains(out.String(), `"value": "<redacted>"`) {
		t.Errorf("the printed plan does not show API_URL's name with its value redacted:\n%s", out.String())
	}
}

// A secret read from this machine cannot reach a task on ECS: the plan
// says so, and cannot be applied.
func TestSecretsFromThisMachineAreAnError(t *testing.T) {
	src := strings.Replace(secretsScenario, `"arn:aws:ssm:eu-central-1:123456789012:parameter/lab/flags"`, "env:FLAGS", 1)
	p := mustPlan(t, parse(t, src), fullSettings)
	if len(p.Errors) != 1 || !strings.Contains(p.Errors[0], "secret FLAGS comes from env:FLAGS") ||
		!strings.Contains(p.Errors[0], "store the value in AWS Secrets Manager or SSM Parameter Store") {
		t.Fatalf("errors %q, want one for FLAGS saying where to store it", p.Errors)
	}
	var out bytes.Buffer
	if err := p.Print(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "errors (the plan cannot be applied as it is):\n  - secret FLAGS") {
		t.Errorf("the printed plan does not list the error:\n%s", out.String())
	}
	if _, err := NewApplier(&Clients{}, p, &State{}); err == nil || !strings.Contains(err.Error(), "secret FLAGS") {
		t.Errorf("NewApplier: %v, want a refusal naming the secret", err)
	}
}
