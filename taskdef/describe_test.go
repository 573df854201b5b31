package taskdef

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/internal/mototest"
)

func TestRemoteRefs(t *testing.T) {
	for ref, want := range map[string]bool{
		"arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:14": true,
		"arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api":    true,
		"shop-api":       true,
		"shop-api:14":    true,
		"shop-api.json":  false,
		"defs/shop.json": false,
		"shop-api:0":     false,
		"arn:aws:ecs:eu-west-1:1234:task-definition/x": false,
	} {
		if got := IsRemoteRef(ref); got != want {
			t.Errorf("IsRemoteRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestRegisterInputKeepsEverything(t *testing.T) {
	d, err := Load("testdata/sidecar-proxy.json")
	if err != nil {
		t.Fatal(err)
	}
	in, err := d.RegisterInput()
	if err != nil {
		t.Fatal(err)
	}
	app := in.ContainerDefinitions[1]
	if aws.ToString(in.Family) != "shop-api" || aws.ToString(in.TaskRoleArn) != d.TaskRoleARN || string(in.NetworkMode) != "awsvpc" ||
		aws.ToString(app.Secrets[0].ValueFrom) != d.ContainerDefinitions[1].Secrets[0].ValueFrom ||
		string(in.ContainerDefinitions[0].DependsOn[0].Condition) != Start ||
		string(app.LogConfiguration.LogDriver) != "awslogs" || app.LogConfiguration.Options["awslogs-stream-prefix"] != "app" ||
		!aws.ToBool(app.LinuxParameters.InitProcessEnabled) || len(in.RequiresCompatibilities) != 1 {
		t.Errorf("the request lost fields of the file: %+v", in)
	}
}

// TestDescribeFromMoto registers each testdata definition in moto, reads
// it back by family:revision and by ARN as a scenario does, and gets the
// definition the file has.
func TestDescribeFromMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	srv := mototest.Start(t, 0)
	client := ecs.NewFromConfig(srv.Config())
	ctx := context.Background()
	for _, file := range []string{"testdata/sidecar-proxy.json", "testdata/init-container.json", "testdata/health-check.json"} {
		want, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		in, err := want.RegisterInput()
		if err != nil {
			t.Fatal(err)
		}
		out, err := client.RegisterTaskDefinition(ctx, in)
		if err != nil {
			t.Fatalf("register %s: %v", file, err)
		}
		arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		for _, ref := range []string{want.Family + ":1", arn} {
			got, err := Describe(ctx, client, ref)
			if err != nil {
				t.Fatalf("describe %s: %v", ref, err)
			}
			if diff := cmp.Diff(want.ContainerDefinitions, got.ContainerDefinitions); diff != "" {
				t.Errorf("%s: containers (-file +described):\n%s", ref, diff)
			}
			if got.TaskDefinitionARN != arn || got.Revision != 1 || got.TaskRoleARN != want.TaskRoleARN || got.CPU != want.CPU || got.Memory != want.Memory {
				t.Errorf("%s: described %+v", ref, got)
			}
		}
	}
	if _, err := Describe(ctx, client, "nothing-here:3"); err == nil {
		t.Error("describing a family moto does not have succeeded")
	}
}
