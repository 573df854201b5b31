package ecs

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

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
}

// Plan is every API call that running a scenario on ECS makes, in order,
// with the warnings and missing values found while mapping the scenario.
type Plan struct {
	Scenario string // the scenario's name
	Source   string // where it came from
	Region   string // or the "<region>" placeholder
	Cluster  string // or the "<cluster>" placeholder
	Service  string // the ECS service name
	Family   string // the task definition family
	LogGroup string
	Endpoint string // the settings' endpoint; empty: the ALB's DNS name
	Entries  []scenarios.Entry
	Steps    []Step
	// Warnings name local-only values the plan maps to the nearest AWS
	// value (a clamped health check, a 10s metric period).
	Warnings []string

	missing []missingValue
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
	sc  *scenarios.Scenario
	set scenarios.ECS
	p   *Plan

	port           int32
	subnets        []string
	securityGroups []string
	image          string
	executionRole  string
	targetGroup    string // ARN or reference
	lbDimension    string // app/NAME/ID or reference
	tgDimension    string // targetgroup/NAME/ID or reference
	serviceID      string // service/CLUSTER/SERVICE
}

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
		Service:  ServiceName(sc.Name),
		Family:   Family(sc.Name),
		LogGroup: LogGroupName(sc.Name),
		Entries:  entries,
	}}
	if settings != nil {
		pl.set = *MergeSettings(nil, settings)
	}
	pl.resolveSettings()
	pl.logGroup()
	pl.cluster()
	pl.balancer()
	for i, e := range entries {
		pl.entry(e, i == 0)
	}
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
	s, sc := pl.set, pl.sc
	pl.port = int32(sc.Workload.Port)
	if pl.port == 0 {
		pl.port = scenarios.BuiltinPort
	}
	pl.p.Region = s.Region
	if s.Region == "" {
		pl.p.Region = pl.missing("region", "the AWS region to run in (AWS_REGION or the profile's region also work when apply runs)")
	}
	pl.p.Cluster = s.Cluster
	pl.p.Endpoint = strings.TrimSuffix(s.Endpoint, "/")
	if s.Cluster == "" {
		pl.p.Cluster = pl.missing("cluster", "the ECS cluster to run the service in (lab creates it when missing)")
	}
	pl.subnets = s.Subnets
	if len(s.Subnets) == 0 {
		pl.subnets = []string{pl.missing("subnets", "VPC subnet IDs for the tasks and the ALB: at least two, in different availability zones")}
	}
	pl.securityGroups = s.SecurityGroups
	if len(s.SecurityGroups) == 0 {
		pl.securityGroups = []string{pl.missing("security_groups", fmt.Sprintf("security group IDs for the tasks and the ALB: they must let the ALB reach port %d and clients reach port %d", pl.port, ListenerPort))}
	}
	switch {
	case s.Image != "":
		pl.image = s.Image
	case sc.Workload.Builtin:
		pl.image = pl.missing("image", "the built-in workload's image in a registry ECS can pull from: push it with `lab ecs push --repository URI` and give that URI")
	default:
		pl.image = sc.Workload.Image
		pl.warn("image %s is the scenario's local image; ECS pulls it from a registry, so push it (e.g. to ECR) and set image to the pushed URI", sc.Workload.Image)
	}
	pl.executionRole = s.ExecutionRoleARN
	if s.ExecutionRoleARN == "" {
		pl.executionRole = pl.missing("execution_role_arn", "the task execution role ECS uses to pull the image and write logs (a role with the AmazonECSTaskExecutionRolePolicy)")
	}
	pl.serviceID = "service/" + pl.p.Cluster + "/" + pl.p.Service
}

func (pl *planner) tagMap(role string) map[string]string {
	return map[string]string{TagScenario: pl.sc.Name, TagRole: role, TagManaged: "lab"}
}

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
		Note: "the containers' awslogs destination; an existing group (ResourceAlreadyExistsException) is kept",
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

