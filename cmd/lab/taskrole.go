package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecslab/lab/lab/local/taskrole"
	"github.com/ecslab/lab/scenarios"
)

// taskRoleFlag is --task-role[=MODE]: serve the tasks AWS credentials
// for this run, as the scenario's task_role does; alone it means
// use-my-credentials.
func taskRoleFlag(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "task-role", "", "local runs: serve the tasks AWS credentials at AWS_CONTAINER_CREDENTIALS_FULL_URI, your own (`MODE` use-my-credentials, the default) or the task definition's taskRoleArn assumed with STS (assume); off unless given here or in the scenario's task_role")
	cmd.Flags().Lookup("task-role").NoOptDefVal = scenarios.TaskRoleUseMine
}

// withTaskRole applies --task-role to the scenario. On ECS the tasks get
// their definition's role from ECS itself: the flag is refused there.
func withTaskRole(sc *scenarios.Scenario, flag, target string) (*scenarios.Scenario, error) {
	if flag == "" {
		return sc, nil
	}
	if target == "ecs" {
		return nil, usageError{fmt.Errorf("--task-role is for local runs: on ECS, the tasks get the task definition's taskRoleArn from ECS")}
	}
	if _, err := taskrole.ParseMode(flag); err != nil {
		return nil, usageError{fmt.Errorf("--task-role: %w", err)}
	}
	out := *sc
	out.TaskRole = flag
	return &out, nil
}

// taskRoleCheckTimeout bounds the first fetch of credentials (an SSO
// login that waits, an STS that does not answer).
const taskRoleCheckTimeout = 30 * time.Second

// taskRoleSource prepares a local run's task role and fetches its
// credentials once, so that a run without them stops before its first
// task. It says on stderr that the tasks get credentials, and whose.
func taskRoleSource(sc *scenarios.Scenario, runID, target string, stderr io.Writer) (*taskrole.Source, error) {
	if sc.TaskRole == "" {
		return nil, nil
	}
	if target == "ecs" {
		fmt.Fprintf(stderr, "lab: note: task_role %s is for local runs; on ECS the tasks get the task definition's taskRoleArn from ECS\n", sc.TaskRole)
		return nil, nil
	}
	mode, err := taskrole.ParseMode(sc.TaskRole)
	if err != nil {
		return nil, usageError{err}
	}
	if sc.Workload.TaskDefinition == "" {
		return nil, usageError{fmt.Errorf("task role %s: lab serves credentials to the containers of a task definition (workload.task_definition); this workload is one container", mode)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), taskRoleCheckTimeout)
	defer cancel()
	src, err := taskrole.New(ctx, taskrole.Options{Mode: mode, RoleARN: taskRoleARN(sc), Session: "lab-" + runID})
	if err == nil {
		err = src.Check(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("task role: %w", err)
	}
	fmt.Fprintf(stderr, "lab: the tasks get AWS credentials: %s\n", src.Describe())
	return src, nil
}

// taskRoleARN is the role a scenario's tasks assume: its task
// definition's taskRoleArn ("" without a definition, or without one in
// it).
func taskRoleARN(sc *scenarios.Scenario) string {
	if d := sc.Workload.Definition; d != nil {
		return d.TaskRoleARN
	}
	return ""
}
