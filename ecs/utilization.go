package ecs

import (
	"context"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/ecslab/lab/lab"
)

// An entry's utilization on ECS: CloudWatch's CPUUtilization and
// MemoryUtilization of the service (dimensions ClusterName and
// ServiceName), one datapoint a minute, each the average of its minute.
// Only the minutes the entry's load overlaps count, so that one entry's
// figure never comes from another's load: a 60 s entry has one or two.

var _ lab.UtilizationSource = (*Target)(nil)

// EntryUtilization reads the service's utilization from CloudWatch for
// the minutes from..to overlaps. A metric without a datapoint there has
// NoData (CloudWatch publishes a minute's datapoint a minute or two after
// it: the last minute of an entry may not be there yet).
func (t *Target) EntryUtilization(ctx context.Context, from, to time.Time) (cpu, mem lab.Utilization, err error) {
	start := from.Truncate(time.Minute)
	t.mu.Lock()
	t.used.metrics += 2
	t.mu.Unlock()
	resp, err := t.c.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime:         aws.Time(start),
		EndTime:           aws.Time(to),
		MetricDataQueries: []cwtypes.MetricDataQuery{t.metricQuery("cpu", "CPUUtilization"), t.metricQuery("mem", "MemoryUtilization")},
		ScanBy:            cwtypes.ScanByTimestampAscending,
	})
	if err != nil {
		return lab.Utilization{}, lab.Utilization{}, Explain(err)
	}
	cpu, mem = lab.Utilization{NoData: true}, lab.Utilization{NoData: true}
	for _, r := range resp.MetricDataResults {
		u := windowUtilization(r.Timestamps, r.Values, start, to)
		switch aws.ToString(r.Id) {
		case "cpu":
			cpu = u
		case "mem":
			mem = u
		}
	}
	return cpu, mem, nil
}

// windowUtilization summarises the datapoints whose minute starts in
// [start, to): their average, their peak and how many there were.
func windowUtilization(times []time.Time, values []float64, start, to time.Time) lab.Utilization {
	u := lab.Utilization{Source: "cloudwatch"}
	sum := 0.0
	for i, v := range values {
		if i >= len(times) || times[i].Before(start) || !times[i].Before(to) {
			continue
		}
		u.Datapoints++
		sum += v
		u.Max = math.Max(u.Max, v)
	}
	if u.Datapoints == 0 {
		return lab.Utilization{Source: "cloudwatch", NoData: true}
	}
	u.Avg = math.Round(10*sum/float64(u.Datapoints)) / 10
	u.Max = math.Round(10*u.Max) / 10
	return u
}

// metricQuery asks for one of the service's AWS/ECS metrics, the average
// of each minute.
func (t *Target) metricQuery(id, name string) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ECS"), MetricName: aws.String(name), Dimensions: []cwtypes.Dimension{
			{Name: aws.String("ClusterName"), Value: aws.String(t.cluster)},
			{Name: aws.String("ServiceName"), Value: aws.String(t.service)},
		}},
		Period: aws.Int32(60), Stat: aws.String("Average"),
	}}
}
