package ecs

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/scenarios"
)

// resolveSecrets maps the scenario's secrets to the container's: ECS
// reads each from Secrets Manager or Parameter Store when a task starts,
// so its value is never in the task definition. A secret that only this
// machine can read (env: or file:) is an error of the plan.
func (pl *planner) resolveSecrets() {
	var arns []string
	for _, s := range pl.sc.Secrets {
		kind, ref, _ := scenarios.SecretSource(s.ValueFrom)
		if kind != scenarios.SourceARN {
			pl.p.Errors = append(pl.p.Errors, fmt.Sprintf(
				"secret %s comes from %s, which only this machine can read, not a task on ECS: store the value in AWS Secrets Manager or SSM Parameter Store and set value_from to its ARN",
				s.Name, s.ValueFrom))
			ref = "<ARN of " + s.Name + " in Secrets Manager or Parameter Store>"
		} else {
			arns = append(arns, ref)
		}
		pl.secrets = append(pl.secrets, ecstypes.Secret{Name: aws.String(s.Name), ValueFrom: aws.String(ref)})
	}
	if len(arns) > 0 {
		pl.warn("the execution role reads the secrets when a task starts: it needs secretsmanager:GetSecretValue or ssm:GetParameters on %s (and kms:Decrypt if a customer managed key encrypts them)", strings.Join(arns, ", "))
	}
}

// printable returns in as the plan prints it: a task definition's
// environment values are shown as the scenario's redacted copy shows
// them (they may be secrets); the input itself is left as it is.
func (p *Plan) printable(in any) any {
	td, ok := in.(*ecs.RegisterTaskDefinitionInput)
	if !ok {
		return in
	}
	cp := *td
	cp.ContainerDefinitions = append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...)
	for i, c := range cp.ContainerDefinitions {
		env := make([]ecstypes.KeyValuePair, len(c.Environment))
		for j, kv := range c.Environment {
			env[j] = ecstypes.KeyValuePair{Name: kv.Name, Value: aws.String(p.workload.ShownEnv(aws.ToString(kv.Name), aws.ToString(kv.Value)))}
		}
		if c.Environment == nil {
			env = nil
		}
		cp.ContainerDefinitions[i].Environment = env
	}
	return &cp
}
