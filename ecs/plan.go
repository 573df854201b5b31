package ecs

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios"
)

// Service names of the steps, as the AWS CLI names them.
const (
	ServiceECS         = "ecs"
	ServiceAutoscaling = "application-autoscaling"
	ServiceELB         = "elasticloadbalancing"
	ServiceLogs        = "logs"
	ServiceCloudWatch  = "cloudwatch"
	ServiceEC2         = "ec2"
)

// Step is one API call of a plan. Input is the SDK's input struct for
// Operation (e.g. *ecs.RegisterTaskDefinitionInput), the very value apply
// sends once the references in it are filled in.
type Step struct {
	Service   string // ServiceECS, ServiceELB, ...
	Operation string // "RegisterTaskDefinition", ...
	Input     any
	Note      string // why, and when the call is skipped
	// Entry is the 0-based matrix entry the call belongs to, or -1 for
	// what the entries share (log group, cluster, ALB).
	Entry int
	// ReadOnly marks a call that changes nothing (a Describe).
	ReadOnly bool
	// Also names the other calls ("service:Operation") that sending this
	// one makes: the look-ups that find an existing resource and check
	// its tags before it is taken over.
	Also []string
	// Action, when set, makes the step one of a scheduled action's calls:
	// the run sends it at Action.At into the entry's load, not when the
	// entry is applied.
	Action *scenarios.Action
	// Generator makes the step one of the load generators' calls
	// (load.from: ecs): the run sends it when it starts the entry's
	// generators, not when the entry is applied.
	Generator bool
}

// Call is a call a run makes that is not a step of its own: the polls
// while an entry runs, and the removal at the end (`lab ecs down`).
type Call struct {
	Service, Operation string
	Note               string
}

// Plan is every API call that running a scenario on ECS makes, in order,
// with the warnings and missing values found while mapping the scenario.
type Plan struct {
	Scenario string // the scenario's name
	Source   string // where it came from
	Region   string // or the "<region>" placeholder
	Cluster  string // or the "<cluster>" placeholder
	Names    Names  // of everything lab creates, with the owner suffix (or its placeholder)
	Service  string // the ECS service name
	Family   string // the task definition family
	LogGroup string
	// GeneratorFamily and GeneratorLogGroup are the load generators'
	// task definition family and log group (load.from: ecs), else "".
	GeneratorFamily, GeneratorLogGroup string
	Endpoint                           string // the settings' endpoint; empty: the ALB's DNS name
	// Platform is the tasks' CPU architecture: scenarios.X86_64 or ARM64.
	Platform string
	// HealthPath is the target group's health check path; Port the
	// container's.
	HealthPath string
	Port       int32
	Entries    []scenarios.Entry
	Steps      []Step
	// Polls are the calls made every few seconds while an entry runs;
	// Teardown the calls that remove what the run created.
	Polls    []Call
	Teardown []Call
	// Warnings name local-only values the plan maps to the nearest AWS
	// value (a clamped health check, a 10s metric period) and what
	// behaves differently on AWS.
	Warnings []string
	// Errors are what keeps the plan from being applied, other than
	// missing settings: a secret that only this machine can read.
	Errors []string

	missing  []missingValue
	workload scenarios.Workload // for which env values the plan may show
	network  networkFacts
	cost     costInputs
	execRole string // the execution role's ARN, or its placeholder
	taskRole string // a task definition's task role, or ""
	// generatorDef is the 1-based step that registers the generators'
	// task definition, 0 without them.
	generatorDef int
}

type missingValue struct{ field, purpose string }

// Missing lists the settings the plan has placeholders for, each as
// "field: what it is for". Empty when the plan can be applied.
func (p *Plan) Missing() []string {
	out := make([]string, len(p.missing))
	for i, m := range p.missing {
		out[i] = m.field + ": " + m.purpose
	}
	return out
}

// Placeholder is how a missing setting appears in the plan's inputs.
func Placeholder(field string) string { return "<" + field + ">" }

