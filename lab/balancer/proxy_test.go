package balancer

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The lean forwarding path (proxy.go), message by message, through raw
// client connections so that framing and connection handling show.

// leanBalancer is a balancer with one healthy target served by h.
func leanBalancer(t *testing.T, h http.HandlerFunc) *Balancer {
	t.Helper()
	b := startBalancer(t, RoundRobin, 2*time.Second)
	b.Register("t", backendServer(t, h))
	b.SetHealthy("t", true)
	return b
}

// rawConn is a client connection that writes requests by hand.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, b *Balancer) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", b.listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

// do writes a raw request and reads the response, body included.
func (rc *rawConn) do(raw string) (*http.Response, string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, raw); err != nil {
		rc.t.Fatal(err)
	}
	return rc.read(strings.HasPrefix(raw, "HEAD "))
}

func (rc *rawConn) read(head bool) (*http.Response, string) {
	rc.t.Helper()
	var req *http.Request
	if head {
		req = &http.Request{Method: "HEAD"}
	}
	resp, err := http.ReadResponse(rc.br, req)
	if err != nil {
		rc.t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading the body: %v", err)
	}
	return resp, string(body)
}

// doLast sends a request that must be answered "ok" and be the
// connection's last: the balancer closes it.
func (rc *rawConn) doLast(raw string) {
	rc.t.Helper()
	if resp, body := rc.do(raw); body != "ok" || !resp.Close {
		rc.t.Fatalf("body %q, close %v", body, resp.Close)
	}
	if !rc.closed() {
		rc.t.Error("connection still open")
	}
}

// closed reports whether the balancer closed the connection.
func (rc *rawConn) closed() bool {
	rc.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := rc.br.ReadByte()
	return err == io.EOF
}

func TestProxyChunkedResponse(t *testing.T) {
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		for i := range 3 {
			fmt.Fprintf(w, "part %d;", i)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Sum", "3")
	})
	t.Run("HTTP/1.1 client: chunked, trailer kept, connection kept", func(t *testing.T) {
		rc := dialRaw(t, b)
		for range 2 {
			resp, body := rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if body != "part 0;part 1;part 2;" || len(resp.TransferEncoding) != 1 || resp.Close {
				t.Fatalf("body %q, transfer encoding %v, close %v", body, resp.TransferEncoding, resp.Close)
			}
			if got := resp.Trailer.Get("X-Sum"); got != "3" {
				t.Errorf("trailer X-Sum %q, want 3", got)
			}
		}
	})
	t.Run("HTTP/1.0 client: plain body, then close", func(t *testing.T) {
		rc := dialRaw(t, b)
		resp, body := rc.do("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		if body != "part 0;part 1;part 2;" || len(resp.TransferEncoding) != 0 {
			t.Fatalf("body %q, transfer encoding %v", body, resp.TransferEncoding)
		}
		if !rc.closed() {
			t.Error("the connection stayed open after a body delimited by its close")
		}
	})
}

func TestProxyRequestBodies(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %v %s", r.Method, len(body), r.TransferEncoding, body[:min(len(body), 8)])
	}
	b := leanBalancer(t, echo)
	big := strings.Repeat("x", maxLeanBody+1)
	tests := []struct{ name, raw, want string }{
		{"content length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "POST 5 [] hello"},
		{"empty", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "POST 0 [] "},
		{"chunked (net/http path)", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "POST 5 [chunked] abcde"},
		{"larger than the lean path takes", "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big, fmt.Sprintf("PUT %d [] xxxxxxxx", len(big))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, b)
			for range 2 { // and the connection serves the next request
				if resp, body := rc.do(tt.raw); resp.StatusCode != 200 || body != tt.want {
					t.Fatalf("status %d, body %q, want 200 %q", resp.StatusCode, body, tt.want)
				}
			}
		})
	}
}

func TestProxyHeadAndNoBodyResponses(t *testing.T) {
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, "hello world")
		}
	})
	rc := dialRaw(t, b)
	resp, body := rc.do("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 200 || resp.ContentLength != 11 || body != "" {
		t.Errorf("HEAD: status %d, length %d, body %q", resp.StatusCode, resp.ContentLength, body)
	}
	for _, path := range []string{"/204", "/304", "/"} {
		resp, body := rc.do("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		if path == "/" && body != "hello world" || path != "/" && body != "" {
			t.Errorf("GET %s: status %d, body %q", path, resp.StatusCode, body)
		}
	}
}

