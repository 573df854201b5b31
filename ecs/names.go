package ecs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Tag keys lab puts on every resource it creates. A resource is lab's
// for a scenario and an owner only when all of TagManaged, TagScenario
// and TagOwner say so (Names.Owns): apply takes over, and down deletes,
// nothing else.
const (
	TagScenario = "lab.scenario"
	TagOwner    = "lab.owner"
	TagRole     = "lab.role"
	TagEntry    = "lab.entry"
	TagManaged  = "lab.managed-by"
)

// ContainerName is the name of the one essential container of every task
// definition lab registers.
const ContainerName = "app"

// ListenerPort is the port of the listener lab creates on its ALB.
const ListenerPort = 80

// maxELBName is the longest name of an ALB or target group.
const maxELBName = 32

// Names are the AWS names and tags of one scenario's resources for one
// owner. The owner suffix ends every name, so that two people running
// the same scenario in one account and cluster never share a resource;
// scenario names that differ only in characters AWS names cannot hold
// ('.', '_', upper case) get a short hash of the exact name, so that they
// never share one either.
type Names struct {
	Scenario string // the scenario's name, exactly
	Owner    string // the owner suffix (OwnerSuffix or name_suffix)
	key      string // the scenario in ELB's alphabet: a-z, 0-9, '-'
}

// NewNames are the names of scenario's resources for owner.
func NewNames(scenario, owner string) Names {
	key := strings.Trim(strings.ToLower(sanitize(scenario, "-")), "-")
	if key != scenario {
		key += "-" + shortHash(scenario, 4)
	}
	return Names{Scenario: scenario, Owner: owner, key: key}
}

// Family is the task definition family, "lab-<scenario>-<owner>".
func (n Names) Family() string { return "lab-" + n.key + "-" + n.Owner }

// Service is the ECS service, named as the family.
func (n Names) Service() string { return n.Family() }

// LogGroup is the CloudWatch Logs group of the containers,
// "/lab/<scenario>/<owner>" (log group names hold the scenario's name as
// it is).
func (n Names) LogGroup() string { return "/lab/" + n.Scenario + "/" + n.Owner }

// ELB is the name of the ALB and of the target group: letters, digits and
// hyphens, at most 32 characters. A longer name has its scenario part cut
// and a hash of the whole added, so names stay distinct.
func (n Names) ELB() string {
	suffix := "-" + n.Owner
	name := "lab-" + n.key + suffix
	if len(name) <= maxELBName {
		return name
	}
	h := "-" + shortHash(n.Scenario, 6)
	head := strings.TrimRight(("lab-" + n.key)[:max(maxELBName-len(h)-len(suffix), 4)], "-")
	return head + h + suffix
}

// GeneratorFamily is the task definition family of the load generators
// (load.from: ecs); it starts with Family, whose revisions `lab ecs down`
// lists by prefix.
func (n Names) GeneratorFamily() string { return n.Family() + "-generator" }

// GeneratorLogGroup is where the generator tasks write their windows.
func (n Names) GeneratorLogGroup() string { return n.LogGroup() + "/generators" }

// SecurityGroup is the name of the security group lab creates for role
// ("alb" or "tasks").
func (n Names) SecurityGroup(role string) string { return n.Family() + "-" + role }

// Policy is the name of a scaling policy (and of a step scaling policy's
// alarm).
func (n Names) Policy(name string) string { return n.Service() + "-" + name }

// Tags are the tags of a resource lab creates in role.
func (n Names) Tags(role string) map[string]string {
	return map[string]string{TagManaged: "lab", TagScenario: n.Scenario, TagOwner: n.Owner, TagRole: role}
}

// Owns says whether tags mark a resource lab created for this scenario
// and owner.
func (n Names) Owns(tags map[string]string) bool {
	return tags[TagManaged] == "lab" && tags[TagScenario] == n.Scenario && tags[TagOwner] == n.Owner
}

// Whose says, for a resource that Owns refuses, whose its tags say it is.
func (n Names) Whose(tags map[string]string) string {
	if tags[TagManaged] != "lab" {
		return "not tagged as lab's"
	}
	return fmt.Sprintf("tagged %s=%s, %s=%s, not %s, %s", TagScenario, tags[TagScenario], TagOwner, tags[TagOwner], n.Scenario, n.Owner)
}

// ownerRE is what a name suffix may be: it ends every name, and an ALB's
// name has at most 32 characters.
var ownerRE = regexp.MustCompile(`^[a-z0-9]{1,12}$`)

// ValidOwner says whether s can be a name suffix, and if not, why.
func ValidOwner(s string) error {
	if !ownerRE.MatchString(s) {
		return fmt.Errorf("name_suffix %q: want 1 to 12 lower-case letters and digits (it ends every AWS name lab makes)", s)
	}
	return nil
}

// OwnerSuffix is the default name suffix of the identity arn (STS
// GetCallerIdentity's Arn): the first 6 hex digits of its SHA-256. A role
// session's ARN holds the session's name, so each person assuming a
// shared role (AWS SSO names sessions after them) gets their own suffix;
// where session names change every time (CI), set name_suffix.
func OwnerSuffix(arn string) string { return shortHash(arn, 6) }

func shortHash(s string, digits int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:digits]
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

// tagMap turns a service's tag list into a map, with key and value read
// by kv.
func tagMap[T any](tags []T, kv func(T) (string, string)) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		m[k] = v
	}
	return m
}
