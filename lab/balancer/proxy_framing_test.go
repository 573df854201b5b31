package balancer

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Framing rules of the lean path that keep one message from being read as
// two: each test fails on a balancer that forwards what it should refuse.

// smuggledBody is a request hidden in the body of another: 35 bytes.
const smuggledBody = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

// pathRecorder is a target that records the path of every request it reads.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
}

func (p *pathRecorder) handler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	p.paths = append(p.paths, r.URL.Path)
	p.mu.Unlock()
	io.WriteString(w, "ok")
}

func (p *pathRecorder) saw(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, q := range p.paths {
		if q == path {
			return true
		}
	}
	return false
}

func TestProxyRefusesConnectionNamingFraming(t *testing.T) {
	for _, name := range []string{"Content-Length", "content-length", "Transfer-Encoding", "Host"} {
		t.Run(name, func(t *testing.T) {
			var rec pathRecorder
			b := leanBalancer(t, rec.handler)
			rc := dialRaw(t, b)
			resp, _ := rc.do("POST /first HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, " + name +
				"\r\nContent-Length: 35\r\n\r\n" + smuggledBody)
			if resp.StatusCode != http.StatusBadRequest || !resp.Close {
				t.Errorf("status %d, close %v; want 400 and close", resp.StatusCode, resp.Close)
			}
			// The next request, on a connection of its own, reaches the
			// target after anything the first one could have left there.
			if resp, body := dialRaw(t, b).do("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"); body != "ok" {
				t.Fatalf("GET /after: status %d, body %q", resp.StatusCode, body)
			}
			if rec.saw("/smuggled") || rec.saw("/first") {
				t.Errorf("the target read %v", rec.paths)
			}
		})
	}
}

func TestProxyRefusesResponseConnectionNamingFraming(t *testing.T) {
	for _, name := range []string{"Content-Length", "Transfer-Encoding", "Host"} {
		t.Run(name, func(t *testing.T) {
			addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				for readRawRequest(br) == nil {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: "+name+"\r\nContent-Length: 5\r\n\r\nhello")
				}
			})
			b := startBalancer(t, RoundRobin, time.Second)
			b.Register("t", addr)
			b.SetHealthy("t", true)
			rc := dialRaw(t, b)
			io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(rc.br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("status %d (length %d), want 502", resp.StatusCode, resp.ContentLength)
			}
		})
	}
}

// A request whose Connection field names a framing field is refused on
// the net/http path too.
func TestNetHTTPPathRefusesConnectionNamingFraming(t *testing.T) {
	var rec pathRecorder
	b := leanBalancer(t, rec.handler)
	rc := dialRaw(t, b)
	// Expect takes the request to net/http.
	resp, _ := rc.do("POST /first HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: Content-Length\r\nContent-Length: 35\r\n\r\n" + smuggledBody)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	if rec.saw("/smuggled") || rec.saw("/first") {
		t.Errorf("the target read %v", rec.paths)
	}
}

func TestProxyDoesNotReuseATargetConnectionWithBytesWaiting(t *testing.T) {
	for _, tt := range []struct{ name, unsolicited string }{
		{"an unsolicited response", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"},
		{"a body after a 204", "stray body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release, written := make(chan struct{}), make(chan struct{})
			var n atomic.Int64
			addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
				first := n.Add(1) == 1
				for readRawRequest(br) == nil {
					if first && tt.unsolicited == "stray body" {
						io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n")
					} else {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					}
					if first {
						first = false
						<-release
						io.WriteString(c, tt.unsolicited)
						waitAcked(c)
						close(written)
					}
				}
			})
			b := startBalancer(t, RoundRobin, time.Second)
			b.Register("t", addr)
			b.SetHealthy("t", true)
			rc := dialRaw(t, b)
			rc.do("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
			close(release)
			<-written // the bytes wait in the pooled connection's socket
			if resp, body := rc.do("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"); resp.StatusCode != 200 || body != "ok" {
				t.Errorf("status %d, body %q; want 200 ok from a fresh connection", resp.StatusCode, body)
			}
			if got := conns.Load(); got != 2 {
				t.Errorf("%d target connections, want 2", got)
			}
		})
	}
}
