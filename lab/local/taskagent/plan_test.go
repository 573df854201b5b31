package taskagent

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPlanGivesEachContainerItsOwnEndpoint(t *testing.T) {
	p, err := NewPlan(TaskOptions{Containers: []string{"app", "proxy"}, TaskRole: true, Image: "img", NetworkMode: "container:h"})
	if err != nil {
		t.Fatal(err)
	}
	app, proxy := p.Env("app"), p.Env("proxy")
	if app[EnvMetadataV4] == proxy[EnvMetadataV4] || !strings.HasPrefix(app[EnvMetadataV4], "http://127.0.0.1:51679/v4/") {
		t.Errorf("metadata URIs: %s, %s", app[EnvMetadataV4], proxy[EnvMetadataV4])
	}
	if app[EnvCredentialsURI] != proxy[EnvCredentialsURI] || app[EnvCredentialsTok] == "" || app[EnvCredentialsTok] == p.controlToken {
		t.Error("every container of a task shares the task's credentials, behind a token that is not the control token")
	}
	if got := p.Endpoints()[strings.TrimPrefix(app[EnvMetadataV4], "http://127.0.0.1:51679/v4/")]; got != "app" {
		t.Errorf("endpoint id maps to %q", got)
	}
	cfg, host := p.AgentContainer()
	if !slices.Equal(cfg.Cmd, []string{"agent"}) || host.NetworkMode != "container:h" || !host.ReadonlyRootfs || host.Memory == 0 {
		t.Errorf("agent container: %+v %+v", cfg, host)
	}
	if !slices.Contains(cfg.Env, EnvAuthToken+"="+app[EnvCredentialsTok]) || !slices.Contains(cfg.Env, EnvControlToken+"="+p.controlToken) {
		t.Errorf("agent env lacks its tokens")
	}
	if _, err := NewPlan(TaskOptions{Containers: []string{"a", "a"}}); err == nil {
		t.Error("two containers of one name accepted")
	}
	q, _ := NewPlan(TaskOptions{Containers: []string{"app"}})
	if q.controlToken == p.controlToken || q.TaskRole() {
		t.Error("tokens must differ between tasks; no task role unless asked")
	}
}

func TestNextRefresh(t *testing.T) {
	now := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	cases := []struct {
		left time.Duration
		want time.Duration
	}{
		{time.Hour, 30 * time.Minute},       // half the life is sooner than 15 min before
		{20 * time.Minute, 5 * time.Minute}, // 15 min before is sooner than half
		{10 * time.Second, minRefresh},      // about to expire: soon, but not in a loop
		{-time.Minute, minRefresh},
	}
	for _, c := range cases {
		got := nextRefresh(NewCredentials("r", "k", "s", "t", now.Add(c.left)), now)
		if got != c.want {
			t.Errorf("%v left: refresh in %v, want %v", c.left, got, c.want)
		}
	}
}

type fakeSource struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (f *fakeSource) Credentials(ctx context.Context) (Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return NewCredentials("arn:aws:iam::000000000000:role/app", "AK", plantedSecret, "tok", time.Now().Add(time.Hour)), f.err
}

func TestKeepCredentialsPushesAndReportsFailures(t *testing.T) {
	r := newRig(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		KeepCredentials(ctx, r.updater, r.plan.CredentialsID(), &fakeSource{}, func(err error) { t.Errorf("unexpected: %v", err) })
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := getAuth(t, r.env("app", EnvCredentialsURI), r.plan.Env("app")[EnvCredentialsTok])
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("credentials not served after 5 s (last %d)", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done

	errs := make(chan error, 1)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go KeepCredentials(ctx2, r.updater, "id", &fakeSource{err: errors.New("no credentials in the chain")}, func(err error) { errs <- err })
	select {
	case err := <-errs:
		if strings.Contains(err.Error(), plantedSecret) {
			t.Errorf("error holds the secret: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a failing source was not reported")
	}
}

func getAuth(t *testing.T, url, token string) (int, string) {
	t.Helper()
	return getWith(t, url, token)
}

func TestServeListensOnBothAddresses(t *testing.T) {
	endpoint, control := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- Serve(ctx, Config{EndpointAddr: endpoint, ControlAddr: control, ControlToken: "tok"})
	}()
	if err := NewUpdater(control, "tok").Ready(withTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if code, _ := getWith(t, "http://"+endpoint+"/v4/x", ""); code != 404 {
		t.Errorf("endpoint: %d, want 404 for an unknown id", code)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if err := Serve(context.Background(), Config{}); err == nil {
		t.Error("Serve without a control token")
	}
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}