// balancer plans the ALB, or the look-ups of the given target group.
func (pl *planner) balancer() {
	if arn := pl.set.TargetGroupARN; arn != "" {
		pl.givenTargetGroup(arn)
		return
	}
	name := ELBName(pl.sc.Name)
	vpcStep := pl.add(Step{Service: ServiceEC2, Operation: "DescribeSubnets", Entry: -1, ReadOnly: true,
		Note:  "the VPC of the subnets, for the target group",
		Input: &ec2.DescribeSubnetsInput{SubnetIds: pl.subnets}})
	lbARN := pl.loadBalancer(name)
	pl.targetGroupOf(name, Ref{Step: vpcStep, Field: "VpcId"}.String())
	pl.listener(lbARN)
}

// givenTargetGroup plans the look-ups of a target group the settings
// name: its load balancer, for the endpoint and the scaling metrics.
func (pl *planner) givenTargetGroup(arn string) {
	pl.targetGroup = arn
	pl.tgDimension = targetGroupDimension(arn)
	n := pl.add(Step{Service: ServiceELB, Operation: "DescribeTargetGroups", Entry: -1, ReadOnly: true,
		Note:  "the given target group: its load balancer (for the endpoint and the scaling metrics)",
		Input: &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}})
	lbARN := Ref{Step: n, Field: "LoadBalancerArn"}.String()
	pl.lbDimension = Ref{Step: n, Field: "LoadBalancer dimension"}.String()
	pl.add(Step{Service: ServiceELB, Operation: "DescribeLoadBalancers", Entry: -1, ReadOnly: true,
		Note:  "the endpoint the load goes to: the load balancer's DNSName",
		Input: &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lbARN}}})
}

// loadBalancer plans the ALB lab creates and its idle timeout, and
// returns the reference to its ARN.
func (pl *planner) loadBalancer(name string) string {
	lbStep := pl.add(Step{Service: ServiceELB, Operation: "CreateLoadBalancer", Entry: -1,
		Note: "no target_group_arn given: lab creates an internet-facing ALB; its DNSName is the endpoint the load goes to",
		Input: &elb.CreateLoadBalancerInput{
			Name:           aws.String(name),
			Type:           elbtypes.LoadBalancerTypeEnumApplication,
			Scheme:         elbtypes.LoadBalancerSchemeEnumInternetFacing,
			IpAddressType:  elbtypes.IpAddressTypeIpv4,
			Subnets:        pl.subnets,
			SecurityGroups: pl.securityGroups,
			Tags:           pl.elbTags("load-balancer"),
		}})
	lbARN := Ref{Step: lbStep, Field: "LoadBalancerArn"}.String()
	pl.lbDimension = Ref{Step: lbStep, Field: "LoadBalancer dimension"}.String()

	idle := pl.clampDuration("balancer.target_timeout (ALB idle timeout)", pl.sc.Balancer.TargetTimeout, minIdleTimeout, maxIdleTimeout)
	pl.add(Step{Service: ServiceELB, Operation: "ModifyLoadBalancerAttributes", Entry: -1,
		Note: "balancer.target_timeout: the ALB answers 504 after it",
		Input: &elb.ModifyLoadBalancerAttributesInput{
			LoadBalancerArn: aws.String(lbARN),
			Attributes: []elbtypes.LoadBalancerAttribute{
				{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String(seconds(idle))},
			},
		}})
	return lbARN
}

// targetGroupOf plans the target group lab creates in the VPC vpcID (a
// reference) with the scenario's health check, and its attributes.
func (pl *planner) targetGroupOf(name, vpcID string) {
	input := &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		TargetType: elbtypes.TargetTypeEnumIp,
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(pl.port),
		VpcId:      aws.String(vpcID),
		Matcher:    &elbtypes.Matcher{HttpCode: aws.String("200")},
		Tags:       pl.elbTags("target-group"),
	}
	pl.healthCheck(input)
	tgStep := pl.add(Step{Service: ServiceELB, Operation: "CreateTargetGroup", Entry: -1,
		Note:  "IP targets (awsvpc); the health check is the scenario's, within ALB's limits",
		Input: input})
	pl.targetGroup = Ref{Step: tgStep, Field: "TargetGroupArn"}.String()
	pl.tgDimension = Ref{Step: tgStep, Field: "TargetGroup dimension"}.String()

	dereg := pl.clampDuration("balancer.deregistration_delay", pl.sc.Balancer.DeregistrationDelay, 0, maxDeregistration)
	algorithm := "round_robin"
	if pl.sc.Balancer.Algorithm == scenarios.LeastOutstandingRequests {
		algorithm = "least_outstanding_requests"
	}
	pl.add(Step{Service: ServiceELB, Operation: "ModifyTargetGroupAttributes", Entry: -1,
		Note: "balancer.deregistration_delay and balancer.algorithm",
		Input: &elb.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(pl.targetGroup),
			Attributes: []elbtypes.TargetGroupAttribute{
				{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(seconds(dereg))},
				{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String(algorithm)},
			},
		}})
}

