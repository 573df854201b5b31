package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecslab/lab/lab"
	"github.com/ecslab/lab/lab/generators"
	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/lab/load/generate"
)

// Generator tasks against moto: Launch sends the generators' calls and
// one RunTask each; a fake generator (the real generate program, its
// lines put into the task's log stream through the Logs API, as the
// awslogs driver would) runs the load it was given; the fleet reads the
// windows back and merges them. A generator whose task stops without
// finishing is lost. Down stops a generator task a crashed run left, and
// removes their task definition and log group. AWS's clock is made 300 ms
// ahead of this machine's: the generators' common start is on it.
func TestMotoGenerators(t *testing.T) {
	const awsAhead = 300 * time.Millisecond
	c, net, log := startMotoWith(t, func(cfg *aws.Config) {
		cfg.HTTPClient = &http.Client{Transport: dateAhead{awsAhead, quoteTaskSizes{}}}
	})
	ctx := context.Background()
	old := GeneratorPoll
	GeneratorPoll = 50 * time.Millisecond
	t.Cleanup(func() { GeneratorPoll = old })

	// moto's tasks stop by themselves after a few describes, unless told
	// otherwise; here they run until stopped.
	resp, err := http.Post(os.Getenv("AWS_ENDPOINT_URL")+"/moto-api/state-manager/set-transition", "application/json",
		strings.NewReader(`{"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000000}}`))
	if err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("moto's task transitions: %v %v", resp, err)
	}
	resp.Body.Close()
	// moto gives a task's network interface a DNS name (which RunTask
	// needs) only in a VPC with DNS hostnames, as most VPCs have.
	if _, err := c.EC2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &net.VPC, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	sc := parse(t, strings.Replace(generatorsScenario, "generators: 3", "generators: 2", 1))
	set := motoSettings(net)
	plan := resolvedPlan(t, c, sc, set)
	st, _ := newApplier(t, c, plan)
	tg, err := NewTarget(c, plan, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.ap.ApplyEntry(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(inputsOf[*ecs.RunTaskInput](log)); n != 0 {
		t.Fatalf("applying the entry sent %d RunTask calls", n)
	}

	var served atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	t.Cleanup(app.Close)
	offset, bound, ok := tg.GeneratorClockOffset()
	if !ok || (offset-awsAhead).Abs() > bound+5*time.Millisecond || bound > 500*time.Millisecond {
		t.Errorf("AWS's clock measured %v ± %v ahead (ok %v); want %v within a bound under 500 ms", offset, bound, ok, awsAhead)
	}
	fleet, err := generators.Start(ctx, tg, generators.Config{
		Count: 2, Mix: lab.LoadMix(app.URL, sc.Load.Targets()),
		Phases: []load.Phase{{Duration: time.Second, Rate: 20}}, Lead: 300 * time.Millisecond, Offset: &generators.Offset{By: offset, Bound: bound},
	})
	if err != nil {
		t.Fatal(err)
	}
	runs := inputsOf[*ecs.RunTaskInput](log)
	if len(runs) != 2 || len(tg.genTasks) != 2 {
		t.Fatalf("%d RunTask calls, %d tasks; want 2", len(runs), len(tg.genTasks))
	}
	ran := make(chan error, 1)
	go func() { ran <- fleet.Run(ctx) }()
	for i, arn := range tg.genTasks {
		cfg := configOf(t, runs, arn, tg)
		if d := cfg.Start.Sub(fleet.Start()); d != offset {
			t.Errorf("generator %d starts %v after lab's start, want on AWS's clock (%v)", cfg.Gen, d, offset)
		}
		if cfg.Gen == 1 { // lost: its task stops before its load is over
			if _, err := c.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("lab-test"), Task: &arn, Reason: aws.String("Task stopped by an operator")}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var out bytes.Buffer
		if err := generate.Run(ctx, cfg, &out); err != nil {
			t.Fatalf("generator %d: %v", i, err)
		}
		// Its task still runs: its done line ends its output.
		putLines(t, c, plan.GeneratorLogGroup, GeneratorStream(arn), out.String())
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("%v: %+v", err, fleet.Report(time.Second))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the fleet did not end once its tasks stopped")
	}
	if tot := fleet.Totals(); tot.Requests != 10 || tot.Requests != served.Load() {
		t.Errorf("merged %d requests, the app served %d; want generator 0's half of 20", tot.Requests, served.Load())
	}
	rep := fleet.Report(time.Second)
	if len(rep.Lost) != 1 || rep.Lost[0].Gen != 1 || len(rep.UnderSent) == 0 {
		t.Errorf("report %+v: want generator 1 lost, its seconds under-sent", rep)
	} else if !strings.Contains(rep.Lost[0].Reason, "Task stopped by an operator") {
		t.Errorf("generator 1 lost for %q: want ECS's stopped reason in it", rep.Lost[0].Reason)
	}
	if err := fleet.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if tg.used.generatorHours <= 0 {
		t.Error("the generators' task time is not in what the run used")
	}
	for _, arn := range tg.genTasks {
		if status := taskStatus(t, c, set.Cluster, arn); status != "STOPPED" {
			t.Errorf("generator task %s after Remove", status)
		}
	}

	// A generator a crashed run left running: down finds and stops it.
	if _, err := tg.Launch(ctx, 0, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	left := tg.genTasks[len(tg.genTasks)-1]
	down := &Teardown{Names: plan.Names, Plan: plan, Cluster: set.Cluster, State: st, Poll: 100 * time.Millisecond}
	if err := down.Down(ctx, c); err != nil {
		t.Fatalf("down: %v", err)
	}
	if status := taskStatus(t, c, set.Cluster, left); status != "STOPPED" {
		t.Errorf("generator task left %s by down", status)
	}
	assertNothingLeft(t, c, plan.Names, set.Cluster, true)
	tds, err := c.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(plan.GeneratorFamily)})
	if err != nil || len(tds.TaskDefinitionArns) != 0 {
		t.Errorf("generator task definitions left: %v, %v", tds.TaskDefinitionArns, err)
	}
}