// Ref is a reference in an input to an output of an earlier step, written
// "<Field from step N>". Field is the response field (TargetGroupArn,
// LoadBalancerArn, TaskDefinitionArn, PolicyARN, VpcId) or one derived
// from it: "LoadBalancer dimension" (app/NAME/ID, from a load balancer
// ARN) and "TargetGroup dimension" (targetgroup/NAME/ID, from a target
// group ARN). A string may hold several references.
type Ref struct {
	Step  int // 1-based, as printed
	Field string
}

func (r Ref) String() string { return fmt.Sprintf("<%s from step %d>", r.Field, r.Step) }

var refRE = regexp.MustCompile(`<([^<>]+) from step (\d+)>`)

// ParseRefs returns the references in s, in order.
func ParseRefs(s string) []Ref {
	var refs []Ref
	for _, m := range refRE.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[2])
		refs = append(refs, Ref{Step: n, Field: m[1]})
	}
	return refs
}

// ALB limits of a target group's health check.
const (
	minHealthInterval  = 5 * time.Second
	maxHealthInterval  = 300 * time.Second
	minHealthTimeout   = 2 * time.Second
	maxHealthTimeout   = 120 * time.Second
	minHealthThreshold = 2
	maxHealthThreshold = 10
	maxDeregistration  = 3600 * time.Second
	minIdleTimeout     = 1 * time.Second
	maxIdleTimeout     = 4000 * time.Second
	awsMetricPeriod    = 60 * time.Second // ECS and ALB metrics: one datapoint a minute
	awsHighDatapoints  = 3                // target tracking's scale-out alarm
	awsLowDatapoints   = 15               // target tracking's scale-in alarm
)

// planner holds what NewPlan is building.
type planner struct {
	sc    *scenarios.Scenario
	set   scenarios.ECS
	p     *Plan
	names Names

	port          int32
	albSubnets    []string
	taskSubnets   []string
	albSGs        []string // given, or a reference to the group lab creates
	taskSGs       []string
	ingress       []string // CIDR blocks that may reach lab's ALB
	assignPublic  string   // ENABLED, DISABLED, or a reference
	image         string
	executionRole string
	secrets       []ecstypes.Secret // the container's, for every entry
	vpcID         string            // a reference
	targetGroup   string            // ARN or reference
	lbDimension   string            // app/NAME/ID or reference
	tgDimension   string            // targetgroup/NAME/ID or reference
	serviceID     string            // service/CLUSTER/SERVICE
	warnedKill    bool
}

// Derived are the settings lab finds itself when it connects (see
// Resolve), so that a plan missing only these can still be applied.
var Derived = []string{"region", "name_suffix", "alb_ingress_cidrs"}

// NewPlan maps a validated scenario and its ECS settings (nil: none; see
// MergeSettings) to the API calls that run it on ECS. It talks to no one:
// missing settings become placeholders (Plan.Missing), outputs of earlier
// calls become references (ParseRefs).
func NewPlan(sc *scenarios.Scenario, settings *scenarios.ECS) (*Plan, error) {
	if sc == nil {
		return nil, fmt.Errorf("ecs plan: no scenario")
	}
	return newPlan(sc, settings, sc.Entries())
}

// NewEntryPlan is the plan for one matrix entry alone (0-based index): the
// service is created with that entry's task definition. It is what
// `lab ecs up --entry N` applies.
func NewEntryPlan(sc *scenarios.Scenario, settings *scenarios.ECS, index int) (*Plan, error) {
	if sc == nil {
		return nil, fmt.Errorf("ecs plan: no scenario")
	}
	entries := sc.Entries()
	if index < 0 || index >= len(entries) {
		return nil, fmt.Errorf("ecs plan for %s: entry %d does not exist: the scenario has %d entries (1 to %d)", sc.Name, index+1, len(entries), len(entries))
	}
	return newPlan(sc, settings, entries[index:index+1])
}

