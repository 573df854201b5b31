package ecs

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/lab/load/generate"
	"github.com/ecslab/lab/scenarios"
)

// The load's generators on ECS (load.from: ecs): Fargate tasks of lab's
// own image in the service's subnets, each running its share of the load
// against the ALB and writing its windows, one JSON line a second, to
// its log stream, which lab reads back.

// GeneratorContainer is the container of a generator task; its log
// streams are GeneratorStreamPrefix/GeneratorContainer/TASK-ID.
const (
	GeneratorContainer    = "generator"
	GeneratorStreamPrefix = "lab"
)

// GeneratorStartedBy marks the generator tasks lab starts (RunTask's
// startedBy), so that they are found and stopped again.
const GeneratorStartedBy = "lab-generator"

// GeneratorSize is each generator task's size: a generator is a Go
// process whose throughput grows with its vCPU; one vCPU sends a few
// thousand requests a second.
var GeneratorSize = scenarios.Size{CPU: 1024, Memory: 2048}

// GeneratorConfigPlaceholder stands for the generator's configuration in
// the plan: the run fills it for each generator with its index, the
// common start time, the mix and the phases (generate.Config, as JSON).
const GeneratorConfigPlaceholder = "<generator config: index, common start time, mix and phases as JSON>"

// generatorDefinition plans the generators' log group, task definition
// and (when lab makes the groups) the rule that lets them reach the ALB.
func (pl *planner) generatorDefinition() {
	if !pl.sc.Load.FromECS() {
		return
	}
	p := pl.p
	p.GeneratorFamily, p.GeneratorLogGroup = pl.names.GeneratorFamily(), pl.names.GeneratorLogGroup()
	image := pl.set.GeneratorImage
	switch {
	case image != "":
	case pl.sc.Workload.Builtin:
		image = pl.image // the built-in app's image is lab's (or its placeholder)
	default:
		image = pl.missing("generator_image", fmt.Sprintf("lab's own image in a registry, which the generator tasks run (`lab workload generate`): push it with `lab ecs push --repository URI --platform %s` and give the reference it prints", platformOf(p.Platform)))
	}
	pl.add(Step{Service: ServiceLogs, Operation: "CreateLogGroup", Entry: -1, Generator: true,
		Note: "the generators' windows, one JSON line a second per generator; removed by `lab ecs down`",
		Also: []string{"logs:DescribeLogGroups", "logs:ListTagsLogGroup"},
		Input: &cloudwatchlogs.CreateLogGroupInput{
			LogGroupName: aws.String(p.GeneratorLogGroup),
			Tags:         pl.tagMap("generator-log-group"),
		}})
	p.generatorDef = pl.add(Step{Service: ServiceECS, Operation: "RegisterTaskDefinition", Entry: -1, Generator: true,
		Note:  fmt.Sprintf("the load generators: lab's image in generate mode, %s each", GeneratorSize),
		Input: pl.generatorTaskDefinition(image)})
	pl.generatorIngress()
}

func (pl *planner) generatorTaskDefinition(image string) *ecs.RegisterTaskDefinitionInput {
	p := pl.p
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(p.GeneratorFamily),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String(strconv.Itoa(GeneratorSize.CPU)),
		Memory:                  aws.String(strconv.Itoa(GeneratorSize.Memory)),
		ExecutionRoleArn:        aws.String(pl.executionRole),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String(GeneratorContainer),
			Image:     aws.String(image),
			Essential: aws.Bool(true),
			Command:   []string{"generate"},
			// The task's memory, stated for the container too: Fargate
			// needs none, emulators sum the containers'.
			Memory: aws.Int32(int32(GeneratorSize.Memory)),
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         p.GeneratorLogGroup,
					"awslogs-region":        p.Region,
					"awslogs-stream-prefix": GeneratorStreamPrefix,
				},
			},
		}},
		RuntimePlatform: &ecstypes.RuntimePlatform{
			CpuArchitecture:       ecstypes.CPUArchitecture(p.Platform),
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
		},
		Tags: pl.ecsTags("generator-task-definition"),
	}
}

// generatorIngress lets the generators, in the tasks' group, reach the
// ALB's listener when lab makes both groups. Through an internet-facing
// ALB's public address they arrive from their public (or NAT) address,
// which no group rule names: the plan says so.
func (pl *planner) generatorIngress() {
	if len(pl.albSGs) == 1 && len(pl.taskSGs) == 1 && len(pl.set.SecurityGroups) == 0 {
		pl.add(Step{Service: ServiceEC2, Operation: "AuthorizeSecurityGroupIngress", Entry: -1, Generator: true,
			Note: fmt.Sprintf("the generator tasks (in the tasks' group) may reach the listener (port %d); a rule that exists is kept", ListenerPort),
			Input: &ec2.AuthorizeSecurityGroupIngressInput{
				GroupId: aws.String(pl.albSGs[0]),
				IpPermissions: []ec2types.IpPermission{{
					IpProtocol: aws.String("tcp"), FromPort: aws.Int32(ListenerPort), ToPort: aws.Int32(ListenerPort),
					UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(pl.taskSGs[0]), Description: aws.String("lab: generator tasks")}},
				}},
			}})
	}
	if !pl.set.Internal && pl.set.Endpoint == "" {
		pl.warn("load.from: ecs with an internet-facing ALB: the generator tasks reach its public address from their own public (or NAT) address, which alb_ingress_cidrs must admit; with internal: true they reach it inside the VPC")
	}
}

// generatorTasks plans the RunTask calls that start entry e's
// generators, one per generator, in the service's subnets and groups.
func (pl *planner) generatorTasks(e scenarios.Entry) {
	if pl.p.generatorDef == 0 {
		return
	}
	n := pl.sc.Load.GeneratorCount()
	pl.add(Step{Service: ServiceECS, Operation: "RunTask", Entry: e.Index, Generator: true,
		Note: fmt.Sprintf("entry %d (%s): sent %d times when its load starts, once per generator (index 0 to %d), each told its share and the common start time a little ahead; their windows are read back from %s (GetLogEvents) and merged; StopTask at the end",
			e.Index+1, e.Label, n, n-1, pl.p.GeneratorLogGroup),
		Input: &ecs.RunTaskInput{
			Cluster:        aws.String(pl.p.Cluster),
			TaskDefinition: aws.String(Ref{Step: pl.p.generatorDef, Field: "TaskDefinitionArn"}.String()),
			LaunchType:     ecstypes.LaunchTypeFargate,
			Count:          aws.Int32(1),
			StartedBy:      aws.String(GeneratorStartedBy),
			NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets:        pl.taskSubnets,
				SecurityGroups: pl.taskSGs,
				AssignPublicIp: ecstypes.AssignPublicIp(pl.assignPublic),
			}},
			Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
				Name: aws.String(GeneratorContainer),
				Environment: []ecstypes.KeyValuePair{{
					Name: aws.String(generate.EnvConfig), Value: aws.String(GeneratorConfigPlaceholder),
				}},
			}}},
			EnableECSManagedTags: true,
			PropagateTags:        ecstypes.PropagateTagsTaskDefinition,
			Tags:                 pl.ecsTags("generator", TagEntry, e.Label),
		}})
}
