package ecs

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The removal of each kind of resource but the service. Each finds its
// resource from the state or by name, reads its tags, and removes it only
// when they say it is lab's for this scenario and owner.

// removeBalancer deletes the ALB (its listeners first) and the target
// group lab created.
func (d *Teardown) removeBalancer(ctx context.Context, c *Clients) error {
	if err := d.removeLoadBalancer(ctx, c); err != nil {
		return err
	}
	return d.removeTargetGroup(ctx, c)
}

// elbTags reads the tags of one ELB resource (load balancer, listener,
// target group); nil when it is gone.
func elbTags(ctx context.Context, c *Clients, arn string) (map[string]string, error) {
	resp, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	switch apiCode(err) {
	case "LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound":
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, td := range resp.TagDescriptions {
		return tagMap(td.Tags, func(t elbtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) }), nil
	}
	return nil, nil
}

// ownedELB is the ARN of the scenario's load balancer or target group
// (what): the one the state names (known), or else the one named finds by
// the scenario's name; "" when there is none, or (logged) when its tags
// say it is not lab's for this scenario and owner.
func (d *Teardown) ownedELB(ctx context.Context, c *Clients, what, known string, named func(name string) (string, error)) (string, error) {
	arn := known
	if arn == "" {
		var err error
		if arn, err = named(d.Names.ELB()); err != nil || arn == "" {
			return "", err
		}
	}
	tags, err := elbTags(ctx, c, arn)
	if err != nil || tags == nil {
		return "", err
	}
	if !d.Names.Owns(tags) {
		d.leftAlone(what, lastPart(arn), tags)
		return "", nil
	}
	return arn, nil
}

// removeLoadBalancer deletes the ALB's listeners, then the ALB.
func (d *Teardown) removeLoadBalancer(ctx context.Context, c *Clients) error {
	st := d.State
	lbARN, err := d.ownedELB(ctx, c, "load balancer", st.LoadBalancerARN, func(name string) (string, error) {
		lb, err := loadBalancerNamed(ctx, c, name)
		if lb == nil {
			return "", err
		}
		return lb.arn, err
	})
	if err != nil || lbARN == "" {
		st.LoadBalancerARN, st.ListenerARN = "", ""
		return err
	}
	ls, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil && apiCode(err) != "LoadBalancerNotFound" {
		return err
	}
	if ls != nil {
		for _, l := range ls.Listeners {
			// A listener on lab's ALB goes with it; one lab did not tag
			// is named, so that nobody wonders where it went.
			if tags, err := elbTags(ctx, c, aws.ToString(l.ListenerArn)); err == nil && !d.Names.Owns(tags) {
				d.logf("listener port %d of lab's load balancer is %s: deleted with the load balancer", aws.ToInt32(l.Port), d.Names.Whose(tags))
			}
			if _, err := c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil && apiCode(err) != "ListenerNotFound" {
				return err
			}
			d.did("listener port %d deleted", aws.ToInt32(l.Port))
		}
	}
	st.ListenerARN = ""
	if _, err := c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lbARN)}); err != nil && apiCode(err) != "LoadBalancerNotFound" {
		return err
	}
	d.did("load balancer %s deleted", loadBalancerDimension(lbARN))
	st.LoadBalancerARN = ""
	return nil
}

// removeTargetGroup deletes the target group once the deleted ALB has let
// go of it.
func (d *Teardown) removeTargetGroup(ctx context.Context, c *Clients) error {
	st := d.State
	tgARN, err := d.ownedELB(ctx, c, "target group", st.TargetGroupARN, func(name string) (string, error) {
		return targetGroupNamed(ctx, c, name)
	})
	if err != nil || tgARN == "" {
		st.TargetGroupARN = ""
		return err
	}
	// The ALB lets go of its target group a moment after it is deleted.
	for attempt := 0; attempt < 10; attempt++ {
		_, err = c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tgARN)})
		if err == nil || apiCode(err) == "TargetGroupNotFound" {
			d.did("target group %s deleted", targetGroupDimension(tgARN))
			st.TargetGroupARN = ""
			return nil
		}
		if apiCode(err) != "ResourceInUse" {
			return err
		}
		if err := sleep(ctx, d.Poll); err != nil {
			return err
		}
	}
	return err
}

// removeTaskDefinitions deregisters the revisions of the scenario's
// family that lab registered (the state's, and every revision the family
// lists, active or inactive, whose tags say so), then deletes them, so
// that no INACTIVE revision is left behind.
func (d *Teardown) removeTaskDefinitions(ctx context.Context, c *Clients) error {
	family := d.Names.Family()
	arns := slices.Clone(d.State.TaskDefinitions)
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		p := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: status})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, arn := range page.TaskDefinitionArns {
				if familyOf(arn) == family {
					arns = addUnique(arns, arn)
				}
			}
		}
	}
	var ours []string
	for _, arn := range arns {
		td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
		if apiCode(err) == "ClientException" { // unknown: already deleted
			continue
		}
		if err != nil {
			return err
		}
		if tags := ecsTags(td.Tags); !d.Names.Owns(tags) {
			d.leftAlone("task definition", lastPart(arn), tags)
			continue
		}
		if td.TaskDefinition.Status == ecstypes.TaskDefinitionStatusActive {
			if _, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil && apiCode(err) != "ClientException" {
				return err
			}
			d.did("task definition %s deregistered", lastPart(arn))
		}
		ours = append(ours, arn)
	}
	for batch := range slices.Chunk(ours, 10) { // DeleteTaskDefinitions takes at most 10
		resp, err := c.ECS.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: batch})
		if err != nil {
			return err
		}
		for _, f := range resp.Failures {
			d.logf("task definition %s not deleted: %s", lastPart(aws.ToString(f.Arn)), aws.ToString(f.Reason))
		}
		d.did("task definitions %s deleted", strings.Join(lastParts(batch), ", "))
	}
	d.State.TaskDefinitions = nil
	return nil
}

