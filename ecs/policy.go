package ecs

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// PolicyDocument is an IAM policy, as `lab ecs iam-policy` prints it.
type PolicyDocument struct {
	Version   string
	Statement []Statement
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	Sid       string
	Effect    string
	Action    []string
	Resource  any
	Condition map[string]map[string]any `json:",omitempty"`
}

// IAMPolicy is the least-privilege policy a run of the plan needs: every
// call it makes (its steps and the look-ups they make, the polls, the
// removal, the identity look-up), the tagging that its creates do, passing
// the execution role to ECS, and the service-linked roles ECS, ELB and
// Application Auto Scaling create on first use. Actions are exactly the
// calls; resources are "*" where the calls do not take narrower ones
// (Describe and List calls) or where the names are only known at run
// time, save iam:PassRole, which names the execution role (and a task
// definition's task role).
func (p *Plan) IAMPolicy() PolicyDocument {
	doc := PolicyDocument{Version: "2012-10-17"}
	doc.Statement = append(doc.Statement, Statement{
		Sid: "LabRun", Effect: "Allow", Action: p.Actions(), Resource: "*",
	})
	doc.Statement = append(doc.Statement, tagOnCreate(p)...)
	doc.Statement = append(doc.Statement,
		Statement{
			Sid: "PassTheExecutionRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: p.execRole,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
		},
	)
	if p.taskRole != "" {
		doc.Statement = append(doc.Statement, Statement{
			Sid: "PassTheTaskRole", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: p.taskRole,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
		})
	}
	doc.Statement = append(doc.Statement,
		Statement{
			Sid: "ServiceLinkedRolesOnFirstUse", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": []string{
				"ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com",
			}}},
		},
	)
	return doc
}

// Actions are the IAM actions of every call a run of the plan makes,
// sorted: IAM names an action service:Operation, as the plan does.
func (p *Plan) Actions() []string {
	set := map[string]bool{"sts:GetCallerIdentity": true}
	for _, s := range p.Steps {
		set[s.Service+":"+s.Operation] = true
		for _, a := range s.Also {
			set[a] = true
		}
	}
	for _, c := range slices.Concat(p.Polls, p.Teardown) {
		set[c.Service+":"+c.Operation] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// tagOnCreate are the statements that let the creates tag what they
// create (AWS authorizes tags given at creation as a tagging call of its
// own), limited to creation where the service has a condition for it.
func tagOnCreate(p *Plan) []Statement {
	creates := map[string][]string{} // service -> create operations that tag
	for _, s := range p.Steps {
		if s.Action == nil && (strings.HasPrefix(s.Operation, "Create") || s.Operation == "RegisterTaskDefinition" || s.Operation == "RunTask" ||
			s.Operation == "RegisterScalableTarget" || s.Operation == "PutMetricAlarm") {
			creates[s.Service] = addUnique(creates[s.Service], s.Operation)
		}
	}
	var out []Statement
	add := func(sid, action, condKey, service string) {
		ops := creates[service]
		if len(ops) == 0 {
			return
		}
		st := Statement{Sid: sid, Effect: "Allow", Action: []string{action}, Resource: "*"}
		if condKey != "" {
			st.Condition = map[string]map[string]any{"StringEquals": {condKey: ops}}
		}
		out = append(out, st)
	}
	add("TagECSOnCreate", "ecs:TagResource", "ecs:CreateAction", ServiceECS)
	add("TagELBOnCreate", "elasticloadbalancing:AddTags", "elasticloadbalancing:CreateAction", ServiceELB)
	add("TagEC2OnCreate", "ec2:CreateTags", "ec2:CreateAction", ServiceEC2)
	add("TagLogGroup", "logs:TagResource", "", ServiceLogs)
	add("TagScalableTarget", "application-autoscaling:TagResource", "", ServiceAutoscaling)
	add("TagAlarms", "cloudwatch:TagResource", "", ServiceCloudWatch)
	return out
}

// MarshalPolicy renders the policy as indented JSON, as IAM takes it.
func MarshalPolicy(doc PolicyDocument) ([]byte, error) {
	return json.MarshalIndent(doc, "", "  ")
}
