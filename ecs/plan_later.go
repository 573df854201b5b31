package ecs

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/scenarios"
)

// The calls a run makes after an entry is applied: its scheduled actions
// (steps of their own, sent at their time), the polls while it runs, and
// the removal at the end.

// actions plans the calls of the scenario's actions in entry e.
func (pl *planner) actions(e scenarios.Entry) {
	for i := range pl.sc.Actions {
		a := &pl.sc.Actions[i]
		when := fmt.Sprintf("entry %d (%s), at %s into the load: %s", e.Index+1, e.Label, format.Duration(a.At), a.Name())
		step := func(op string, note string, in any) int {
			return pl.add(Step{Service: ServiceECS, Operation: op, Entry: e.Index, Action: a, Note: when + "; " + note, Input: in})
		}
		cluster, service := aws.String(pl.p.Cluster), aws.String(pl.p.Service)
		switch a.Name() {
		case "scale":
			step("UpdateService", "the desired count (Application Auto Scaling may change it again)",
				&ecs.UpdateServiceInput{Cluster: cluster, Service: service, DesiredCount: aws.Int32(int32(a.Scale))})
		case "resize":
			n := step("DescribeServices", "the running revision", &ecs.DescribeServicesInput{Cluster: cluster, Services: []string{pl.p.Service}})
			step("DescribeTaskDefinition", "copied, at the new size", &ecs.DescribeTaskDefinitionInput{
				TaskDefinition: aws.String(Ref{Step: n, Field: "TaskDefinition"}.String()), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
			resized := e
			resized.Size = *a.Resize
			td := step("RegisterTaskDefinition", "the running revision at "+a.Resize.String(), pl.taskDefinition(resized))
			step("UpdateService", "a deployment to it; the action ends when the service is stable on it",
				&ecs.UpdateServiceInput{Cluster: cluster, Service: service, TaskDefinition: aws.String(Ref{Step: td, Field: "TaskDefinitionArn"}.String())})
		case "kill_task", "stop_task":
			n := step("ListTasks", "the running tasks", &ecs.ListTasksInput{Cluster: cluster, ServiceName: service, DesiredStatus: ecstypes.DesiredStatusRunning})
			count := max(a.KillTask, a.StopTask)
			step("StopTask", strconv.Itoa(count)+" of them, one call each: ECS sends SIGTERM, then SIGKILL after the container's stop timeout (30 s by default)",
				&ecs.StopTaskInput{Cluster: cluster, Task: aws.String(Ref{Step: n, Field: "TaskArns"}.String()), Reason: aws.String(reasonOf(a))})
		}
		if a.KillTask > 0 && !pl.warnedKill {
			pl.warnedKill = true
			pl.warn("kill_task on ECS is StopTask: ECS sends the container SIGTERM and SIGKILLs it only after its stop timeout (30 s by default), and the ALB stops routing to the task first: a graceful stop, not the crash kill_task is locally; use stop_task for the same action on both targets")
		}
	}
}

// reasonOf is the reason StopTask gets for a kill_task or stop_task
// action; stoppedEvent reads it back.
func reasonOf(a *scenarios.Action) string {
	if a.KillTask > 0 {
		return killReason
	}
	return lab.StopTaskReason
}

// later lists the calls of the polls and of the removal.
func (pl *planner) later() {
	p := pl.p
	poll := func(service, op, note string) { p.Polls = append(p.Polls, Call{service, op, note}) }
	poll(ServiceECS, "DescribeServices", "desired, running and pending counts, deployments, the service's events")
	poll(ServiceECS, "ListTasks", "the service's running tasks, then its stopped ones")
	poll(ServiceECS, "DescribeTasks", "their state, size, addresses and stop reasons (stopped tasks only if they started during this run)")
	poll(ServiceELB, "DescribeTargetHealth", "the target group's healthy targets, counting only this service's tasks")
	if pl.sc.Autoscaling != nil {
		poll(ServiceAutoscaling, "DescribeScalingActivities", "Application Auto Scaling's decisions, as scaling_decision events")
	}
	if p.generatorDef != 0 {
		poll(ServiceLogs, "GetLogEvents", "each generator task's log stream: its windows, every "+GeneratorPoll.String())
		poll(ServiceECS, "DescribeTasks", "each generator task, every few reads: has it stopped, with which exit code")
	}
	poll(ServiceCloudWatch, "GetMetricData", "once a minute: the service's CPUUtilization and MemoryUtilization (one datapoint a minute), kept only inside each entry's time")

	down := func(service, op, note string) { p.Teardown = append(p.Teardown, Call{service, op, note}) }
	if p.generatorDef != 0 {
		down(ServiceECS, "ListTasks", "the generator tasks (started by "+GeneratorStartedBy+" from "+p.GeneratorFamily+")")
		down(ServiceECS, "StopTask", "each generator task still running")
		down(ServiceLogs, "DeleteLogGroup", "the generators' log group "+p.GeneratorLogGroup+", if its tags say lab created it for this scenario and owner")
	}
	down(ServiceECS, "DescribeServices", "the service and its tags: lab removes only what its tags say it created for this scenario and owner")
	if pl.sc.Autoscaling != nil {
		down(ServiceAutoscaling, "DescribeScalingPolicies", "")
		down(ServiceAutoscaling, "DeleteScalingPolicy", "each of the service's policies")
		down(ServiceAutoscaling, "DescribeScalableTargets", "")
		down(ServiceAutoscaling, "DeregisterScalableTarget", "")
	}
	if pl.hasAlarms() {
		down(ServiceCloudWatch, "DescribeAlarms", "the step scaling alarms by name")
		down(ServiceCloudWatch, "ListTagsForResource", "their tags")
		down(ServiceCloudWatch, "DeleteAlarms", "")
	}
	down(ServiceECS, "UpdateService", "desired count 0")
	down(ServiceECS, "DeleteService", "then DescribeServices until it is INACTIVE")
	if pl.set.TargetGroupARN == "" {
		down(ServiceELB, "DescribeLoadBalancers", "the ALB by name (when the state file is gone)")
		down(ServiceELB, "DescribeTags", "the ALB's, the listener's and the target group's tags")
		down(ServiceELB, "DescribeListeners", "")
		down(ServiceELB, "DeleteListener", "")
		down(ServiceELB, "DeleteLoadBalancer", "")
		down(ServiceELB, "DescribeTargetGroups", "the target group by name")
		down(ServiceELB, "DeleteTargetGroup", "once the ALB has let go of it")
	}
	down(ServiceECS, "ListTaskDefinitions", "the family's revisions, active and inactive")
	down(ServiceECS, "DescribeTaskDefinition", "each revision's tags")
	down(ServiceECS, "DeregisterTaskDefinition", "each active revision lab registered")
	down(ServiceECS, "DeleteTaskDefinitions", "then deletes them (ten a call), so that no INACTIVE revision is left")
	down(ServiceLogs, "DescribeLogGroups", "kept by default; with --delete-logs:")
	down(ServiceLogs, "ListTagsLogGroup", "")
	down(ServiceLogs, "DeleteLogGroup", "only with --delete-logs")
	if len(pl.set.SecurityGroups) == 0 {
		down(ServiceEC2, "DescribeSecurityGroups", "lab's groups by name and tags")
		down(ServiceEC2, "DeleteSecurityGroup", "the tasks' group, then the ALB's, retried until the tasks' and the ALB's network interfaces are gone")
	}
	down(ServiceECS, "DescribeClusters", "the cluster and its tags")
	down(ServiceECS, "DeleteCluster", "only when lab created it for this scenario and owner and nothing else runs in it")
}

func (pl *planner) hasAlarms() bool {
	if pl.sc.Autoscaling == nil {
		return false
	}
	for _, p := range pl.sc.Autoscaling.Policies {
		if p.StepScaling != nil {
			return true
		}
	}
	return false
}