func TestProxyConnectionHandling(t *testing.T) {
	var host atomic.Value
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		host.Store(r.Host)
		io.WriteString(w, "ok")
	})
	t.Run("HTTP/1.0 without keep-alive closes", func(t *testing.T) {
		dialRaw(t, b).doLast("GET / HTTP/1.0\r\n\r\n")
		if h, _ := host.Load().(string); !strings.HasPrefix(h, "127.0.0.1:") {
			t.Errorf("without a Host, the target got Host %q, want its address", h)
		}
	})
	t.Run("HTTP/1.0 with keep-alive stays open", func(t *testing.T) {
		rc := dialRaw(t, b)
		for range 2 {
			resp, body := rc.do("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
			if body != "ok" || resp.Close || resp.Header.Get("Connection") != "keep-alive" {
				t.Fatalf("body %q, close %v, Connection %q", body, resp.Close, resp.Header.Get("Connection"))
			}
		}
	})
	t.Run("HTTP/1.1 Connection: close closes", func(t *testing.T) {
		dialRaw(t, b).doLast("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	})
	t.Run("pipelined requests", func(t *testing.T) {
		rc := dialRaw(t, b)
		io.WriteString(rc.c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
		for range 2 {
			if _, body := rc.read(false); body != "ok" {
				t.Fatalf("body %q", body)
			}
		}
	})
	t.Run("bare LF line endings: net/http's path", func(t *testing.T) {
		rc := dialRaw(t, b)
		if resp, body := rc.do("GET / HTTP/1.1\nHost: x\n\n"); body != "ok" {
			t.Errorf("status %d, body %q", resp.StatusCode, body)
		}
	})
	t.Run("1.1 without Host: 400 from net/http", func(t *testing.T) {
		rc := dialRaw(t, b)
		if resp, _ := rc.do("GET / HTTP/1.1\r\n\r\n"); resp.StatusCode != 400 {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestProxyForwardsEndToEndFieldsOnly(t *testing.T) {
	got := make(chan http.Header, 1)
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		got <- h
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-App", "end")
	})
	rc := dialRaw(t, b)
	resp, _ := rc.do("GET /p?q=1 HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n" +
		"Keep-Alive: 300\r\nTE: trailers, deflate\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nX-Keep: yes\r\n\r\n")
	h := <-got
	for _, name := range []string{"Connection", "X-Hop", "Keep-Alive"} {
		if v := h.Get(name); v != "" {
			t.Errorf("the target got %s: %q", name, v)
		}
	}
	if h.Get("Host") != "app.example" || h.Get("X-Keep") != "yes" || h.Get("Te") != "trailers" {
		t.Errorf("the target got Host %q, X-Keep %q, Te %q", h.Get("Host"), h.Get("X-Keep"), h.Get("Te"))
	}
	for _, name := range []string{"X-Private", "Keep-Alive"} {
		if v := resp.Header.Get(name); v != "" {
			t.Errorf("the client got %s: %q", name, v)
		}
	}
	if resp.Header.Get("X-App") != "end" {
		t.Errorf("the client lost X-App")
	}
}

// rawBackend serves each connection with serve, on a listener of its own.
func rawBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String(), conns
}

// readRequest reads a request head (the tests' requests have no body).
func readRawRequest(br *bufio.Reader) error {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if line == "\r\n" {
			return nil
		}
	}
}

func TestProxyTargetClosesPooledConnection(t *testing.T) {
	// The target answers one request per connection and then closes it,
	// without saying so: the pooled connection is dead when reused.
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if readRawRequest(br) == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	b := startBalancer(t, RoundRobin, time.Second)
	b.Register("t", addr)
	b.SetHealthy("t", true)
	rc := dialRaw(t, b)
	for i := range 3 {
		if resp, body := rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("GET %d: status %d %q, want a retry on a fresh connection", i, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // the close reaches the balancer
	}
	// A request that is not safe to repeat is not repeated; before it
	// reuses a connection, the balancer checks that it is still open.
	resp, _ := rc.do("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
	if resp.StatusCode != 200 {
		t.Errorf("POST: status %d, want 200", resp.StatusCode)
	}
	if n := conns.Load(); n != 4 {
		t.Errorf("%d target connections for 4 requests, want 4", n)
	}
}

func TestProxyReusesTargetConnections(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	var opened atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	b := startBalancer(t, RoundRobin, time.Second)
	b.Register("t", strings.TrimPrefix(srv.URL, "http://"))
	b.SetHealthy("t", true)
	rc := dialRaw(t, b)
	for range 20 {
		rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	if n := opened.Load(); n != 1 {
		t.Errorf("%d target connections for 20 sequential requests, want 1", n)
	}
	if req, _, resp := b.Totals(); req != 20 || resp != 20 {
		t.Errorf("Totals: %d requests, %d responses, want 20 and 20", req, resp)
	}
}

func TestProxyTargetFailures(t *testing.T) {
	tests := []struct {
		name   string
		answer string // all the target sends before it closes the connection
		want   int    // 0: the client sees the connection cut
	}{
		{"garbage instead of a response", "SSH-2.0-OpenSSH\r\n\r\n", 502},
		{"close before the head ends", "HTTP/1.1 200 OK\r\nContent-", 502},
		{"unsolicited switch of protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 502},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				readRawRequest(br)
				io.WriteString(c, tt.answer)
			})
			b := startBalancer(t, RoundRobin, 300*time.Millisecond)
			b.Register("t", addr)
			b.SetHealthy("t", true)
			rc := dialRaw(t, b)
			io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(rc.br, nil)
			if tt.want == 0 {
				if err == nil {
					_, err = io.ReadAll(resp.Body)
				}
				if err == nil {
					t.Error("the client got a whole response")
				}
				return
			}
			if err != nil || resp.StatusCode != tt.want {
				t.Fatalf("response %v, %v; want %d", resp, err, tt.want)
			}
		})
	}
}

func TestProxyCloseDelimitedResponse(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		readRawRequest(br)
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
	})
	b := startBalancer(t, RoundRobin, time.Second)
	b.Register("t", addr)
	b.SetHealthy("t", true)
	rc := dialRaw(t, b)
	for range 2 { // chunked to the client, whose connection stays open
		if resp, body := rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "until the end" || resp.Close {
			t.Fatalf("body %q, close %v", body, resp.Close)
		}
	}
}

func TestProxyInformationalResponses(t *testing.T) {
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "final")
	})
	rc := dialRaw(t, b)
	io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if line, _ := rc.br.ReadString('\n'); line != "HTTP/1.1 103 Early Hints\r\n" {
		t.Fatalf("first line %q, want the 103", line)
	}
	for line := ""; line != "\r\n"; line, _ = rc.br.ReadString('\n') {
	}
	if _, body := rc.read(false); body != "final" {
		t.Errorf("body %q", body)
	}
}

