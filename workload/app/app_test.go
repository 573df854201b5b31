package app

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// testConfig is a cheap app: little CPU, small leaks, short delays.
func testConfig() Config {
	c := DefaultConfig()
	c.CPUWork = time.Millisecond
	c.LeakPerRequest = 64 << 10
	c.DelayStep = time.Millisecond
	return c
}

func get(t *testing.T, url string) (status int, contentType, body string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestEndpoints(t *testing.T) {
	srv := httptest.NewServer(New(testConfig()).Handler())
	defer srv.Close()

	// The bodies are byte for byte what the original's json.dumps wrote.
	const sqrt = `{"result": "2.0568806966515076e+62"}`
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/", 200, `{"result": "hello world"}`},
		{"/cpu_intensive", 200, sqrt},
		{"/memory_leak", 200, sqrt},
		{"/long_response_time", 200, sqrt},
		{"/cpu_intensive?x=1", 200, sqrt},
		{"/nope", 404, ""},
		{"/cpu_intensive/", 404, ""},
		{"/index.html", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, ctype, body := get(t, srv.URL+tt.path)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", status, tt.wantStatus, body)
			}
			if tt.wantStatus != 200 {
				return
			}
			if ctype != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ctype)
			}
			if body != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
		})
	}

	t.Run("POST is not allowed", func(t *testing.T) {
		resp, err := http.Post(srv.URL+"/cpu_intensive", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405", resp.StatusCode)
		}
	})
}

func TestPythonFloatRepr(t *testing.T) {
	// Expected values are Python 3's repr of the same floats.
	tests := []struct {
		in   float64
		want string
	}{
		{originalSqrt(), "2.0568806966515076e+62"},
		{math.Ldexp(1, 207), "2.0568806966515076e+62"},
		{1, "1.0"},
		{100, "100.0"},
		{0.1, "0.1"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{123456789.125, "123456789.125"},
		{-2.5, "-2.5"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{math.Inf(1), "inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := pythonFloatRepr(tt.in); got != tt.want {
			t.Errorf("pythonFloatRepr(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMemoryLeakKeepsEveryRequest(t *testing.T) {
	cfg := testConfig()
	app := New(cfg)
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()

	for i := 1; i <= 5; i++ {
		if status, _, _ := get(t, srv.URL+"/memory_leak"); status != 200 {
			t.Fatalf("status = %d", status)
		}
		if got, want := app.leakedTotal(), int64(i)*cfg.LeakPerRequest; got != want {
			t.Fatalf("after %d requests leaked %d bytes, want %d", i, got, want)
		}
	}
	// Other endpoints leak nothing.
	get(t, srv.URL+"/cpu_intensive")
	get(t, srv.URL+"/")
	if got, want := app.leakedTotal(), 5*cfg.LeakPerRequest; got != want {
		t.Errorf("leaked %d bytes, want %d", got, want)
	}
}

func TestLongResponseTimeGrowsWithEveryRequest(t *testing.T) {
	cfg := testConfig()
	cfg.DelayStep = 5 * time.Millisecond
	app := New(cfg)
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()

	for n := 1; n <= 8; n++ {
		start := time.Now()
		if status, _, _ := get(t, srv.URL+"/long_response_time"); status != 200 {
			t.Fatalf("status = %d", status)
		}
		if took, min := time.Since(start), time.Duration(n)*cfg.DelayStep; took < min {
			t.Errorf("request %d took %v, want at least %v", n, took, min)
		}
	}
	if got := app.slowRequests.Load(); got != 8 {
		t.Errorf("counter = %d, want 8", got)
	}
	// A new app (a new task) starts again from zero.
	if got := New(cfg).slowRequests.Load(); got != 0 {
		t.Errorf("new app's counter = %d, want 0", got)
	}
}

// serving is an app served on a free port by serveOn.
type serving struct {
	url  string
	stop context.CancelFunc
	done chan struct{} // closed when serveOn returned
	err  error         // what it returned, set before done is closed
}

// wait returns serveOn's result, or fails t when it takes longer than d.
func (s *serving) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(d):
		t.Fatalf("serve did not return within %v", d)
		return nil
	}
}

func startServing(t *testing.T, app *App, timeout time.Duration) *serving {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{url: "http://" + ln.Addr().String(), stop: cancel, done: make(chan struct{})}
	go func() {
		s.err = serveOn(ctx, ln, app.Handler(), timeout)
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	cfg := testConfig()
	cfg.DelayStep = 300 * time.Millisecond
	app := New(cfg)
	s := startServing(t, app, 5*time.Second)

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.url + "/long_response_time")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b), err}
	}()
	for app.slowRequests.Load() == 0 { // the request is in its handler
		time.Sleep(time.Millisecond)
	}
	s.stop()

	r := <-res
	if r.err != nil || r.status != 200 || r.body != string(sqrtBody) {
		t.Fatalf("in-flight request: status %d, body %q, error %v; want 200 and the result", r.status, r.body, r.err)
	}
	if err := s.wait(t, 5*time.Second); err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	if _, err := http.Get(s.url + "/"); err == nil {
		t.Error("the server still accepts requests after shutdown")
	}
}

func TestShutdownIsBounded(t *testing.T) {
	cfg := testConfig()
	cfg.DelayStep = time.Minute
	app := New(cfg)
	s := startServing(t, app, 200*time.Millisecond)

	go func() {
		if resp, err := http.Get(s.url + "/long_response_time"); err == nil {
			resp.Body.Close()
		}
	}()
	for app.slowRequests.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.stop()
	if err := s.wait(t, 5*time.Second); err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %v with a 200ms bound", took)
	}
}

func TestServeReportsListenErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), ln.Addr().String(), testConfig())
	if err == nil {
		t.Fatal("Serve on a busy address returned nil")
	}
}

func TestRunFromEnvRejectsBadKnobs(t *testing.T) {
	env := map[string]string{"CPU_WORK": "fast"}
	err := runFromEnv(context.Background(), func(k string) string { return env[k] }, io.Discard)
	want := `CPU_WORK="fast": want a duration such as 80ms (units ns, us, ms, s, m, h)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}