// healthCheck sets the target group's health check to the scenario's,
// within ALB's limits (with a warning for each value it changes).
func (pl *planner) healthCheck(tg *elb.CreateTargetGroupInput) {
	hc := pl.sc.Service.HealthCheck
	interval := pl.clampDuration("service.health_check.interval", hc.Interval, minHealthInterval, maxHealthInterval)
	timeout := pl.clampDuration("service.health_check.timeout", hc.Timeout, minHealthTimeout, maxHealthTimeout)
	if timeout >= interval {
		t := max(interval-time.Second, minHealthTimeout)
		pl.warn("service.health_check.timeout %s must be shorter than the interval %s on ALB: the target group uses %s", timeout, interval, t)
		timeout = t
	}
	healthy := pl.clampInt("service.health_check.healthy_threshold", hc.HealthyThreshold, minHealthThreshold, maxHealthThreshold)
	unhealthy := pl.clampInt("service.health_check.unhealthy_threshold", hc.UnhealthyThreshold, minHealthThreshold, maxHealthThreshold)
	path := hc.Path
	if path == "" {
		path = scenarios.DefaultHealthPath
	}
	tg.HealthCheckProtocol = elbtypes.ProtocolEnumHttp
	tg.HealthCheckPath = aws.String(path)
	tg.HealthCheckIntervalSeconds = aws.Int32(int32(interval / time.Second))
	tg.HealthCheckTimeoutSeconds = aws.Int32(int32(timeout / time.Second))
	tg.HealthyThresholdCount = aws.Int32(int32(healthy))
	tg.UnhealthyThresholdCount = aws.Int32(int32(unhealthy))
}

// listener plans the ALB's HTTP listener, forwarding to the target group.
func (pl *planner) listener(lbARN string) {
	pl.add(Step{Service: ServiceELB, Operation: "CreateListener", Entry: -1,
		Note: fmt.Sprintf("HTTP on port %d, forwarding to the target group", ListenerPort),
		Input: &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(lbARN),
			Protocol:        elbtypes.ProtocolEnumHttp,
			Port:            aws.Int32(ListenerPort),
			DefaultActions: []elbtypes.Action{{
				Type:           elbtypes.ActionTypeEnumForward,
				TargetGroupArn: aws.String(pl.targetGroup),
			}},
			Tags: pl.elbTags("listener"),
		}})
}

func (pl *planner) clampDuration(field string, d, lo, hi time.Duration) time.Duration {
	c := min(max(d, lo), hi)
	if r := c.Truncate(time.Second); r != c {
		c = r + time.Second // ALB takes whole seconds: round up
	}
	if c != d {
		pl.warn("%s %s is outside what AWS allows (%s to %s, whole seconds): the plan uses %s", field, d, lo, hi, c)
	}
	return c
}

func (pl *planner) clampInt(field string, v, lo, hi int) int {
	c := min(max(v, lo), hi)
	if c != v {
		pl.warn("%s %d is outside what ALB allows (%d to %d): the plan uses %d", field, v, lo, hi, c)
	}
	return c
}

// entry plans one matrix entry: its task definition, then the service
// created (first entry) or deployed to the new revision (later ones).
func (pl *planner) entry(e scenarios.Entry, first bool) {
	td := pl.taskDefinition(e)
	tdStep := pl.add(Step{Service: ServiceECS, Operation: "RegisterTaskDefinition", Entry: e.Index,
		Note:  fmt.Sprintf("entry %d (%s): a new revision of %s", e.Index+1, e.Label, pl.p.Family),
		Input: td})
	tdARN := Ref{Step: tdStep, Field: "TaskDefinitionArn"}.String()
	wait := "then waits until the service is stable (DescribeServices, as the services-stable waiter: one deployment, running == desired) before the load starts"
	if first {
		pl.add(Step{Service: ServiceECS, Operation: "CreateService", Entry: e.Index,
			Note:  fmt.Sprintf("entry %d (%s); %s", e.Index+1, e.Label, wait),
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
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group":         pl.p.LogGroup,
					"awslogs-region":        pl.p.Region,
					"awslogs-stream-prefix": "lab",
				},
			},
		}},
		Tags: pl.ecsTags("task-definition", TagEntry, e.Label),
	}
}