func newPlan(sc *scenarios.Scenario, settings *scenarios.ECS, entries []scenarios.Entry) (*Plan, error) {
	if len(entries) == 0 {
		return nil, fmt.Errorf("ecs plan for %s: the scenario has no entries", sc.Name)
	}
	pl := &planner{sc: sc, p: &Plan{
		Scenario: sc.Name,
		Source:   sc.Source,
		Entries:  entries,
		workload: sc.Workload,
	}}
	if settings != nil {
		pl.set = *MergeSettings(nil, settings)
	}
	if sc.Workload.RemoteTaskDefinition() {
		return nil, fmt.Errorf("ecs plan for %s: task definition %s has not been read (ResolveTaskDefinition)", sc.Name, sc.Workload.TaskDefinition)
	}
	pl.resolveSettings()
	if sc.Workload.Definition != nil {
		pl.definitionWarnings()
	} else {
		pl.resolveSecrets() // a definition carries its own
	}
	if d := sc.Service.StartDelay; d > 0 {
		pl.warn("service.start_delay %s is local only and ignored here: Fargate takes its own time to provision a task (attach its network interface, pull its image) before it runs", format.Duration(d))
	}
	pl.logGroup()
	pl.cluster()
	pl.network()
	pl.balancer()
	pl.generatorDefinition()
	for i, e := range entries {
		pl.entry(e, i == 0)
		pl.generatorTasks(e)
		pl.actions(e)
	}
	pl.later()
	pl.p.cost = costInputsOf(sc, entries, pl.set, len(pl.albSubnets))
	return pl.p, nil
}

func (pl *planner) missing(field, purpose string) string {
	pl.p.missing = append(pl.p.missing, missingValue{field, purpose})
	return Placeholder(field)
}

func (pl *planner) warn(format string, args ...any) {
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf(format, args...))
}

// add appends a step and returns its 1-based number.
func (pl *planner) add(s Step) int {
	pl.p.Steps = append(pl.p.Steps, s)
	return len(pl.p.Steps)
}

func (pl *planner) resolveSettings() {
	s, sc, p := pl.set, pl.sc, pl.p
	pl.port = int32(sc.Workload.Port)
	if pl.port == 0 {
		pl.port = scenarios.BuiltinPort
	}
	p.Region = s.Region
	if s.Region == "" {
		p.Region = pl.missing("region", "the AWS region to run in (AWS_REGION or the profile's region also work when apply runs)")
	}
	owner := s.NameSuffix
	if owner == "" {
		owner = pl.missing("name_suffix", "ends every name lab gives and is the lab.owner tag; found when lab connects, from your AWS identity (STS GetCallerIdentity); set it to choose")
	}
	pl.names = NewNames(sc.Name, owner)
	p.Names, p.Service, p.Family, p.LogGroup = pl.names, pl.names.Service(), pl.names.Family(), pl.names.LogGroup()
	p.Cluster = s.Cluster
	p.Endpoint = strings.TrimSuffix(s.Endpoint, "/")
	if s.Cluster == "" {
		p.Cluster = pl.missing("cluster", "the ECS cluster to run the service in (lab creates it when missing)")
	}
	p.Platform = cmp.Or(s.RuntimePlatform, scenarios.X86_64)
	p.HealthPath, p.Port = cmp.Or(sc.Service.HealthCheck.Path, scenarios.DefaultHealthPath), pl.port
	pl.resolveSubnets()
	pl.resolveImage()
	pl.executionRole = s.ExecutionRoleARN
	if d := sc.Workload.Definition; d != nil {
		// A task definition's own roles are registered with it.
		pl.executionRole = cmp.Or(d.ExecutionRoleARN, pl.executionRole)
		p.taskRole = d.TaskRoleARN
	}
	if pl.executionRole == "" {
		pl.executionRole = pl.missing("execution_role_arn", "the task execution role ECS uses to pull the image and write logs (a role with the AmazonECSTaskExecutionRolePolicy)")
	}
	p.execRole = pl.executionRole
	pl.serviceID = "service/" + p.Cluster + "/" + p.Service
}

