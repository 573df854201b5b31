package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/scenarios"
)

// The CPU probe as a one-off Fargate task (lab calibrate --target ecs):
// the image lab pushed runs `lab workload probe`, whose one JSON line
// lab reads back from CloudWatch Logs.

// What the probe's resources are named after: a scenario named
// "calibrate", so that its task definition family is
// lab-calibrate-<owner> and its log group /lab/calibrate/<owner>.
const (
	probeScenario  = "calibrate"
	probeContainer = "probe"
	probeStream    = "lab" // awslogs-stream-prefix: streams are lab/probe/<task id>
)

// ProbeOptions say where the probe task runs.
type ProbeOptions struct {
	// Settings are the scenario-style ECS settings: cluster, task
	// subnets (or subnets), security groups (default: the VPC's),
	// assign_public_ip (default: on), image (lab's workload image, pushed
	// with lab ecs push), execution_role_arn and name_suffix (default:
	// from the caller's identity).
	Settings *scenarios.ECS
	// Platform is X86_64 or ARM64 (the image must be built for it).
	Platform string
	Poll     time.Duration // how often the task is looked at (default 5 s)
	Timeout  time.Duration // how long it may take (default 10 min)
	Log      func(string)

	// started is called with the task's ARN once it runs (tests).
	started func(taskARN string)
}

// probeCPU and probeMemory are the task's size: one vCPU, so that the
// probe's one thread runs unthrottled.
const (
	probeCPU    = "1024"
	probeMemory = "2048"
)

// RunProbe runs the probe as a Fargate task of one vCPU and returns the
// line it printed. It registers a task definition (family
// lab-calibrate), runs the task in the settings' cluster (created when
// missing, and then removed), waits until it stops, reads its log, and
// deregisters the task definition.
func RunProbe(ctx context.Context, c *Clients, o ProbeOptions) (string, error) {
	set := o.Settings
	if set == nil || set.Image == "" || set.ExecutionRoleARN == "" || set.Cluster == "" || len(taskSubnets(set)) == 0 {
		return "", errors.New("calibrate on ECS needs cluster, image (lab's workload image: lab ecs push), execution_role_arn and subnets in --ecs FILE")
	}
	if o.Platform != scenarios.X86_64 && o.Platform != scenarios.ARM64 {
		return "", fmt.Errorf("platform %q: want X86_64 or ARM64", o.Platform)
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	log := o.Log
	if log == nil {
		log = func(string) {}
	}
	if err := Resolve(ctx, c, set, ResolveOptions{}); err != nil {
		return "", err
	}
	names := NewNames(probeScenario, set.NameSuffix)
	if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(names.LogGroup()),
		Tags: names.Tags("log-group")}); err != nil && apiCode(err) != "ResourceAlreadyExistsException" {
		return "", Explain(err)
	}
	removeCluster, err := ensureCluster(ctx, c, set.Cluster, names, log)
	if err != nil {
		return "", err
	}
	defer removeCluster()
	td, err := c.ECS.RegisterTaskDefinition(ctx, probeTaskDefinition(set, names, o.Platform, c.Region))
	if err != nil {
		return "", Explain(err)
	}
	tdARN := aws.ToString(td.TaskDefinition.TaskDefinitionArn)
	log("registered " + tdARN)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := c.ECS.DeregisterTaskDefinition(dctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(tdARN)}); err == nil {
			log("deregistered " + tdARN)
		}
	}()
	taskARN, err := runProbeTask(ctx, c, tdARN, set, names)
	if err != nil {
		return "", err
	}
	log("started the probe task " + taskARN + "; waiting until it stops")
	if o.started != nil {
		o.started(taskARN)
	}
	if err := waitStopped(ctx, c, set.Cluster, taskARN, o.Poll, o.Timeout); err != nil {
		return "", err
	}
	return probeOutput(ctx, c, names.LogGroup(), taskARN)
}

// taskSubnets are the subnets the tasks run in.
func taskSubnets(set *scenarios.ECS) []string {
	if len(set.TaskSubnets) > 0 {
		return set.TaskSubnets
	}
	return set.Subnets
}

