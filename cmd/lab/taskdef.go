package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecslab/lab/ecs"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/taskdef"
)

// loadScenario resolves arg as scenarios.Resolve does and, when its
// workload names a registered task definition (an ARN, family[:revision]),
// reads it with DescribeTaskDefinition through the standard AWS chain (the
// scenario's ecs.region first, when it has one).
func loadScenario(ctx context.Context, arg string) (*scenarios.Scenario, error) {
	sc, err := scenarios.Resolve(arg)
	if err != nil || !sc.Workload.RemoteTaskDefinition() {
		return sc, err
	}
	region := ""
	if sc.ECS != nil {
		region = sc.ECS.Region
	}
	cfg, err := ecs.LoadConfig(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("read task definition %s: %w", sc.Workload.TaskDefinition, err)
	}
	client := awsecs.NewFromConfig(cfg)
	describe := func(ctx context.Context, ref string) (*taskdef.Definition, error) {
		d, err := taskdef.Describe(ctx, client, ref)
		var bad taskdef.ErrorList
		if err != nil && !errors.As(err, &bad) {
			err = ecs.Explain(err) // an AWS error, in one line
		}
		return d, err
	}
	if err := sc.ResolveTaskDefinition(ctx, describe); err != nil {
		return nil, err
	}
	return sc, nil
}

// noteTaskDefinition prints what of the scenario's task definition the
// local target does not emulate, one line each (ECS honours it all).
func noteTaskDefinition(sc *scenarios.Scenario, w io.Writer) {
	if d := sc.Workload.Definition; d != nil {
		for _, e := range d.Warnings {
			fmt.Fprintf(w, "lab: note: %s\n", e.Headline())
		}
	}
}
