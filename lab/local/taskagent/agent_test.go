package taskagent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/docker/docker/api/types/container"

	"github.com/ecslab/lab/lab/local/taskmeta"
)

// plantedSecret must never leave the credentials endpoint.
const plantedSecret = "PLANTED-SECRET-wJalrXUtnFEMI-K7MDENG"

// rig is a planned task's agent behind two test servers, its containers'
// variables rewritten to reach the endpoint server.
type rig struct {
	plan      *Plan
	updater   *Updater
	endpoints *httptest.Server
	control   *httptest.Server
}

func newRig(t *testing.T, taskRole bool) *rig {
	t.Helper()
	p, err := NewPlan(TaskOptions{Containers: []string{"app", "proxy"}, TaskRole: taskRole, Image: "lab-workload:x", NetworkMode: "container:holder"})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAgent(p.controlToken, p.authToken)
	r := &rig{plan: p, endpoints: httptest.NewServer(a.EndpointHandler()), control: httptest.NewServer(a.ControlHandler())}
	t.Cleanup(r.endpoints.Close)
	t.Cleanup(r.control.Close)
	r.updater = p.Updater(strings.TrimPrefix(r.control.URL, "http://"))
	return r
}

// env is container name's variable key, pointed at the test server.
func (r *rig) env(name, key string) string {
	return strings.Replace(r.plan.Env(name)[key], fmt.Sprintf("http://127.0.0.1:%d", EndpointPort), r.endpoints.URL, 1)
}