// probeTags are names' tags for role, as ECS takes them.
func probeTags(names Names, role string) []ecstypes.Tag {
	return sortedTags(names.Tags(role), func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

func probeTaskDefinition(set *scenarios.ECS, names Names, platform, region string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(names.Family()),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String(probeCPU),
		Memory:                  aws.String(probeMemory),
		ExecutionRoleArn:        aws.String(set.ExecutionRoleARN),
		RuntimePlatform: &ecstypes.RuntimePlatform{
			CpuArchitecture:       ecstypes.CPUArchitecture(platform),
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
		},
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String(probeContainer),
			Image:     aws.String(set.Image),
			Essential: aws.Bool(true),
			Command:   []string{"probe"},
			// The probe keeps little in memory; the reservation says so
			// (and sizes the task for emulators that add containers up).
			MemoryReservation: aws.Int32(64),
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         names.LogGroup(),
					"awslogs-region":        region,
					"awslogs-stream-prefix": probeStream,
				},
			},
		}},
		Tags: probeTags(names, "task-definition"),
	}
}

// ensureCluster creates the cluster when it is missing; remove deletes
// it again in that case only.
func ensureCluster(ctx context.Context, c *Clients, name string, names Names, log func(string)) (remove func(), err error) {
	resp, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		return nil, Explain(err)
	}
	for _, cl := range resp.Clusters {
		if aws.ToString(cl.Status) == "ACTIVE" {
			return func() {}, nil
		}
	}
	if _, err := c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(name), Tags: probeTags(names, "cluster")}); err != nil {
		return nil, Explain(err)
	}
	log("created cluster " + name)
	return func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, err := c.ECS.DeleteCluster(dctx, &ecs.DeleteClusterInput{Cluster: aws.String(name)}); err == nil {
			log("deleted cluster " + name)
		}
	}, nil
}

func runProbeTask(ctx context.Context, c *Clients, tdARN string, set *scenarios.ECS, names Names) (string, error) {
	assign := ecstypes.AssignPublicIpEnabled
	if set.AssignPublicIP != nil && !*set.AssignPublicIP {
		assign = ecstypes.AssignPublicIpDisabled
	}
	resp, err := c.ECS.RunTask(ctx, &ecs.RunTaskInput{
		Cluster:        aws.String(set.Cluster),
		TaskDefinition: aws.String(tdARN),
		LaunchType:     ecstypes.LaunchTypeFargate,
		Count:          aws.Int32(1),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        taskSubnets(set),
			SecurityGroups: set.SecurityGroups,
			AssignPublicIp: assign,
		}},
		Tags: probeTags(names, "task"),
	})
	if err != nil {
		return "", Explain(err)
	}
	if len(resp.Tasks) == 0 {
		reasons := make([]string, 0, len(resp.Failures))
		for _, f := range resp.Failures {
			reasons = append(reasons, aws.ToString(f.Reason))
		}
		return "", fmt.Errorf("ecs:RunTask started no probe task: %s", strings.Join(reasons, "; "))
	}
	return aws.ToString(resp.Tasks[0].TaskArn), nil
}

// waitStopped polls the task until it stops, and says why when its
// container did not exit 0.
func waitStopped(ctx context.Context, c *Clients, cluster, taskARN string, poll, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		resp, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskARN}})
		if err != nil {
			return Explain(err)
		}
		for _, task := range resp.Tasks {
			if aws.ToString(task.LastStatus) != "STOPPED" {
				continue
			}
			for _, ct := range task.Containers {
				if ct.ExitCode != nil && *ct.ExitCode != 0 {
					return fmt.Errorf("the probe task stopped, its container exited %d: %s %s", *ct.ExitCode, aws.ToString(task.StoppedReason), aws.ToString(ct.Reason))
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the probe task %s did not stop within %s: %w", taskARN, timeout, ctx.Err())
		case <-t.C:
		}
	}
}

// ProbeStream is the log stream the probe of a task writes to.
func ProbeStream(taskARN string) string {
	id := taskARN[strings.LastIndexByte(taskARN, '/')+1:]
	return probeStream + "/" + probeContainer + "/" + id
}

// probeOutput reads the probe's log stream and returns its last line
// that looks like the probe's JSON.
func probeOutput(ctx context.Context, c *Clients, group, taskARN string) (string, error) {
	resp, err := c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(ProbeStream(taskARN)),
		StartFromHead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("read the probe's log %s: %w", ProbeStream(taskARN), Explain(err))
	}
	line := ""
	for _, e := range resp.Events {
		if m := strings.TrimSpace(aws.ToString(e.Message)); strings.HasPrefix(m, `{"probe"`) {
			line = m
		}
	}
	if line == "" {
		return "", fmt.Errorf("the probe's log %s in %s holds no result", ProbeStream(taskARN), group)
	}
	return line, nil
}