// resolveImage is the image the tasks run: the settings' image, which a
// local image (the built-in workload's or the scenario's) must have been
// pushed to first.
func (pl *planner) resolveImage() {
	s, w := pl.set, pl.sc.Workload
	switch {
	case w.Definition != nil:
		pl.checkDefinitionImages() // the definition names its images
	case s.Image != "":
		pl.image = s.Image
	case w.Builtin:
		pl.image = pl.missing("image", fmt.Sprintf("the built-in workload's image in a registry ECS can pull from: push it with `lab ecs push --repository URI --platform %s` and give the reference it prints", platformOf(pl.p.Platform)))
	default:
		pl.image = pl.missing("image", fmt.Sprintf("the scenario's image %s is a local one and ECS pulls from a registry: push it with `lab ecs push --image %s --repository URI --platform %s` and give the reference it prints", w.Image, w.Image, platformOf(pl.p.Platform)))
	}
}

// platformOf is the OCI platform of an ECS cpuArchitecture.
func platformOf(arch string) string {
	if arch == scenarios.ARM64 {
		return "linux/arm64"
	}
	return "linux/amd64"
}

func (pl *planner) tagMap(role string) map[string]string { return pl.names.Tags(role) }

func (pl *planner) ecsTags(role string, extra ...string) []ecstypes.Tag {
	m := pl.tagMap(role)
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return sortedTags(m, func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

func (pl *planner) elbTags(role string) []elbtypes.Tag {
	return sortedTags(pl.tagMap(role), func(k, v *string) elbtypes.Tag { return elbtypes.Tag{Key: k, Value: v} })
}

func (pl *planner) cwTags(role string) []cwtypes.Tag {
	return sortedTags(pl.tagMap(role), func(k, v *string) cwtypes.Tag { return cwtypes.Tag{Key: k, Value: v} })
}

func (pl *planner) ec2Tags(resource ec2types.ResourceType, role string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{
		ResourceType: resource,
		Tags:         sortedTags(pl.tagMap(role), func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} }),
	}}
}

// sortedTags turns a tag map into one service's tag type, in key order so
// that plans print the same every time.
func sortedTags[T any](m map[string]string, tag func(key, value *string) T) []T {
	var tags []T
	for _, k := range slices.Sorted(maps.Keys(m)) {
		tags = append(tags, tag(aws.String(k), aws.String(m[k])))
	}
	return tags
}

func (pl *planner) logGroup() {
	pl.add(Step{Service: ServiceLogs, Operation: "CreateLogGroup", Entry: -1,
		Note: "the containers' awslogs destination; an existing group is kept if its tags say it is this scenario's and owner's",
		Also: []string{"logs:DescribeLogGroups", "logs:ListTagsLogGroup"},
		Input: &cloudwatchlogs.CreateLogGroupInput{
			LogGroupName: aws.String(pl.p.LogGroup),
			Tags:         pl.tagMap("log-group"),
		}})
}

func (pl *planner) cluster() {
	n := pl.add(Step{Service: ServiceECS, Operation: "DescribeClusters", Entry: -1, ReadOnly: true,
		Note:  "does the cluster exist?",
		Input: &ecs.DescribeClustersInput{Clusters: []string{pl.p.Cluster}}})
	pl.add(Step{Service: ServiceECS, Operation: "CreateCluster", Entry: -1,
		Note: fmt.Sprintf("only when step %d finds no ACTIVE cluster of that name", n),
		Input: &ecs.CreateClusterInput{
			ClusterName: aws.String(pl.p.Cluster),
			Tags:        pl.ecsTags("cluster"),
		}})
}

