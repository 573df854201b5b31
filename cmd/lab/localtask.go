package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"

	"github.com/ecslab/lab/lab/local"
	"github.com/ecslab/lab/lab/local/envelope"
	"github.com/ecslab/lab/scenarios"
	"github.com/ecslab/lab/taskdef"
)

// cgroupRoot is where the daemon's machine mounts its cgroups.
const cgroupRoot = "/sys/fs/cgroup"

// withTaskDefinition sets up cfg for a scenario whose workload is a task
// definition: the definition as the local target runs it, lab's workload
// image for the tasks' holders, and the task envelope as a parent cgroup
// when lab can make one (else it says, in one line, that it splits the
// envelope across the containers). Every image of the definition must be
// on the daemon: lab pulls nothing.
func withTaskDefinition(ctx context.Context, cli *client.Client, cfg *local.Config, daemon local.Daemon, stderr io.Writer) error {
	sc := cfg.Scenario
	d := sc.Workload.Definition
	if d == nil {
		return fmt.Errorf("task definition %s has not been read: a local run reads a registered definition before it starts", sc.Workload.TaskDefinition)
	}
	if err := checkImages(ctx, cli, d); err != nil {
		return err
	}
	lb := sc.Service.LoadBalancer
	td, err := local.TaskDefFrom(d, taskdef.Target{Container: lb.Container, Port: lb.Port}, cfg.Secrets)
	if err != nil {
		return err
	}
	cfg.Task, cfg.HolderImage = td, cfg.Image
	h, err := envelope.Probe(envelope.Daemon{Local: daemon.Endpoint.Local(), OS: daemon.OS, OperatingSystem: daemon.OperatingSystem,
		CgroupVersion: daemon.CgroupVersion, CgroupDriver: daemon.CgroupDriver}, cgroupRoot)
	if err != nil {
		fmt.Fprintf(stderr, "lab: note: %v; each container gets a share of its task's cpu and memory, split by their reservations (summary.json: \"envelope\": %q)\n", err, "per-container")
		return nil
	}
	cfg.Envelope = &h
	return nil
}

// checkImages checks that every container's image is on the daemon.
func checkImages(ctx context.Context, cli *client.Client, d *taskdef.Definition) error {
	var errs []error
	seen := map[string]bool{}
	for _, c := range d.ContainerDefinitions {
		if seen[c.Image] {
			continue
		}
		seen[c.Image] = true
		if _, err := cli.ImageInspect(ctx, c.Image); errdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("container %q: image %s is not on this Docker: pull it (docker pull %s, after docker login for a private registry) or build it, then run again", c.Name, c.Image, c.Image))
		} else if err != nil {
			errs = append(errs, fmt.Errorf("container %q: inspect image %s: %w", c.Name, c.Image, err))
		}
	}
	return errors.Join(errs...)
}

// taskDefinitionSecrets are the secrets of a task definition's containers
// that the scenario does not list itself: a local run needs their values
// too (--secret NAME=env:VAR|file:PATH for an ARN).
func taskDefinitionSecrets(sc *scenarios.Scenario) []scenarios.Secret {
	d := sc.Workload.Definition
	if d == nil {
		return nil
	}
	have := map[string]bool{}
	for _, s := range sc.Secrets {
		have[s.Name] = true
	}
	var out []scenarios.Secret
	for _, c := range d.ContainerDefinitions {
		for _, s := range c.Secrets {
			if !have[s.Name] {
				have[s.Name] = true
				out = append(out, scenarios.Secret{Name: s.Name, ValueFrom: s.ValueFrom})
			}
		}
	}
	return out
}
