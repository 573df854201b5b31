package balancer

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestXForwardedFieldsAsALBSetsThem(t *testing.T) {
	got := make(chan http.Header, 1)
	b := leanBalancer(t, func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() })
	tests := []struct {
		name, fields, wantFor string
	}{
		{"none sent", "", "127.0.0.1"},
		{"appended to the client's", "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nX-Forwarded-For: 10.0.0.3\r\n" +
			"X-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\nX-Forwarded-Host: app.example\r\n",
			"10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1"},
	}
	paths := append(forwardingPaths[:len(forwardingPaths):len(forwardingPaths)], forwardingPaths[0])
	paths[len(paths)-1].name = "second listener"
	paths[len(paths)-1].url = func(t *testing.T, b *Balancer) string {
		addr, err := b.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return "http://" + addr
	}
	for _, path := range paths {
		url := path.url(t, b)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://")) // the listener the client reached
		for _, tt := range tests {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				rc := &rawConn{t: t, c: c}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				rc.br = bufio.NewReader(c)
				rc.do("GET / HTTP/1.1\r\nHost: x\r\n" + tt.fields + "\r\n")
				h := <-got
				if v := h["X-Forwarded-For"]; len(v) != 1 || v[0] != tt.wantFor {
					t.Errorf("X-Forwarded-For %q, want %q", v, tt.wantFor)
				}
				if v := h["X-Forwarded-Proto"]; len(v) != 1 || v[0] != "http" {
					t.Errorf("X-Forwarded-Proto %q, want http", v)
				}
				if v := h["X-Forwarded-Port"]; len(v) != 1 || v[0] != port {
					t.Errorf("X-Forwarded-Port %q, want the listener's %s", v, port)
				}
				if tt.fields != "" && h.Get("X-Forwarded-Host") != "app.example" {
					t.Errorf("X-Forwarded-Host %q, want it passed on", h.Get("X-Forwarded-Host"))
				}
			})
		}
	}
}
