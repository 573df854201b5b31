package ecs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/ecslab/lab/lab"
)

// readyTarget is a target of cpu-vertical against the fake, whose endpoint
// is app (the ALB stand-in) and whose target group the state names.
func readyTarget(t *testing.T, answer func(op string, n int) reply, app *httptest.Server) (*fakeAWS, *Target) {
	t.Helper()
	t.Setenv("LAB_STATE_DIR", t.TempDir())
	f, c := newFakeAWS(t, answer)
	set := *fullSettings
	set.Endpoint = app.URL
	plan := mustPlan(t, builtin(t, "cpu-vertical"), &set)
	tg, err := NewTarget(c, plan, &State{TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/lab-x/1"})
	if err != nil {
		t.Fatal(err)
	}
	tg.ObservePoll, tg.ReadyTimeout = time.Millisecond, 5*time.Second
	tg.emit = func(lab.Event) {}
	return f, tg
}

const oneTask = `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:1:task/lab/t1","lastStatus":"RUNNING","cpu":"256","memory":"512",
	"attachments":[{"type":"ElasticNetworkInterface","details":[{"name":"privateIPv4Address","value":"10.0.1.5"}]}]}]}`

// The load starts only once the entry's tasks are healthy in the target
// group (targets of other services in a shared group do not count) and
// the endpoint answers its health path.
func TestDeployWaitsForHealthyTargetsAndAnAnswer(t *testing.T) {
	answers := 0
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answers++
		if answers < 3 { // DNS not there yet: the ALB answers 503 first
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer app.Close()
	f, tg := readyTarget(t, func(op string, n int) reply {
		switch op {
		case "DescribeServices":
			return reply{body: `{"services":[{"status":"ACTIVE","desiredCount":1,"runningCount":1}]}`}
		case "ListTasks":
			if n%2 == 0 {
				return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/t1"]}`}
			}
			return reply{body: `{"taskArns":[]}`}
		case "DescribeTasks":
			return reply{body: oneTask}
		case "DescribeTargetHealth": // another service's healthy target, ours still initial, then healthy
			state := map[bool]string{true: "initial", false: "healthy"}[n < 2]
			return reply{body: `<TargetHealthDescriptions>` +
				`<member><Target><Id>10.9.9.9</Id></Target><TargetHealth><State>healthy</State></TargetHealth></member>` +
				`<member><Target><Id>10.0.1.5</Id></Target><TargetHealth><State>` + state + `</State></TargetHealth></member></TargetHealthDescriptions>`}
		}
		return reply{}
	}, app)
	if err := tg.waitReady(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := len(f.bodies("DescribeTargetHealth")); n != 3 {
		t.Errorf("DescribeTargetHealth %d times, want 3 (another's healthy target does not count)", n)
	}
	if answers != 3 {
		t.Errorf("the endpoint was asked %d times, want 3 (two 503s, then an answer)", answers)
	}
	if got := tg.healthyTargets(context.Background()); got != 1 {
		t.Errorf("healthy targets %d, want 1: only this service's task", got)
	}
	rtt, err := tg.ProbeRTT(context.Background())
	if err != nil || rtt <= 0 || rtt > time.Second {
		t.Errorf("round trip to a local server: %v, %v", rtt, err)
	}
}

// Targets that never turn healthy end the wait with what to check.
func TestDeployReadinessTimesOut(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer app.Close()
	_, tg := readyTarget(t, func(op string, n int) reply {
		switch op {
		case "DescribeServices":
			return reply{body: `{"services":[{"status":"ACTIVE","desiredCount":1,"runningCount":1}]}`}
		case "ListTasks":
			return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/t1"]}`}
		case "DescribeTasks":
			return reply{body: oneTask}
		case "DescribeTargetHealth":
			return reply{body: `<TargetHealthDescriptions><member><Target><Id>10.0.1.5</Id></Target><TargetHealth><State>unhealthy</State></TargetHealth></member></TargetHealthDescriptions>`}
		}
		return reply{}
	}, app)
	tg.ReadyTimeout = 50 * time.Millisecond
	err := tg.waitReady(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "0 of 1 tasks healthy") || !strings.Contains(err.Error(), "health check path /") {
		t.Errorf("error %v, want the count and what to check", err)
	}
}

// A deployment the circuit breaker stopped fails the wait at once, with
// ECS's reason and a stopped task's.
func TestStableWaitStopsOnTheCircuitBreaker(t *testing.T) {
	f, c := newFakeAWS(t, func(op string, n int) reply {
		switch op {
		case "DescribeServices":
			return reply{body: `{"services":[{"serviceName":"s","status":"ACTIVE","desiredCount":1,"runningCount":0,"deployments":[{"status":"PRIMARY",
				"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition/lab-x:2","rolloutState":"FAILED",
				"rolloutStateReason":"ECS deployment circuit breaker: tasks failed to start."}]}]}`}
		case "ListTasks":
			return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/t9"]}`}
		case "DescribeTasks":
			return reply{body: `{"tasks":[{"stoppedReason":"Task failed to start","containers":[{"reason":"CannotPullContainerError: pull image manifest has been retried 5 time(s)"}]}]}`}
		}
		return reply{}
	})
	start := time.Now()
	err := stableWait{c: c, cluster: "lab", service: "s", timeout: time.Minute, poll: time.Millisecond, logf: func(string, ...any) {}}.wait(context.Background())
	if err == nil || !strings.Contains(err.Error(), "lab-x:2 failed: ECS deployment circuit breaker") || !strings.Contains(err.Error(), "CannotPullContainerError") {
		t.Errorf("error %v, want the deployment's and the task's reasons", err)
	}
	if time.Since(start) > 10*time.Second || len(f.bodies("DescribeServices")) != 1 {
		t.Errorf("the wait went on after the failed deployment (%d DescribeServices)", len(f.bodies("DescribeServices")))
	}
}

// Stopped tasks created before the run are an earlier run's: not
// reported. Those of this run are.
func TestStoppedTasksOfEarlierRunsAreNotCounted(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer app.Close()
	began := time.Now()
	old, recent := began.Add(-time.Hour).Unix(), began.Add(time.Second).Unix()
	_, tg := readyTarget(t, func(op string, n int) reply {
		switch op {
		case "ListTasks":
			if n%2 == 0 {
				return reply{body: `{"taskArns":[]}`}
			}
			return reply{body: `{"taskArns":["arn:aws:ecs:us-east-1:1:task/lab/old","arn:aws:ecs:us-east-1:1:task/lab/new"]}`}
		case "DescribeTasks":
			return reply{body: `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:1:task/lab/old","lastStatus":"STOPPED","createdAt":` + itoa(old) + `,"stoppedReason":"Essential container in task exited"},` +
				`{"taskArn":"arn:aws:ecs:us-east-1:1:task/lab/new","lastStatus":"STOPPED","createdAt":` + itoa(recent) + `,"stoppedReason":"Essential container in task exited"}]}`}
		}
		return reply{}
	}, app)
	tg.began = began
	var stopped []string
	tg.emit = func(ev lab.Event) {
		if d, ok := ev.Data.(lab.TaskStopped); ok {
			stopped = append(stopped, d.Task)
		}
	}
	tg.tasks(context.Background())
	if len(stopped) != 1 || stopped[0] != "new" {
		t.Errorf("stopped tasks reported %v, want only this run's [new]", stopped)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// An entry's utilization counts only the CloudWatch minutes its load
// overlaps, says how many, and says "no data" when there were none.
func TestEntryUtilizationInsideTheWindow(t *testing.T) {
	from := time.Date(2026, 1, 1, 12, 0, 30, 0, time.UTC)
	to := from.Add(60 * time.Second)
	stamp := func(m int) cbor.Value {
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(time.Date(2026, 1, 1, 12, m, 0, 0, time.UTC).Unix()))}
	}
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer app.Close()
	_, tg := readyTarget(t, func(op string, n int) reply {
		if op != "GetMetricData" {
			return reply{}
		}
		return reply{cbor: cbor.Map{"MetricDataResults": cbor.List{
			// 11:59 (the entry before), 12:00, 12:01, 12:02 (the next)
			cbor.Map{"Id": cbor.String("cpu"), "Timestamps": cbor.List{stamp(-1), stamp(0), stamp(1), stamp(2)},
				"Values": cbor.List{cbor.Float64(99), cbor.Float64(40), cbor.Float64(60), cbor.Float64(99)}},
			cbor.Map{"Id": cbor.String("mem"), "Timestamps": cbor.List{}, "Values": cbor.List{}},
		}}}
	}, app)
	cpu, mem, err := tg.EntryUtilization(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if cpu.Datapoints != 2 || cpu.Avg != 50 || cpu.Max != 60 || cpu.NoData || cpu.Source != "cloudwatch" {
		t.Errorf("cpu %+v, want the 12:00 and 12:01 datapoints only: avg 50, max 60", cpu)
	}
	if !mem.NoData || mem.Datapoints != 0 {
		t.Errorf("memory %+v, want no data", mem)
	}
}