func (pl *planner) createService(e scenarios.Entry, tdARN string) *ecs.CreateServiceInput {
	assign := ecstypes.AssignPublicIpDisabled
	if pl.set.AssignPublicIP {
		assign = ecstypes.AssignPublicIpEnabled
	}
	return &ecs.CreateServiceInput{
		Cluster:        aws.String(pl.p.Cluster),
		ServiceName:    aws.String(pl.p.Service),
		TaskDefinition: aws.String(tdARN),
		DesiredCount:   aws.Int32(int32(e.Count)),
		LaunchType:     ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        pl.subnets,
			SecurityGroups: pl.securityGroups,
			AssignPublicIp: assign,
		}},
		LoadBalancers: []ecstypes.LoadBalancer{{
			TargetGroupArn: aws.String(pl.targetGroup),
			ContainerName:  aws.String(ContainerName),
			ContainerPort:  aws.Int32(pl.port),
		}},
		HealthCheckGracePeriodSeconds: aws.Int32(int32(pl.sc.Service.HealthCheck.GracePeriod.Round(time.Second) / time.Second)),
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			MinimumHealthyPercent: aws.Int32(100),
			MaximumPercent:        aws.Int32(200),
		},
		EnableECSManagedTags: true,
		PropagateTags:        ecstypes.PropagateTagsService,
		Tags:                 pl.ecsTags("service"),
	}
}

// autoscaling plans the scalable target and one policy per scenario policy.
func (pl *planner) autoscaling() {
	as := pl.sc.Autoscaling
	if as == nil {
		return
	}
	if as.MetricPeriod < awsMetricPeriod {
		pl.warn("autoscaling.metric_period %s is local only: ECS and ALB metrics have one datapoint a minute, so AWS scales on %gs datapoints (about %dx slower than locally)",
			as.MetricPeriod, awsMetricPeriod.Seconds(), int((awsMetricPeriod+as.MetricPeriod-1)/max(as.MetricPeriod, time.Second)))
	}
	hasTT := slices.ContainsFunc(as.Policies, func(p scenarios.Policy) bool { return p.TargetTracking != nil })
	if hasTT && (as.HighDatapoints != awsHighDatapoints || as.LowDatapoints != awsLowDatapoints) {
		pl.warn("autoscaling.high_datapoints %d / low_datapoints %d cannot be set on AWS: target tracking's alarms need %d datapoints to scale out and %d to scale in",
			as.HighDatapoints, as.LowDatapoints, awsHighDatapoints, awsLowDatapoints)
	}
	pl.add(Step{Service: ServiceAutoscaling, Operation: "RegisterScalableTarget", Entry: -1,
		Note: "the service's desired count, between autoscaling.min and max",
		Input: &aas.RegisterScalableTargetInput{
			ServiceNamespace:  aastypes.ServiceNamespaceEcs,
			ResourceId:        aws.String(pl.serviceID),
			ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
			MinCapacity:       aws.Int32(int32(as.Min)),
			MaxCapacity:       aws.Int32(int32(as.Max)),
			Tags:              pl.tagMap("scalable-target"),
		}})
	for _, p := range as.Policies {
		switch {
		case p.TargetTracking != nil:
			pl.targetTracking(p.Name, p.TargetTracking)
		case p.StepScaling != nil:
			pl.stepScaling(p.Name, p.StepScaling)
		}
	}
}

func (pl *planner) policyName(name string) string { return pl.p.Service + "-" + name }