// configOf is the generator config RunTask gave task arn.
func configOf(t *testing.T, runs []*ecs.RunTaskInput, arn string, tg *Target) generate.Config {
	t.Helper()
	i := 0
	for ; i < len(tg.genTasks) && tg.genTasks[i] != arn; i++ {
	}
	env := runs[i].Overrides.ContainerOverrides[0].Environment[0]
	var cfg generate.Config
	if aws.ToString(env.Name) != generate.EnvConfig || json.Unmarshal([]byte(aws.ToString(env.Value)), &cfg) != nil {
		t.Fatalf("RunTask %d's environment %s=%s", i, aws.ToString(env.Name), aws.ToString(env.Value))
	}
	return cfg
}

// putLines writes each line as an event of the stream, as awslogs does.
func putLines(t *testing.T, c *Clients, group, stream, lines string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &stream}); err != nil {
		t.Fatal(err)
	}
	var evs []cwltypes.InputLogEvent
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		evs = append(evs, cwltypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(time.Now().UnixMilli())})
	}
	if _, err := c.Logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream, LogEvents: evs}); err != nil {
		t.Fatal(err)
	}
}

func taskStatus(t *testing.T, c *Clients, cluster, arn string) string {
	t.Helper()
	resp, err := c.ECS.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: []string{arn}})
	if err != nil || len(resp.Tasks) != 1 {
		t.Fatalf("describe %s: %v", arn, err)
	}
	return aws.ToString(resp.Tasks[0].LastStatus)
}

// dateAhead puts AWS's clock d ahead of this machine's: it moves the Date
// of every response, whole seconds as servers write it.
type dateAhead struct {
	d    time.Duration
	next http.RoundTripper
}

func (a dateAhead) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(r)
	if err == nil {
		resp.Header.Set("Date", time.Now().Add(a.d).UTC().Format(http.TimeFormat))
	}
	return resp, err
}

// quoteTaskSizes makes moto's tasks read as ECS writes them: moto gives
// a task's containers their definition's cpu and memory as numbers,
// where ECS (and so the SDK) has strings.
type quoteTaskSizes struct{}

var taskSizeRE = regexp.MustCompile(`"(cpu|memory)": ?(\d+)`)

func (quoteTaskSizes) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	target := r.Header.Get("X-Amz-Target")
	if err != nil || !strings.HasSuffix(target, ".RunTask") && !strings.HasSuffix(target, ".DescribeTasks") && !strings.HasSuffix(target, ".StopTask") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = taskSizeRE.ReplaceAll(body, []byte(`"$1": "$2"`))
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}