func TestProxyNetHTTPPath(t *testing.T) {
	// Expect and Upgrade go through ReverseProxy.
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			body, _ := io.ReadAll(r.Body)
			w.Write(body)
			return
		}
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "echo")
		w.WriteHeader(http.StatusSwitchingProtocols)
		c, brw, _ := http.NewResponseController(w).Hijack()
		defer c.Close()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	})
	t.Run("Expect: 100-continue", func(t *testing.T) {
		rc := dialRaw(t, b)
		io.WriteString(rc.c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
		if line, _ := rc.br.ReadString('\n'); line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("first line %q, want 100 Continue", line)
		}
		rc.br.ReadString('\n')
		io.WriteString(rc.c, "body")
		resp, body := rc.read(false)
		for resp.StatusCode == http.StatusContinue { // the target's own, passed on
			resp, body = rc.read(false)
		}
		if body != "body" {
			t.Errorf("body %q", body)
		}
	})
	t.Run("Upgrade", func(t *testing.T) {
		rc := dialRaw(t, b)
		io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		resp, err := http.ReadResponse(rc.br, nil)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("response %v, %v", resp, err)
		}
		io.WriteString(rc.c, "hi\n")
		if line, _ := rc.br.ReadString('\n'); line != "echo: hi\n" {
			t.Errorf("after the upgrade, got %q", line)
		}
	})
}