func (r *rig) pushState(t *testing.T) {
	t.Helper()
	task := taskmeta.Task{
		Region: "us-east-1", AccountID: "000000000000", Cluster: "lab", ID: "abc", Family: "web", Revision: 1,
		CPU: 0.25, MemoryMiB: 512, KnownStatus: taskmeta.StatusRunning, DesiredStatus: taskmeta.StatusRunning,
		Containers: []taskmeta.Container{
			{Name: "app", DockerID: "d-app", KnownStatus: taskmeta.StatusRunning},
			{Name: "proxy", DockerID: "d-proxy", KnownStatus: taskmeta.StatusRunning},
		},
	}
	if err := r.updater.SetState(context.Background(), State{Task: taskmeta.BuildTask(task), Endpoints: r.plan.Endpoints()}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return getWith(t, url, "")
}

// getWith GETs url with an Authorization header when token is set.
func getWith(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControlRequiresTheToken(t *testing.T) {
	r := newRig(t, false)
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", r.plan.controlToken, "Basic " + r.plan.controlToken} {
		req, _ := http.NewRequest(http.MethodPut, r.control.URL+PathState, strings.NewReader(`{}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %s, want 401", auth, resp.Status)
		}
	}
	if err := r.updater.Ready(context.Background()); err != nil {
		t.Errorf("with the token: %v", err)
	}
}

func TestMetadataEndpointsServeEachContainerAndTheTask(t *testing.T) {
	r := newRig(t, false)
	v4 := r.env("proxy", EnvMetadataV4)
	if code, body := get(t, v4); code != http.StatusNotFound {
		t.Errorf("before any state: %d %s, want 404", code, body)
	}
	r.pushState(t)
	for _, url := range []string{v4, r.env("proxy", EnvMetadataV3)} {
		code, body := get(t, url)
		var c taskmeta.ContainerResponse
		if err := json.Unmarshal([]byte(body), &c); code != 200 || err != nil || c.Name != "proxy" || c.DockerID != "d-proxy" {
			t.Errorf("GET %s: %d %s", url, code, body)
		}
	}
	code, body := get(t, r.env("app", EnvMetadataV4)+"/task")
	var task taskmeta.TaskResponse
	if err := json.Unmarshal([]byte(body), &task); code != 200 || err != nil || len(task.Containers) != 2 || task.Family != "web" {
		t.Errorf("GET /task: %d %s", code, body)
	}
	if code, _ := get(t, r.endpoints.URL+"/v4/not-an-endpoint/task"); code != http.StatusNotFound {
		t.Errorf("unknown endpoint id: %d, want 404", code)
	}
}

func TestStatsEndpoints(t *testing.T) {
	r := newRig(t, false)
	r.pushState(t)
	app := r.env("app", EnvMetadataV4)
	if code, _ := get(t, app+"/stats"); code != http.StatusServiceUnavailable {
		t.Errorf("stats before the first sample: %d, want 503", code)
	}
	s := taskmeta.Stats{StatsResponse: container.StatsResponse{Name: "app", ID: "d-app", MemoryStats: container.MemoryStats{Usage: 4096}}}
	if err := r.updater.SetStats(context.Background(), StatsUpdate{"d-app": s}); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, app+"/stats")
	if code != 200 || !strings.Contains(body, `"memory_stats":{"usage":4096`) {
		t.Errorf("GET /stats: %d %s", code, body)
	}
	code, body = get(t, app+"/task/stats")
	var all map[string]*taskmeta.Stats
	if err := json.Unmarshal([]byte(body), &all); code != 200 || err != nil {
		t.Fatalf("GET /task/stats: %d %s", code, body)
	}
	if p, ok := all["d-proxy"]; !ok || p != nil || all["d-app"] == nil || all["d-app"].MemoryStats.Usage != 4096 {
		t.Errorf("task stats = %s: want d-app's sample and d-proxy as null", body)
	}
}

// The AWS SDK's own container provider reads the credentials endpoint:
// the shape, the token and the path are the ones it expects.
func TestSDKReadsTheCredentialsEndpoint(t *testing.T) {
	r := newRig(t, true)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	c := NewCredentials("arn:aws:iam::000000000000:role/app", "ASIAEXAMPLE", plantedSecret, "session-token", exp)
	if err := r.updater.SetCredentials(ctx, r.plan.CredentialsID(), c); err != nil {
		t.Fatal(err)
	}
	uri := r.env("app", EnvCredentialsURI)
	provider := endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = r.plan.Env("app")[EnvCredentialsTok] })
	got, err := provider.Retrieve(ctx)
	if err != nil {
		t.Fatalf("SDK: %v", err)
	}
	if got.AccessKeyID != "ASIAEXAMPLE" || got.SecretAccessKey != plantedSecret || got.SessionToken != "session-token" || !got.Expires.Equal(exp) {
		t.Errorf("SDK read %+v", got)
	}
	wrong := endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = "not-the-token" })
	if _, err := wrong.Retrieve(ctx); err == nil || strings.Contains(err.Error(), plantedSecret) {
		t.Errorf("a wrong token: %v", err)
	}
	if err := r.updater.ClearCredentials(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Retrieve(ctx); err == nil {
		t.Error("credentials served after ClearCredentials")
	}
}

func TestNoCredentialsEndpointWithoutATaskRole(t *testing.T) {
	r := newRig(t, false)
	if _, ok := r.plan.Env("app")[EnvCredentialsURI]; ok {
		t.Error("credentials URI given without a task role")
	}
	req, _ := http.NewRequest(http.MethodGet, r.endpoints.URL+"/v2/credentials/x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("credentials without a task role: %s", resp.Status)
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	c := NewCredentials("arn:aws:iam::000000000000:role/app", "ASIAEXAMPLE", plantedSecret, "tok-"+plantedSecret, time.Now())
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(format, c); strings.Contains(s, plantedSecret) || strings.Contains(s, "ASIAEXAMPLE") {
			t.Errorf("%s prints %s", format, s)
		}
	}
	// A control request the agent refuses does not echo its body.
	u := NewUpdater(strings.TrimPrefix(newRig(t, true).control.URL, "http://"), "wrong-token")
	err := u.SetCredentials(context.Background(), "id", c)
	if err == nil || strings.Contains(err.Error(), plantedSecret) {
		t.Errorf("refused push: %v", err)
	}
}