// entry plans one matrix entry: its task definition, then the service
// created (first entry) or deployed to the new revision (later ones).
func (pl *planner) entry(e scenarios.Entry, first bool) {
	td := pl.taskDefinition(e)
	tdStep := pl.add(Step{Service: ServiceECS, Operation: "RegisterTaskDefinition", Entry: e.Index,
		Note:  fmt.Sprintf("entry %d (%s): a new revision of %s", e.Index+1, e.Label, pl.p.Family),
		Input: td})
	tdARN := Ref{Step: tdStep, Field: "TaskDefinitionArn"}.String()
	wait := "then waits until the service is stable (DescribeServices, as the services-stable waiter: one deployment, running == desired, failing at once when the deployment circuit breaker stops it), until the target group reports the entry's tasks healthy (DescribeTargetHealth) and the endpoint answers its health path, before the load starts"
	if first {
		pl.add(Step{Service: ServiceECS, Operation: "CreateService", Entry: e.Index,
			Note:  fmt.Sprintf("entry %d (%s); %s", e.Index+1, e.Label, wait),
			Also:  []string{"ecs:DescribeServices", "ecs:UpdateService"},
			Input: pl.createService(e, tdARN)})
		pl.autoscaling()
		return
	}
	pl.add(Step{Service: ServiceECS, Operation: "UpdateService", Entry: e.Index,
		Note: fmt.Sprintf("entry %d (%s): a deployment to the new revision; %s", e.Index+1, e.Label, wait),
		Input: &ecs.UpdateServiceInput{
			Cluster:        aws.String(pl.p.Cluster),
			Service:        aws.String(pl.p.Service),
			TaskDefinition: aws.String(tdARN),
			DesiredCount:   aws.Int32(int32(e.Count)),
		}})
}

func (pl *planner) taskDefinition(e scenarios.Entry) *ecs.RegisterTaskDefinitionInput {
	if pl.sc.Workload.Definition != nil {
		return pl.userTaskDefinition(e)
	}
	var env []ecstypes.KeyValuePair
	for _, k := range slices.Sorted(maps.Keys(e.Env)) {
		env = append(env, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(e.Env[k])})
	}
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(pl.p.Family),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		Cpu:                     aws.String(strconv.Itoa(e.Size.CPU)),
		Memory:                  aws.String(strconv.Itoa(e.Size.Memory)),
		ExecutionRoleArn:        aws.String(pl.executionRole),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String(ContainerName),
			Image:        aws.String(pl.image),
			Essential:    aws.Bool(true),
			Command:      pl.sc.Workload.Command,
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(pl.port), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:  env,
			Secrets:      pl.secrets,
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         pl.p.LogGroup,
					"awslogs-region":        pl.p.Region,
					"awslogs-stream-prefix": "lab",
				},
			},
		}},
		RuntimePlatform: &ecstypes.RuntimePlatform{
			CpuArchitecture:       ecstypes.CPUArchitecture(pl.p.Platform),
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
		},
		Tags: pl.ecsTags("task-definition", TagEntry, e.Label),
	}
}

func (pl *planner) createService(e scenarios.Entry, tdARN string) *ecs.CreateServiceInput {
	container, port := pl.definitionLoadBalancer()
	return &ecs.CreateServiceInput{
		Cluster:        aws.String(pl.p.Cluster),
		ServiceName:    aws.String(pl.p.Service),
		TaskDefinition: aws.String(tdARN),
		DesiredCount:   aws.Int32(int32(e.Count)),
		LaunchType:     ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        pl.taskSubnets,
			SecurityGroups: pl.taskSGs,
			AssignPublicIp: ecstypes.AssignPublicIp(pl.assignPublic),
		}},
		LoadBalancers: []ecstypes.LoadBalancer{{
			TargetGroupArn: aws.String(pl.targetGroup),
			ContainerName:  aws.String(container),
			ContainerPort:  aws.Int32(port),
		}},
		HealthCheckGracePeriodSeconds: aws.Int32(int32(pl.sc.Service.HealthCheck.GracePeriod.Round(time.Second) / time.Second)),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(100),
			MaximumPercent:        aws.Int32(200),
			// A task that cannot start (an image for another
			// architecture, a pull that fails) fails the deployment
			// within minutes, with ECS's reason, and a later entry's
			// deployment rolls back to the last one that worked.
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		EnableECSManagedTags: true,
		PropagateTags:        ecstypes.PropagateTagsService,
		Tags:                 pl.ecsTags("service"),
	}
}

// targetGroupDimension is the TargetGroup dimension of a target group ARN:
// arn:...:targetgroup/NAME/ID -> targetgroup/NAME/ID.
func targetGroupDimension(arn string) string {
	if i := strings.Index(arn, ":targetgroup/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
