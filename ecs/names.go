package ecs

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Tag keys lab puts on every resource it creates, so that teardown finds
// them again (the local target uses the same keys on containers).
const (
	TagScenario = "lab.scenario"
	TagRole     = "lab.role"
	TagEntry    = "lab.entry"
	TagManaged  = "lab.managed-by"
)

// ContainerName is the name of the one essential container of every task
// definition lab registers.
const ContainerName = "app"

// ListenerPort is the port of the listener lab creates on its ALB.
const ListenerPort = 80

// Family is the task definition family of a scenario, "lab-<scenario>",
// with characters ECS does not allow in a family ('.') replaced by '-'.
func Family(scenario string) string { return "lab-" + sanitize(scenario, "_-") }

// ServiceName is the ECS service lab creates for a scenario.
func ServiceName(scenario string) string { return Family(scenario) }

// LogGroupName is the CloudWatch Logs group of a scenario's containers.
func LogGroupName(scenario string) string { return "/lab/" + scenario }

// ELBName is the name of the ALB and of the target group lab creates for a
// scenario: letters, digits and hyphens, at most 32 characters (a longer
// name is cut and ends in a short hash of the whole, so names stay
// distinct).
func ELBName(scenario string) string {
	const maxLen = 32
	n := strings.Trim("lab-"+sanitize(scenario, "-"), "-")
	if len(n) <= maxLen {
		return n
	}
	h := fnv.New32a()
	h.Write([]byte(scenario))
	suffix := fmt.Sprintf("-%06x", h.Sum32()&0xffffff)
	return strings.TrimRight(n[:maxLen-len(suffix)], "-") + suffix
}

// sanitize keeps ASCII letters, digits and the characters in keep, and
// replaces anything else with '-'.
func sanitize(s, keep string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0) {
			b[i] = '-'
		}
	}
	return string(b)
}
