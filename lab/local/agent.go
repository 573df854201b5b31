package local

import (
	"context"

	"github.com/ecslab/lab/scenarios"
)

// TaskAgent is what serves a multi-container task from inside its network
// namespace (the task metadata endpoint, task role credentials). The
// target starts a session per task once the task's holder runs, and
// before its containers are created; it stops the session after they are
// removed.
type TaskAgent interface {
	StartTask(ctx context.Context, info TaskInfo) (TaskSession, error)
}

// TaskInfo is what a TaskAgent knows of a task when it starts.
type TaskInfo struct {
	RunID string
	Task  string // lab's task id, e.g. "t3"
	// Holder is the holder container's id: a container joins the task's
	// network namespace with NetworkMode "container:" + Holder.
	Holder string
	// Labels go on anything the agent creates for the task: the run's
	// Close and `lab gc` remove what carries them.
	Labels map[string]string
	Def    *TaskDef
	Size   scenarios.Size
}

// TaskSession is a TaskAgent's work for one task.
type TaskSession interface {
	// Env is the environment the agent gives a container of the task
	// (e.g. ECS_CONTAINER_METADATA_URI_V4).
	Env(container string) map[string]string
	// Created tells the agent the Docker id of a container of the task.
	Created(container, id string)
	// Stop ends the session; the task's containers are gone.
	Stop(ctx context.Context) error
}
