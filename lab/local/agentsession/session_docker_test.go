package agentsession

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"

	"github.com/ecslab/lab/internal/dockertest"
	"github.com/ecslab/lab/lab/local/taskagent"
	"github.com/ecslab/lab/lab/local/taskmeta/shapetest"
)

const plantedSecret = "PLANTED-SECRET-agentsession-7731"

type staticRole struct{}

func (staticRole) Credentials(ctx context.Context) (taskagent.Credentials, error) {
	return taskagent.NewCredentials("arn:aws:iam::123456789012:role/app", "ASIATESTAGENT", plantedSecret, "tok", time.Now().Add(time.Hour)), nil
}

// A container of a task reads its metadata, its task's, its stats, its
// task's stats and its role's credentials through the variables ECS
// gives it, from the agent lab runs in the task's namespace; each
// document as fetched has every field AWS documents.
func TestContainerReadsMetadataAndCredentials(t *testing.T) {
	cli := dockertest.Client(t)
	stamp := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	agentImage, clientImage := "lab-test-agent:"+stamp, "lab-test-metaclient:"+stamp
	dockertest.ProgramImage(t, cli, agentImage, "github.com/ecslab/lab/cmd/lab-workload")
	dockertest.ProgramImage(t, cli, clientImage, "./testdata/metaclient")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	name := "lab-test-agent-" + stamp
	hcfg, hhost := holderConfig(agentImage)
	holder := run(t, ctx, cli, name, hcfg, hhost)
	var mu sync.Mutex
	var errs []error
	s, err := Start(ctx, Config{
		Docker: cli, Image: agentImage, Role: staticRole{},
		Region: "us-east-1", AccountID: "123456789012", Cluster: "lab", Service: "web", Snapshotter: "overlay2",
		OnError: func(task string, err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() },
	}, Task{
		ID: "t1", Name: name, Holder: holder, Family: "web", Revision: 3, CPU: 0.25, MemoryMiB: 512,
		Containers: []Container{{Name: "reader", Image: clientImage, Essential: true, MemoryMiB: 64,
			LogDriver: "awslogs", LogOptions: map[string]string{"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if logs := output(t, cli, s.agentID); strings.Contains(logs, plantedSecret) {
			t.Error("the agent's log holds the secret")
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if _, err := cli.ContainerInspect(context.Background(), s.agentID); err == nil {
			t.Error("the agent container is still there after Stop")
		}
	}()
	env := []string{}
	for k, v := range s.Env("reader") {
		env = append(env, k+"="+v)
	}
	reader := create(t, ctx, cli, name+"-reader", &container.Config{Image: clientImage, Env: env},
		&container.HostConfig{NetworkMode: container.NetworkMode("container:" + holder)})
	s.Created("reader", reader)
	if err := cli.ContainerStart(ctx, reader, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	out := waitOutput(t, ctx, cli, reader)
	var f struct {
		Container, Task, Stats map[string]any
		TaskStats              map[string]any `json:"task_stats"`
		AccessKeyID            string         `json:"access_key_id"`
		SecretSHA256           string         `json:"secret_sha256"`
		RoleArn                string         `json:"role_arn"`
		Unauthenticated        int            `json:"unauthenticated_status"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("reader's output %q: %v", out, err)
	}
	sum := sha256.Sum256([]byte(plantedSecret))
	if f.AccessKeyID != "ASIATESTAGENT" || f.SecretSHA256 != hex.EncodeToString(sum[:]) || f.RoleArn != "arn:aws:iam::123456789012:role/app" || f.Unauthenticated != 401 {
		t.Errorf("credentials as the container read them: %+v", f)
	}
	if f.Container["DockerId"] != reader || f.Container["Name"] != "reader" || f.Task["TaskARN"] != "arn:aws:ecs:us-east-1:123456789012:task/lab/t1" || f.Task["LaunchType"] != "FARGATE" {
		t.Errorf("metadata: container %v, task %v", f.Container, f.Task)
	}
	nets, _ := f.Container["Networks"].([]any)
	if len(nets) != 1 || nets[0].(map[string]any)["NetworkMode"] != "awsvpc" {
		t.Errorf("Networks = %v", f.Container["Networks"])
	}
	if _, ok := f.Stats["memory_stats"]; !ok {
		t.Errorf("stats without memory_stats: %v", f.Stats)
	}
	if _, ok := f.TaskStats[reader]; !ok {
		t.Errorf("task stats without the reader's (%s): %v", reader, f.TaskStats)
	}
	// The documents as the container fetched them have every field AWS
	// documents, with its type (stats: Docker's nil lists are null).
	for _, doc := range []struct {
		what, example string
		got           any
		nullOK        bool
	}{
		{"task", "task-fargate.json", f.Task, false},
		{"container", "container-fargate.json", f.Container, false},
		{"stats", "stats-fargate.json", f.Stats, true},
		{"task/stats[reader]", "stats-fargate.json", f.TaskStats[reader], true},
	} {
		want, err := shapetest.Documented(doc.example)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range shapetest.Diff(want, doc.got, doc.what, doc.nullOK) {
			t.Errorf("as fetched: %s", d)
		}
	}
	if strings.Contains(out, plantedSecret) {
		t.Error("the reader's output holds the secret")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, err := range errs {
		t.Errorf("session reported: %v", err)
	}
}

// holderConfig is a stand-in for the runtime's holder: the workload
// program (any long-lived process would do), publishing the agent's
// control port on 127.0.0.1.
func holderConfig(image string) (*container.Config, *container.HostConfig) {
	port := nat.Port(fmt.Sprintf("%d/tcp", taskagent.ControlPort))
	return &container.Config{Image: image, ExposedPorts: nat.PortSet{port: {}}},
		&container.HostConfig{PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1"}}}}
}

func run(t *testing.T, ctx context.Context, cli *client.Client, name string, cfg *container.Config, host *container.HostConfig) string {
	t.Helper()
	id := create(t, ctx, cli, name, cfg, host)
	if err := cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return id
}

// create makes a container that the test removes when it ends.
func create(t *testing.T, ctx context.Context, cli *client.Client, name string, cfg *container.Config, host *container.HostConfig) string {
	t.Helper()
	cfg.Labels = map[string]string{"io.ecslab.test": "1"}
	c, err := cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true})
	})
	return c.ID
}

// waitOutput waits until the container exits and returns its stdout;
// it fails the test, with stderr, if the container failed.
func waitOutput(t *testing.T, ctx context.Context, cli *client.Client, id string) string {
	t.Helper()
	waitc, errc := cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	var code int64
	select {
	case w := <-waitc:
		code = w.StatusCode
	case err := <-errc:
		t.Fatal(err)
	}
	out := output(t, cli, id)
	if code != 0 {
		t.Fatalf("reader exited %d: %s", code, out)
	}
	return strings.TrimSpace(out)
}

// output is what a container wrote, stdout then stderr.
func output(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	logs, err := cli.ContainerLogs(context.Background(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, logs); err != nil {
		t.Fatal(err)
	}
	return stdout.String() + stderr.String()
}
