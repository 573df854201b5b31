package balancer

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Deadlines and limits on client connections: what a slow or idle client
// may hold. The timeouts are short, set through Options; the assertions
// only wait for what must happen, with room for a loaded host.

// startWith starts a balancer with opts and one healthy target, a raw
// backend that answers "ok" and counts its connections.
func startWith(t *testing.T, opts Options) (b *Balancer, targetConns func() int64) {
	t.Helper()
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	b = NewWithOptions(opts)
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.Register("t", addr)
	b.SetHealthy("t", true)
	return b, conns.Load
}

// closedWithin reports whether the balancer ends the connection within d,
// whatever it sends before.
func (rc *rawConn) closedWithin(d time.Duration) bool {
	rc.c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, rc.br)
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestProxyClosesIdleClientConnections(t *testing.T) {
	const idle = 200 * time.Millisecond
	b, _ := startWith(t, Options{IdleTimeout: idle})
	t.Run("after a response", func(t *testing.T) {
		rc := dialRaw(t, b)
		start := time.Now() // before the request: a slow client cannot make the close look early
		rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if !rc.closedWithin(2 * time.Second) {
			t.Fatal("the idle connection is still open")
		}
		if took := time.Since(start); took < idle-10*time.Millisecond {
			t.Errorf("closed after %v, before the idle timeout of %v", took, idle)
		}
	})
	t.Run("without a request", func(t *testing.T) {
		if !dialRaw(t, b).closedWithin(2 * time.Second) {
			t.Fatal("the silent connection is still open")
		}
	})
	t.Run("a request within the timeout keeps it", func(t *testing.T) {
		rc := dialRaw(t, b)
		for range 3 {
			if _, body := rc.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "ok" {
				t.Fatalf("body %q", body)
			}
			time.Sleep(idle / 4)
		}
	})
}

func TestProxySlowClientHoldsNoTarget(t *testing.T) {
	tests := []struct{ name, sent string }{
		{"head", "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "},
		{"small body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, targetConns := startWith(t, Options{HeaderTimeout: 200 * time.Millisecond})
			rc := dialRaw(t, b)
			io.WriteString(rc.c, tt.sent)
			if !rc.closedWithin(2 * time.Second) {
				t.Fatal("the slow client's connection is still open")
			}
			if n := targetConns(); n != 0 {
				t.Errorf("the target got %d connections for a request that never arrived", n)
			}
		})
	}
}

func TestProxyStalledBodyIsCut(t *testing.T) {
	tests := []struct{ name, sent string }{
		{"lean path, larger than the buffer", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 20000)},
		{"net/http path, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := startWith(t, Options{IdleTimeout: 200 * time.Millisecond})
			rc := dialRaw(t, b)
			io.WriteString(rc.c, tt.sent)
			if !rc.closedWithin(2 * time.Second) {
				t.Fatal("the connection with a stalled body is still open")
			}
		})
	}
}

func TestProxyLimitsRequestHeads(t *testing.T) {
	b, targetConns := startWith(t, Options{})
	rc := dialRaw(t, b)
	big := strings.Repeat("v", 100<<10) // past the lean buffer: net/http's path
	go io.WriteString(rc.c, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+big+"\r\n\r\n")
	resp, err := http.ReadResponse(rc.br, nil) // the rest may be cut by a reset
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("response %v, %v; want 431", resp, err)
	}
	if n := targetConns(); n != 0 {
		t.Errorf("the target got %d connections", n)
	}
}

func TestProxyBoundsClientConnections(t *testing.T) {
	b, _ := startWith(t, Options{MaxConns: 1})
	first := dialRaw(t, b)
	if _, body := first.do("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); body != "ok" {
		t.Fatalf("body %q", body)
	}
	second := dialRaw(t, b) // connects: the kernel's listen queue takes it
	io.WriteString(second.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	second.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := second.br.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection past the limit was served (%v)", err)
	}
	first.c.Close()
	second.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, body := second.read(false); body != "ok" {
		t.Errorf("once a slot was free: body %q", body)
	}
}

func TestProxyCutsAClientThatStopsReading(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stalled writes are watched on Linux only")
	}
	tests := []struct{ name, request string }{
		{"lean path", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"net/http path", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			released := make(chan struct{})
			b := NewWithOptions(Options{IdleTimeout: 200 * time.Millisecond})
			if err := b.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			b.Register("t", backendServer(t, func(w http.ResponseWriter, r *http.Request) {
				chunk := strings.Repeat("x", 64<<10)
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
					if _, err := io.WriteString(w, chunk); err != nil {
						break
					}
				}
				close(released)
			}))
			b.SetHealthy("t", true)
			rc := dialRaw(t, b)
			io.WriteString(rc.c, tt.request) // and never read
			select {
			case <-released:
			case <-time.After(5 * time.Second):
				t.Fatal("a client that reads nothing still holds the target's response")
			}
			for deadline := time.Now().Add(2 * time.Second); outstanding(b, "t") != 0 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			if n := outstanding(b, "t"); n != 0 {
				t.Errorf("%d requests outstanding after the client was cut", n)
			}
		})
	}
}
