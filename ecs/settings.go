package ecs

import (
	"slices"

	"github.com/ecslab/lab/scenarios"
)

// LoadSettings reads an --ecs FILE: the fields of a scenario's ecs:
// section at the top level of a YAML file (see scenarios.LoadECS).
func LoadSettings(path string) (*scenarios.ECS, error) {
	return scenarios.LoadECS(path)
}

// MergeSettings returns base with every field that over sets replacing
// base's: the --ecs FILE (over) wins over the scenario's ecs: section
// (base), field by field. Either may be nil; the result is never nil and
// shares nothing with its arguments. internal can only be switched on by
// over: false is indistinguishable from absent.
func MergeSettings(base, over *scenarios.ECS) *scenarios.ECS {
	m := &scenarios.ECS{}
	for _, s := range []*scenarios.ECS{base, over} {
		if s == nil {
			continue
		}
		m.Region = or(s.Region, m.Region)
		m.Cluster = or(s.Cluster, m.Cluster)
		m.Subnets = slices.Clone(orList(s.Subnets, m.Subnets))
		m.ALBSubnets = slices.Clone(orList(s.ALBSubnets, m.ALBSubnets))
		m.TaskSubnets = slices.Clone(orList(s.TaskSubnets, m.TaskSubnets))
		m.SecurityGroups = slices.Clone(orList(s.SecurityGroups, m.SecurityGroups))
		m.ALBIngressCIDRs = slices.Clone(orList(s.ALBIngressCIDRs, m.ALBIngressCIDRs))
		if s.AssignPublicIP != nil {
			b := *s.AssignPublicIP
			m.AssignPublicIP = &b
		}
		m.Internal = m.Internal || s.Internal
		m.RuntimePlatform = or(s.RuntimePlatform, m.RuntimePlatform)
		m.Image = or(s.Image, m.Image)
		m.GeneratorImage = or(s.GeneratorImage, m.GeneratorImage)
		m.ExecutionRoleARN = or(s.ExecutionRoleARN, m.ExecutionRoleARN)
		m.TargetGroupARN = or(s.TargetGroupARN, m.TargetGroupARN)
		m.Endpoint = or(s.Endpoint, m.Endpoint)
		m.NameSuffix = or(s.NameSuffix, m.NameSuffix)
	}
	return m
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// orList is a when it has elements, else b.
func orList(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}
