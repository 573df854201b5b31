package load

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// senders are the two ways a generator sends: its own HTTP/1.1 client (no
// Config.Client, plain http) and net/http (a Config.Client).
var senders = []struct {
	name   string
	client func() *http.Client
}{
	{"raw", func() *http.Client { return nil }},
	{"net/http", func() *http.Client { return &http.Client{} }},
}

func newRaw(t *testing.T, ctx context.Context, method, url string) *rawSender {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := newRawSpec([]*http.Request{req}, 5*s)
	if err != nil {
		t.Fatal(err)
	}
	snd := &rawSender{ctx: ctx, spec: spec, mix: newMix([]int{1})}
	t.Cleanup(snd.close)
	return snd
}

func TestGeneratorPicksSender(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		wantFn string
	}{
		{"plain http, default client", Config{URL: "http://127.0.0.1:1/"}, "*load.rawSender"},
		{"https", Config{URL: "https://127.0.0.1:1/"}, "*load.httpSender"},
		{"a client of the caller's", Config{URL: "http://127.0.0.1:1/", Client: &http.Client{}}, "*load.httpSender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Phases = []Phase{{Duration: s, Rate: 1}}
			g, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			snd := g.newSender(context.Background())
			defer snd.close()
			if got := fmt.Sprintf("%T", snd); got != tt.wantFn {
				t.Errorf("sender = %s, want %s", got, tt.wantFn)
			}
		})
	}
}

// The raw sender reads the response framings an HTTP/1.1 server uses and
// keeps the connection where it may.
func TestRawSenderResponses(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		handler   http.HandlerFunc
		wantCode  int
		wantConns int64 // for 3 requests
	}{
		{
			name:      "content length",
			handler:   func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") },
			wantCode:  200,
			wantConns: 1,
		},
		{
			name: "chunked",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 3 {
					fmt.Fprint(w, strings.Repeat("x", 5000))
					w.(http.Flusher).Flush()
				}
			},
			wantCode:  200,
			wantConns: 1,
		},
		{
			name: "connection close",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				fmt.Fprint(w, "bye")
			},
			wantCode:  200,
			wantConns: 3,
		},
		{
			name:   "HEAD has no body",
			method: http.MethodHead,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
			},
			wantCode:  200,
			wantConns: 1,
		},
		{
			name: "redirect is not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			wantCode:  302,
			wantConns: 1,
		},
		{
			name: "interim response first",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</style.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				fmt.Fprint(w, "final")
			},
			wantCode:  200,
			wantConns: 1,
		},
		{
			name:      "no content",
			handler:   func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantCode:  204,
			wantConns: 1,
		},
		{
			name:      "POST",
			method:    http.MethodPost,
			handler:   func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Method, r.ContentLength) },
			wantCode:  200,
			wantConns: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.handler)
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			snd := newRaw(t, context.Background(), method, ts.URL+"/x")
			for i := range 3 {
				if code := snd.send(); code != tt.wantCode {
					t.Fatalf("request %d: code %d, want %d", i, code, tt.wantCode)
				}
			}
			if n := ts.conns.Load(); n != tt.wantConns {
				t.Errorf("%d connections for 3 requests, want %d", n, tt.wantConns)
			}
		})
	}
}

// A kept-alive connection that the server closed while it was idle is not an
// error: like net/http, the request goes again on a new connection, when its
// method is idempotent.
func TestRawSenderRetriesStaleConnection(t *testing.T) {
	// The server answers and then closes the connection without saying so.
	var conns atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				time.Sleep(10 * ms)
			}()
		}
	}()
	url := "http://" + l.Addr().String() + "/"

	get := newRaw(t, context.Background(), http.MethodGet, url)
	for i := range 3 {
		if code := get.send(); code != 200 {
			t.Errorf("GET %d = %d, want 200 on a fresh connection", i, code)
		}
		time.Sleep(50 * ms) // the server closes meanwhile
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}

	post := newRaw(t, context.Background(), http.MethodPost, url)
	if code := post.send(); code != 200 {
		t.Errorf("first POST = %d, want 200", code)
	}
	time.Sleep(50 * ms)
	if code := post.send(); code != codeReset {
		t.Errorf("POST on the stale connection = %s, want reset (a POST is not sent twice)", codeName(code))
	}
}
