package main

import (
	"context"
	"errors"
	"testing"
)

// --generators sets load.generators within its bounds, and neither it
// nor the scenario's load.generators goes to ECS.
func TestGeneratorsFlag(t *testing.T) {
	o := runOptions{target: "local", generators: 3}
	sc, err := o.scenario(context.Background(), "testdata/short.yaml")
	if err != nil || sc.Load.Generators != 3 {
		t.Fatalf("--generators 3: %v, load.generators %v; want 3", err, sc)
	}
	for _, o := range []runOptions{
		{target: "local", generators: 33},
		{target: "local", generators: -1},
		{target: "ecs", generators: 2},
	} {
		_, err := o.scenario(context.Background(), "testdata/short.yaml")
		var usage usageError
		if !errors.As(err, &usage) {
			t.Errorf("--target %s --generators %d: %v, want a usage error", o.target, o.generators, err)
		}
	}
	if _, err := (runOptions{target: "ecs"}).scenario(context.Background(), "testdata/generators.yaml"); err == nil {
		t.Error("--target ecs ran a scenario of 3 generators")
	}
}
