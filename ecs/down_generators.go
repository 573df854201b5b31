package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stopGenerators stops the generator tasks (load.from: ecs) still
// running in the cluster whose tags say lab started them for this
// scenario and owner: a run killed before its end leaves them.
func (d *Teardown) stopGenerators(ctx context.Context, c *Clients, cluster string) error {
	family := d.Names.GeneratorFamily()
	list, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(GeneratorStartedBy)})
	if err != nil {
		if apiCode(err) == "ClusterNotFoundException" {
			return nil
		}
		return err
	}
	for batch := range slices.Chunk(list.TaskArns, 100) { // DescribeTasks takes at most 100
		resp, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch, Include: []ecstypes.TaskField{ecstypes.TaskFieldTags}})
		if err != nil {
			return err
		}
		for _, tk := range resp.Tasks {
			if !strings.Contains(aws.ToString(tk.TaskDefinitionArn), ":task-definition/"+family+":") || aws.ToString(tk.LastStatus) == "STOPPED" {
				continue
			}
			tags := tagMap(tk.Tags, func(t ecstypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
			if !d.Names.Owns(tags) {
				d.leftAlone("generator task", lastPart(aws.ToString(tk.TaskArn)), tags)
				continue
			}
			if _, err := c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: tk.TaskArn, Reason: aws.String("lab ecs down")}); err != nil {
				return err
			}
			d.did("generator task %s stopped", lastPart(aws.ToString(tk.TaskArn)))
		}
	}
	return nil
}

// removeGeneratorLogGroup deletes the generators' log group if lab
// created it for this scenario and owner: it holds their windows, which
// the run's results already hold.
func (d *Teardown) removeGeneratorLogGroup(ctx context.Context, c *Clients) error {
	name := d.Names.GeneratorLogGroup()
	exists, err := logGroupExists(ctx, c, name)
	if err != nil || !exists {
		return err
	}
	_, err = d.deleteOwnedLogGroup(ctx, c, name)
	return err
}