func (pl *planner) targetTracking(name string, tt *scenarios.TargetTracking) {
	cfg := &aastypes.TargetTrackingScalingPolicyConfiguration{
		TargetValue:      aws.Float64(tt.Target),
		ScaleOutCooldown: aws.Int32(int32(tt.ScaleOutCooldown.Round(time.Second) / time.Second)),
		ScaleInCooldown:  aws.Int32(int32(tt.ScaleInCooldown.Round(time.Second) / time.Second)),
		DisableScaleIn:   aws.Bool(tt.DisableScaleIn),
	}
	note := ""
	switch tt.Metric {
	case scenarios.MetricCPU:
		cfg.PredefinedMetricSpecification = &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization}
	case scenarios.MetricMemory:
		cfg.PredefinedMetricSpecification = &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageMemoryUtilization}
	case scenarios.MetricRequestsPerTarget:
		cfg.PredefinedMetricSpecification = &aastypes.PredefinedMetricSpecification{
			PredefinedMetricType: aastypes.MetricTypeALBRequestCountPerTarget,
			ResourceLabel:        aws.String(pl.lbDimension + "/" + pl.tgDimension),
		}
	case scenarios.MetricResponseTime:
		cfg.TargetValue = aws.Float64(tt.Target / 1000) // the scenario keeps ms, the metric is in seconds
		cfg.CustomizedMetricSpecification = pl.responseTimeMetric()
		note = fmt.Sprintf("; target %gms = %gs", tt.Target, tt.Target/1000)
	default:
		pl.warn("policy %s: metric %q has no AWS equivalent; the policy is left out", name, tt.Metric)
		return
	}
	pl.add(Step{Service: ServiceAutoscaling, Operation: "PutScalingPolicy", Entry: -1,
		Note: fmt.Sprintf("policy %s: target tracking on %s%s", name, tt.Metric, note),
		Input: &aas.PutScalingPolicyInput{
			PolicyName:                               aws.String(pl.policyName(name)),
			PolicyType:                               aastypes.PolicyTypeTargetTrackingScaling,
			ServiceNamespace:                         aastypes.ServiceNamespaceEcs,
			ResourceId:                               aws.String(pl.serviceID),
			ScalableDimension:                        aastypes.ScalableDimensionECSServiceDesiredCount,
			TargetTrackingScalingPolicyConfiguration: cfg,
		}})
}

func (pl *planner) responseTimeMetric() *aastypes.CustomizedMetricSpecification {
	return &aastypes.CustomizedMetricSpecification{
		Namespace:  aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("TargetResponseTime"),
		Dimensions: []aastypes.MetricDimension{
			{Name: aws.String("LoadBalancer"), Value: aws.String(pl.lbDimension)},
			{Name: aws.String("TargetGroup"), Value: aws.String(pl.tgDimension)},
		},
		Statistic: aastypes.MetricStatisticAverage,
		Unit:      aws.String("Seconds"),
	}
}

var adjustmentTypes = map[string]aastypes.AdjustmentType{
	scenarios.ChangeInCapacity:        aastypes.AdjustmentTypeChangeInCapacity,
	scenarios.ExactCapacity:           aastypes.AdjustmentTypeExactCapacity,
	scenarios.PercentChangeInCapacity: aastypes.AdjustmentTypePercentChangeInCapacity,
}

var comparisons = map[string]cwtypes.ComparisonOperator{
	">":  cwtypes.ComparisonOperatorGreaterThanThreshold,
	">=": cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	"<":  cwtypes.ComparisonOperatorLessThanThreshold,
	"<=": cwtypes.ComparisonOperatorLessThanOrEqualToThreshold,
}

