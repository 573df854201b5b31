package main

import (
	"context"
	"errors"
	"strings"
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

// load.from: ecs needs the ECS target; several generators on ECS need
// it.
func TestLoadFrom(t *testing.T) {
	sc, err := (runOptions{target: "local"}).scenario(context.Background(), "testdata/generators.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, target string
		dryRun, ok   bool // dryRun: the same either way
		says         string
	}{
		{"local", "local", false, true, ""},
		{"ecs", "local", true, false, "load.from: ecs runs the generators as Fargate tasks beside the service: it needs --target ecs"},
		{"ecs", "ecs", true, true, ""},
		{"ecs", "ecs", false, true, ""},
		{"local", "ecs", true, false, "set load.from: ecs"},
		{"", "ecs", true, false, "set load.from: ecs"},
	} {
		sc.Load.From = c.from
		err := checkLoadFrom(sc, c.target)
		var usage usageError
		switch {
		case c.ok && err != nil:
			t.Errorf("from %q target %s dry-run %v: %v", c.from, c.target, c.dryRun, err)
		case !c.ok && (!errors.As(err, &usage) || !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "testdata/generators.yaml: ")):
			t.Errorf("from %q target %s dry-run %v: %v, want a usage error naming the file and saying %q", c.from, c.target, c.dryRun, err, c.says)
		}
	}
}