func TestProxyCancelsWhenTheClientGoes(t *testing.T) {
	canceled := make(chan bool, 1)
	b := startBalancer(t, RoundRobin, 10*time.Second)
	b.Register("t", backendServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			canceled <- true
		case <-time.After(5 * time.Second):
			canceled <- false
		}
	}))
	b.SetHealthy("t", true)
	rc := dialRaw(t, b)
	io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	for outstanding(b, "t") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	rc.c.Close()
	if !<-canceled {
		t.Error("the target's request went on after the client left")
	}
	deadline := time.Now().Add(2 * time.Second)
	for outstanding(b, "t") != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := outstanding(b, "t"); n != 0 {
		t.Errorf("%d requests outstanding after the client left", n)
	}
}

func TestProxyLargeResponseHead(t *testing.T) {
	big := strings.Repeat("v", 20<<10)
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", big)
		io.WriteString(w, "ok")
	})
	rc := dialRaw(t, b)
	for range 2 {
		resp, body := rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if body != "ok" || resp.Header.Get("X-Big") != big {
			t.Fatalf("status %d, body %q, X-Big of %d bytes", resp.StatusCode, body, len(resp.Header.Get("X-Big")))
		}
	}
}

func TestProxyBalancerCloseEndsRequests(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	b := New(RoundRobin, 10*time.Second)
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	b.Register("t", backendServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	b.SetHealthy("t", true)
	rc := dialRaw(t, b)
	io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	for outstanding(b, "t") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	b.Close()
	if !rc.closed() {
		t.Error("Close left the client connection open")
	}
}

func TestParseChunkSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "a": 10, "FF": 255, "1f;ext=1": 31, "10 ": 16, "": -1, ";x": -1, "g": -1, "1234567890abcdef": -1} {
		if got := parseChunkSize([]byte(in)); got != want {
			t.Errorf("parseChunkSize(%q) = %d, want %d", in, got, want)
		}
	}
}

// BenchmarkBalancer compares the lean path with the ReverseProxy it
// replaced (ServeHTTP, served by net/http), on the same balancer and
// target, over keep-alive client connections.
func BenchmarkBalancer(b *testing.B) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") }))
	defer target.Close()
	bal := New(RoundRobin, 10*time.Second)
	if err := bal.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer bal.Close()
	bal.Register("t", strings.TrimPrefix(target.URL, "http://"))
	bal.SetHealthy("t", true)
	viaNetHTTP := httptest.NewServer(bal)
	defer viaNetHTTP.Close()
	for _, bc := range []struct{ name, addr string }{
		{"lean", bal.listener.Addr().String()},
		{"reverseproxy", strings.TrimPrefix(viaNetHTTP.URL, "http://")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := []byte("GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\n\r\n")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", bc.addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				for pb.Next() {
					if _, err := c.Write(req); err != nil {
						b.Error(err)
						return
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != 200 {
						b.Errorf("status %d, %v", resp.StatusCode, err)
						return
					}
					resp.Body.Close()
				}
			})
		})
	}
}

func TestProxyNoTargetWithUnreadBody(t *testing.T) {
	b := startBalancer(t, RoundRobin, time.Second)
	rc := dialRaw(t, b)
	body := strings.Repeat("x", 512<<10)
	go io.WriteString(rc.c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+fmt.Sprint(len(body))+"\r\n\r\n"+body)
	resp, _ := rc.read(false)
	if resp.StatusCode != 503 || !resp.Close {
		t.Errorf("status %d, close %v; want 503 and close", resp.StatusCode, resp.Close)
	}
}

func TestProxyConcurrentClients(t *testing.T) {
	b := startBalancer(t, LeastOutstandingRequests, 5*time.Second)
	for _, id := range []string{"a", "b", "c"} {
		b.Register(id, namedBackend(t, id))
		b.SetHealthy(id, true)
	}
	const clients, each = 8, 50
	errs := make(chan error, clients)
	for range clients {
		go func() {
			c, err := net.Dial("tcp", b.listener.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			for i := range each {
				fmt.Fprintf(c, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var sum int64
	for _, ts := range b.Targets() {
		sum += ts.Requests
		if ts.Outstanding != 0 {
			t.Errorf("target %s: %d outstanding", ts.ID, ts.Outstanding)
		}
	}
	if sum != clients*each {
		t.Errorf("targets counted %d requests, want %d", sum, clients*each)
	}
}