func (pl *planner) stepScaling(name string, ss *scenarios.StepScaling) {
	unit := 1.0 // scenario unit per metric unit
	if ss.Metric == scenarios.MetricResponseTime {
		unit = 1000 // ms in the scenario, seconds in CloudWatch
	}
	bound := func(b *float64) *float64 {
		if b == nil {
			return nil
		}
		return aws.Float64(*b / unit)
	}
	var steps []aastypes.StepAdjustment
	for _, s := range ss.Steps {
		steps = append(steps, aastypes.StepAdjustment{
			MetricIntervalLowerBound: bound(s.Lower),
			MetricIntervalUpperBound: bound(s.Upper),
			ScalingAdjustment:        aws.Int32(int32(s.Adjustment)),
		})
	}
	adj, ok := adjustmentTypes[ss.AdjustmentType]
	if !ok {
		adj = aastypes.AdjustmentTypeChangeInCapacity
	}
	cfg := &aastypes.StepScalingPolicyConfiguration{
		AdjustmentType:        adj,
		Cooldown:              aws.Int32(int32(ss.Cooldown.Round(time.Second) / time.Second)),
		MetricAggregationType: aastypes.MetricAggregationTypeAverage,
		StepAdjustments:       steps,
	}
	if adj == aastypes.AdjustmentTypePercentChangeInCapacity && ss.MinAdjustmentMagnitude > 0 {
		cfg.MinAdjustmentMagnitude = aws.Int32(int32(ss.MinAdjustmentMagnitude))
	}
	alarm := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(pl.policyName(name)),
		AlarmDescription:   aws.String(fmt.Sprintf("lab %s: %s %s %g", pl.sc.Name, ss.Metric, ss.Comparison, ss.Threshold)),
		Period:             aws.Int32(int32(awsMetricPeriod / time.Second)),
		EvaluationPeriods:  aws.Int32(int32(max(ss.Datapoints, 1))),
		DatapointsToAlarm:  aws.Int32(int32(max(ss.Datapoints, 1))),
		Threshold:          aws.Float64(ss.Threshold / unit),
		ComparisonOperator: comparisons[ss.Comparison],
		Statistic:          cwtypes.StatisticAverage,
		Tags:               pl.cwTags("alarm"),
	}
	switch ss.Metric {
	case scenarios.MetricCPU, scenarios.MetricMemory:
		alarm.Namespace = aws.String("AWS/ECS")
		alarm.MetricName = aws.String(map[string]string{scenarios.MetricCPU: "CPUUtilization", scenarios.MetricMemory: "MemoryUtilization"}[ss.Metric])
		alarm.Dimensions = []cwtypes.Dimension{
			{Name: aws.String("ClusterName"), Value: aws.String(pl.p.Cluster)},
			{Name: aws.String("ServiceName"), Value: aws.String(pl.p.Service)},
		}
	case scenarios.MetricRequestsPerTarget:
		alarm.Namespace = aws.String("AWS/ApplicationELB")
		alarm.MetricName = aws.String("RequestCountPerTarget")
		alarm.Statistic = cwtypes.StatisticSum // requests per target per minute
		alarm.Dimensions = []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String(pl.tgDimension)}}
	case scenarios.MetricResponseTime:
		alarm.Namespace = aws.String("AWS/ApplicationELB")
		alarm.MetricName = aws.String("TargetResponseTime")
		alarm.Unit = cwtypes.StandardUnitSeconds
		alarm.Dimensions = []cwtypes.Dimension{
			{Name: aws.String("LoadBalancer"), Value: aws.String(pl.lbDimension)},
			{Name: aws.String("TargetGroup"), Value: aws.String(pl.tgDimension)},
		}
	default:
		pl.warn("policy %s: metric %q has no AWS equivalent; the policy is left out", name, ss.Metric)
		return
	}
	n := pl.add(Step{Service: ServiceAutoscaling, Operation: "PutScalingPolicy", Entry: -1,
		Note: fmt.Sprintf("policy %s: step scaling on %s, triggered by the alarm of the next step", name, ss.Metric),
		Input: &aas.PutScalingPolicyInput{
			PolicyName:                     aws.String(pl.policyName(name)),
			PolicyType:                     aastypes.PolicyTypeStepScaling,
			ServiceNamespace:               aastypes.ServiceNamespaceEcs,
			ResourceId:                     aws.String(pl.serviceID),
			ScalableDimension:              aastypes.ScalableDimensionECSServiceDesiredCount,
			StepScalingPolicyConfiguration: cfg,
		}})
	alarm.AlarmActions = []string{Ref{Step: n, Field: "PolicyARN"}.String()}
	pl.add(Step{Service: ServiceCloudWatch, Operation: "PutMetricAlarm", Entry: -1,
		Note:  fmt.Sprintf("policy %s: its alarm, %s %s %g on %d datapoint(s) of 60s", name, ss.Metric, ss.Comparison, ss.Threshold, max(ss.Datapoints, 1)),
		Input: alarm})
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