func lastParts(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = lastPart(a)
	}
	return out
}

// familyOf is FAMILY of arn:...:task-definition/FAMILY:REVISION.
func familyOf(arn string) string {
	f := lastPart(arn)
	if i := strings.LastIndexByte(f, ':'); i >= 0 {
		f = f[:i]
	}
	return f
}

// removeLogGroup deletes the log group only with DeleteLogs: the
// containers' logs are what is left to read after a run.
func (d *Teardown) removeLogGroup(ctx context.Context, c *Clients) error {
	name := d.Names.LogGroup()
	exists, err := logGroupExists(ctx, c, name)
	if err != nil {
		return err
	}
	if !exists {
		d.State.LogGroup = ""
		return nil
	}
	if !d.DeleteLogs {
		d.logf("log group %s kept, with the containers' logs (lab ecs down --delete-logs removes it)", name)
		return nil
	}
	deleted, err := d.deleteOwnedLogGroup(ctx, c, name)
	if deleted {
		d.State.LogGroup = ""
	}
	return err
}

// logGroupExists says whether log group name exists.
func logGroupExists(ctx context.Context, c *Clients, name string) (bool, error) {
	resp, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(resp.LogGroups, func(g cwltypes.LogGroup) bool { return aws.ToString(g.LogGroupName) == name }), nil
}

// deleteOwnedLogGroup deletes log group name if its tags say lab made it
// for this scenario and owner, and reports whether it is gone.
func (d *Teardown) deleteOwnedLogGroup(ctx context.Context, c *Clients, name string) (bool, error) {
	tags, err := c.Logs.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(name)}) //nolint:staticcheck // ListTagsForResource needs the ARN; this is the same data by name
	if err != nil {
		return false, err
	}
	if !d.Names.Owns(tags.Tags) {
		d.leftAlone("log group", name, tags.Tags)
		return false, nil
	}
	if _, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil && apiCode(err) != "ResourceNotFoundException" {
		return false, err
	}
	d.did("log group %s deleted", name)
	return true, nil
}

// removeSecurityGroups deletes lab's security groups, the tasks' before
// the ALB's (whose group the tasks' admits). AWS refuses while a network
// interface still uses a group (the tasks' and the ALB's linger for a few
// minutes after they are deleted): Down retries until Wait.
func (d *Teardown) removeSecurityGroups(ctx context.Context, c *Clients) error {
	names := []string{d.Names.SecurityGroup("tasks"), d.Names.SecurityGroup("alb")}
	in := &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: names}}}
	resp, err := c.EC2.DescribeSecurityGroups(ctx, in)
	if err != nil {
		return err
	}
	groups := resp.SecurityGroups
	// The tasks' group first: it refers to the ALB's.
	slices.SortFunc(groups, func(a, b ec2types.SecurityGroup) int {
		return slices.Index(names, aws.ToString(a.GroupName)) - slices.Index(names, aws.ToString(b.GroupName))
	})
	for _, g := range groups {
		tags := tagMap(g.Tags, func(t ec2types.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) })
		if !d.Names.Owns(tags) {
			d.leftAlone("security group", aws.ToString(g.GroupId)+" ("+aws.ToString(g.GroupName)+")", tags)
			continue
		}
		if err := d.deleteSecurityGroup(ctx, c, aws.ToString(g.GroupId), aws.ToString(g.GroupName)); err != nil {
			return err
		}
	}
	d.State.SecurityGroups = nil
	return nil
}

func (d *Teardown) deleteSecurityGroup(ctx context.Context, c *Clients, id, name string) error {
	deadline := time.Now().Add(d.Wait)
	for {
		_, err := c.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		switch {
		case err == nil || apiCode(err) == "InvalidGroup.NotFound":
			d.did("security group %s (%s) deleted", id, name)
			return nil
		case apiCode(err) != "DependencyViolation" || time.Now().After(deadline):
			return err
		}
		if err := sleep(ctx, d.Poll); err != nil {
			return err
		}
	}
}

// removeCluster deletes the cluster when its tags say lab created it for
// this scenario and owner, and nothing else runs in it.
func (d *Teardown) removeCluster(ctx context.Context, c *Clients, cluster string) error {
	resp, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
	if err != nil {
		return err
	}
	var cl *ecstypes.Cluster
	for i := range resp.Clusters {
		if aws.ToString(resp.Clusters[i].Status) == "ACTIVE" {
			cl = &resp.Clusters[i]
		}
	}
	if cl == nil {
		d.State.ClusterCreated = false
		return nil
	}
	if tags := ecsTags(cl.Tags); !d.Names.Owns(tags) {
		if d.State.ClusterCreated {
			d.leftAlone("cluster", cluster, tags)
		}
		d.State.ClusterCreated = false
		return nil
	}
	if cl.ActiveServicesCount > 0 || cl.RunningTasksCount > 0 {
		d.logf("cluster %s kept: %d other services and %d tasks still run in it", cluster, cl.ActiveServicesCount, cl.RunningTasksCount)
		return nil
	}
	if _, err := c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(cluster)}); err != nil && apiCode(err) != "ClusterNotFoundException" {
		return err
	}
	d.did("cluster %s deleted", cluster)
	d.State.ClusterCreated = false
	return nil
}
