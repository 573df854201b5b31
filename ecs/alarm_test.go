package ecs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/ecslab/lab/scenarios"
)

// stepAlarmScenario has one step scaling policy on CPU: its alarm is
// lab's only CloudWatch alarm.
const stepAlarmScenario = `
name: steps
workload: {builtin: true}
service: {cpu: 256, memory: 512}
load: {path: /, phases: [{duration: 10s, rate: 1}]}
autoscaling:
  min: 1
  max: 4
  policies:
    - step_scaling:
        metric: cpu
        comparison: ">"
        threshold: 70
        steps:
          - {lower: 0, adjustment: 1}
`

// cwTagsCBOR is a ListTagsForResource answer with tags.
func cwTagsCBOR(tags map[string]string) cbor.Value {
	var list cbor.List
	for k, v := range tags {
		list = append(list, cbor.Map{"Key": cbor.String(k), "Value": cbor.String(v)})
	}
	return cbor.Map{"Tags": list}
}

// Apply puts the step scaling alarm, as it creates the other resources,
// only where no alarm of its name exists or the existing one's tags say
// it is this scenario's and owner's: PutMetricAlarm would overwrite
// anyone's alarm of the name.
func TestApplyTakesOverOnlyLabsAlarm(t *testing.T) {
	owner := NewNames("steps", "alice")
	for _, tc := range []struct {
		name   string
		exists bool
		tags   map[string]string
		err    string // "" when apply puts the alarm
	}{
		{"none exists", false, nil, ""},
		{"this scenario's and owner's", true, owner.Tags("alarm"), ""},
		{"untagged", true, map[string]string{"team": "ops"}, "not tagged as lab's"},
		{"another owner's", true, NewNames("steps", "bob").Tags("alarm"), "tagged lab.scenario=steps, lab.owner=bob, not steps, alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LAB_STATE_DIR", t.TempDir())
			plan := mustPlan(t, parse(t, stepAlarmScenario), &scenarios.ECS{
				Region: "us-east-1", Cluster: "lab", Subnets: []string{"subnet-1", "subnet-2"}, SecurityGroups: []string{"sg-1"},
				Image: "img:1", ExecutionRoleARN: "arn:aws:iam::1:role/exec", NameSuffix: "alice",
			})
			alarms := stepsOf[*cloudwatch.PutMetricAlarmInput](plan)
			if len(alarms) != 1 {
				t.Fatalf("%d alarms planned, want 1", len(alarms))
			}
			name := aws.ToString(alarms[0].AlarmName)
			arn := "arn:aws:cloudwatch:us-east-1:1:alarm:" + name
			f, c := newFakeAWS(t, func(op string, n int) reply {
				switch op {
				case "DescribeAlarms":
					if !tc.exists {
						return reply{cbor: cbor.Map{"MetricAlarms": cbor.List{}}}
					}
					return reply{cbor: cbor.Map{"MetricAlarms": cbor.List{cbor.Map{"AlarmName": cbor.String(name), "AlarmArn": cbor.String(arn)}}}}
				case "ListTagsForResource":
					return reply{cbor: cwTagsCBOR(tc.tags)}
				case "PutScalingPolicy":
					return reply{body: `{"PolicyARN":"arn:aws:autoscaling:us-east-1:1:scalingPolicy:x"}`}
				}
				return happy(op)
			})
			st, ap := newApplier(t, c, plan)
			err := ap.ApplyEntry(context.Background(), 0)

			described := f.bodies("DescribeAlarms")
			if len(described) != 1 {
				t.Errorf("DescribeAlarms sent %d times, want once, before the alarm is put", len(described))
			}
			if tags := f.bodies("ListTagsForResource"); tc.exists != (len(tags) == 1) || tc.exists && !strings.Contains(tags[0], arn) {
				t.Errorf("ListTagsForResource sent %q; want it of %s when the alarm exists", tags, arn)
			}
			puts := f.bodies("PutMetricAlarm")
			if tc.err == "" {
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
				if len(puts) != 1 || len(st.Alarms) != 1 || st.Alarms[0] != name {
					t.Errorf("PutMetricAlarm sent %d times, state's alarms %v; want once, %s", len(puts), st.Alarms, name)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "alarm "+name+" exists and is "+tc.err) || !strings.Contains(err.Error(), "name_suffix") {
				t.Errorf("apply: %v; want a refusal saying the alarm %s is %s, and what to do", err, name, tc.err)
			}
			if len(puts) != 0 || len(st.Alarms) != 0 {
				t.Errorf("refused, yet PutMetricAlarm sent %d times (state's alarms %v)", len(puts), st.Alarms)
			}
		})
	}
}

// The IAM policy allows the look-ups that guard the alarm.
func TestAlarmLookupsInPolicy(t *testing.T) {
	plan := mustPlan(t, parse(t, stepAlarmScenario), fullSettings)
	checkPolicyCovers(t, plan, []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:PutMetricAlarm"})
	for _, s := range plan.Steps {
		if s.Operation == "PutMetricAlarm" && !(strings.Contains(strings.Join(s.Also, " "), "cloudwatch:DescribeAlarms") && strings.Contains(strings.Join(s.Also, " "), "cloudwatch:ListTagsForResource")) {
			t.Errorf("the PutMetricAlarm step names %v among its calls, want DescribeAlarms and ListTagsForResource", s.Also)
		}
	}
}
