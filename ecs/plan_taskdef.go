package ecs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecslab/lab/scenarios"
)

// A scenario whose workload is a task definition registers that
// definition, as its file has it, for every entry: its containers, health
// checks, dependsOn, secrets, roles and log configuration stay as they
// are. lab sets what makes it lab's: its family (so that `lab ecs down`
// finds it), the entry's task size, Fargate and awsvpc, its tags beside
// the definition's, and an execution role and platform where the
// definition gives none.

// userTaskDefinition is the entry's RegisterTaskDefinition of the
// scenario's task definition.
func (pl *planner) userTaskDefinition(e scenarios.Entry) *ecs.RegisterTaskDefinitionInput {
	d := pl.sc.Workload.Definition
	in, err := d.RegisterInput()
	if err != nil {
		pl.p.Errors = append(pl.p.Errors, err.Error())
		return &ecs.RegisterTaskDefinitionInput{Family: aws.String(pl.p.Family)}
	}
	in.Family = aws.String(pl.p.Family)
	in.Cpu = aws.String(strconv.Itoa(e.Size.CPU))
	in.Memory = aws.String(strconv.Itoa(e.Size.Memory))
	in.NetworkMode = ecstypes.NetworkModeAwsvpc
	in.RequiresCompatibilities = []ecstypes.Compatibility{ecstypes.CompatibilityFargate}
	if in.ExecutionRoleArn == nil {
		in.ExecutionRoleArn = aws.String(pl.executionRole)
	}
	if in.RuntimePlatform == nil {
		in.RuntimePlatform = &ecstypes.RuntimePlatform{
			CpuArchitecture:       ecstypes.CPUArchitecture(pl.p.Platform),
			OperatingSystemFamily: ecstypes.OSFamilyLinux,
		}
	}
	in.Tags = mergeTags(in.Tags, pl.ecsTags("task-definition", TagEntry, e.Label))
	return in
}

// mergeTags is the definition's tags with lab's over them (lab finds and
// removes what it created by its tags), in key order.
func mergeTags(theirs, ours []ecstypes.Tag) []ecstypes.Tag {
	m := map[string]string{}
	for _, t := range append(slices.Clone(theirs), ours...) {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return sortedTags(m, func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

// checkDefinitionImages makes an image ECS cannot pull an error of the
// plan: ECS pulls from a registry, by a reference that names it.
func (pl *planner) checkDefinitionImages() {
	for _, c := range pl.sc.Workload.Definition.ContainerDefinitions {
		if why := unpullable(c.Image); why != "" {
			pl.p.Errors = append(pl.p.Errors, fmt.Sprintf(
				"container %s: image %s %s: ECS pulls from a registry; if it is a local image, push it with `lab ecs push --image %s --repository URI --platform %s` and put the reference it prints in the task definition",
				c.Name, c.Image, why, c.Image, platformOf(pl.p.Platform)))
		}
	}
}

// unpullable says why ECS could not pull image, or "" when the reference
// names a registry ECS can reach (ECR, ECR Public, Docker Hub written in
// full as docker.io/..., any other registry host).
func unpullable(image string) string {
	host, _, ok := strings.Cut(image, "/")
	switch {
	case strings.HasPrefix(image, "sha256:") || !strings.ContainsAny(image, ":/@") && len(image) == 64:
		return "is an image ID, which only this machine's daemon knows"
	case !ok || !strings.ContainsAny(host, ".:") && host != "localhost":
		return "names no registry (write a Docker Hub image in full, docker.io/library/NAME:TAG)"
	case host == "localhost" || strings.HasPrefix(host, "localhost:") || strings.HasPrefix(host, "127."):
		return "is in a registry on this machine"
	}
	return ""
}

// definitionLoadBalancer is the container and port the service's target
// group sends to: the scenario's load_balancer, which the loader filled in.
func (pl *planner) definitionLoadBalancer() (string, int32) {
	if lb := pl.sc.Service.LoadBalancer; lb != nil {
		return lb.Container, int32(lb.Port)
	}
	return ContainerName, pl.port
}

// definitionWarnings say, once per plan, what of the definition lab
// replaces on ECS.
func (pl *planner) definitionWarnings() {
	d := pl.sc.Workload.Definition
	if size, ok := d.Size(); ok && (len(pl.p.Entries) > 1 || pl.p.Entries[0].Size != size) {
		sizes := map[string]bool{}
		for _, e := range pl.p.Entries {
			sizes[e.Size.String()] = true
		}
		pl.warn("task definition %s asks for %s; each entry registers it at its own size (%s)", d.Family, size, strings.Join(slices.Sorted(maps.Keys(sizes)), ", "))
	}
	if pl.set.Image != "" {
		pl.warn("the settings' image %s is for lab's own workload; task definition %s names its containers' images itself", pl.set.Image, d.Family)
	}
	if len(pl.sc.Secrets) > 0 {
		pl.warn("the scenario's secrets give values to the task definition's secrets locally; on ECS the containers read them from their valueFrom")
	}
}
