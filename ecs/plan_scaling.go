package ecs

import (
	"fmt"
	"slices"
	"time"

	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/ecslab/lab/scenarios"
)

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
		Note:  fmt.Sprintf("policy %s: its alarm, %s %s %g on %d datapoint(s) of 60s; an existing alarm of its name is updated only if its tags say it is this scenario's and owner's", name, ss.Metric, ss.Comparison, ss.Threshold, max(ss.Datapoints, 1)),
		Also:  []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"},
		Input: alarm})
}
