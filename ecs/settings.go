package ecs

import (
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
// shares no slices with its arguments. assign_public_ip can only be
// switched on by over: false is indistinguishable from absent.
func MergeSettings(base, over *scenarios.ECS) *scenarios.ECS {
	m := &scenarios.ECS{}
	for _, s := range []*scenarios.ECS{base, over} {
		if s == nil {
			continue
		}
		m.Region = or(s.Region, m.Region)
		m.Cluster = or(s.Cluster, m.Cluster)
		if len(s.Subnets) > 0 {
			m.Subnets = append([]string(nil), s.Subnets...)
		}
		if len(s.SecurityGroups) > 0 {
			m.SecurityGroups = append([]string(nil), s.SecurityGroups...)
		}
		m.AssignPublicIP = m.AssignPublicIP || s.AssignPublicIP
		m.Image = or(s.Image, m.Image)
		m.ExecutionRoleARN = or(s.ExecutionRoleARN, m.ExecutionRoleARN)
		m.TargetGroupARN = or(s.TargetGroupARN, m.TargetGroupARN)
		m.Endpoint = or(s.Endpoint, m.Endpoint)
	}
	return m
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
