package balancer

import (
	"net/http"
	"strings"
	"testing"
)

// The lean path's parser, head by head: which fields it forwards, which
// it drops as hop-by-hop, and which requests it leaves to net/http.

func TestNameOf(t *testing.T) {
	if len(fieldNames) != int(fieldXIdempotencyKey)+1 {
		t.Fatalf("fieldNames spells %d names, want %d", len(fieldNames)-1, fieldXIdempotencyKey)
	}
	for n, s := range fieldNames[1:] {
		want := fieldName(n + 1)
		for _, name := range []string{s, strings.ToUpper(s), http.CanonicalHeaderKey(s)} {
			if got := nameOf([]byte(name)); got != want {
				t.Errorf("nameOf(%q) = %d, want %d", name, got, want)
			}
		}
	}
	for _, name := range []string{"", "t", "hosts", "user-agent", "x-forwarded-host", "content-lengt", strings.Repeat("x", 40)} {
		if got := nameOf([]byte(name)); got != otherField {
			t.Errorf("nameOf(%q) = %d, want otherField", name, got)
		}
	}
}

// kinds is the kind of each field of h, by name.
func kinds(h *head) map[string]fieldKind {
	out := map[string]fieldKind{}
	for _, f := range h.fields {
		out[string(f.name)] = f.kind
	}
	return out
}

func TestParseRequestFields(t *testing.T) {
	tests := []struct {
		fields   string // after "POST / HTTP/1.1\r\nHost: x\r\n"
		fallback bool
		kind     fieldKind // of the first field
		check    func(h *head) bool
	}{
		{"X-App: 1", false, forward, nil},
		{"Content-Length: 5", false, forward, func(h *head) bool { return h.contentLength == 5 }},
		{"Content-Length: 5\r\nContent-Length: 5", true, 0, nil},
		{"Content-Length: -1", true, 0, nil},
		{"Content-Length: 1234567890123456789", true, 0, nil},
		{"Transfer-Encoding: chunked", true, 0, nil},
		{"Expect: 100-continue", true, 0, nil},
		{"Upgrade: websocket", true, 0, nil},
		{"Connection: Upgrade", true, 0, nil},
		{"Connection: close", false, hopByHop, func(h *head) bool { return h.close && !h.wantsKeepAlive() }},
		{"Connection: X-Named\r\nX-Named: 1", false, hopByHop, func(h *head) bool { return kinds(h)["X-Named"] == hopByHop }},
		{"TE: trailers, deflate", false, hopByHop, func(h *head) bool { return h.teTrailers }},
		{"TE: deflate", false, hopByHop, func(h *head) bool { return !h.teTrailers }},
		{"Trailer: X-Sum", false, hopByHop, nil},
		{"Keep-Alive: 300", false, hopByHop, nil},
		{"Proxy-Connection: keep-alive", false, hopByHop, nil},
		{"Proxy-Authenticate: Basic", false, hopByHop, nil},
		{"Proxy-Authorization: Basic eA==", false, hopByHop, nil},
		{"X-Forwarded-For: 10.0.0.1", false, forwardedFor, nil},
		{"X-Forwarded-Host: a", false, forward, nil}, // ALB passes it on
		{"X-Forwarded-Proto: https", false, hopByHop, nil},
		{"X-Forwarded-Port: 443", false, hopByHop, nil},
		{"Idempotency-Key: k", false, forward, func(h *head) bool { return h.idempotent }},
		{"X-Idempotency-Key: k", false, forward, func(h *head) bool { return h.idempotent }},
		{"X-Bad: a\x01b", true, 0, nil},
		{"X Bad: 1", true, 0, nil},
		{" folded: 1", true, 0, nil},
		{"Host: y", true, 0, nil}, // a second Host
	}
	for _, tt := range tests {
		var h head
		raw := "POST / HTTP/1.1\r\nHost: x\r\n" + tt.fields + "\r\n\r\n"
		err := h.parseRequest([]byte(raw))
		if tt.fallback {
			if err != errFallback {
				t.Errorf("%q: %v, want errFallback", tt.fields, err)
			}
			continue
		}
		switch {
		case err != nil:
			t.Errorf("%q: %v", tt.fields, err)
		case len(h.fields) < 2 || h.fields[1].kind != tt.kind:
			t.Errorf("%q: fields %q, want the first of kind %d", tt.fields, h.fields, tt.kind)
		case tt.check != nil && !tt.check(&h):
			t.Errorf("%q: parsed as %+v", tt.fields, h)
		case h.size != len(raw) || h.idempotent != (tt.check != nil && strings.Contains(tt.fields, "dempotency")):
			t.Errorf("%q: size %d of %d, idempotent %v", tt.fields, h.size, len(raw), h.idempotent)
		}
	}
}

func TestParseRequestLine(t *testing.T) {
	for raw, want := range map[string]error{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n":                  nil,
		"HEAD /a?b HTTP/1.0\r\n\r\n":                         nil,
		"GET / HTTP/1.1\r\n\r\n":                             errFallback, // 1.1 without Host
		"GET / HTTP/2.0\r\nHost: x\r\n\r\n":                  errFallback,
		"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n":          errFallback,
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n":              errFallback,
		"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n":          errFallback,
		"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n":               errFallback,
		"GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n":              errFallback,
		"G(T / HTTP/1.1\r\nHost: x\r\n\r\n":                  errFallback,
		" GET / HTTP/1.1\r\nHost: x\r\n\r\n":                 errFallback,
		"GET  / HTTP/1.1\r\nHost: x\r\n\r\n":                 errFallback,
		"GET / HTTP/1.1 \r\nHost: x\r\n\r\n":                 errFallback,
		"GET / http/1.1\r\nHost: x\r\n\r\n":                  errFallback,
		"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n":       errFallback,
		"DELETE /x HTTP/1.1\r\nHost: x\r\nX: 1\r\n\r\n":      nil,
		"GET /x HTTP/1.1\r\nHost: x\r\nX-Long: \t a\r\n\r\n": nil,
	} {
		var h head
		if err := h.parseRequest([]byte(raw)); err != want {
			t.Errorf("%q: %v, want %v", raw, err, want)
		}
	}
	var h head
	if h.parseRequest([]byte("HEAD /p HTTP/1.0\r\n\r\n")); string(h.method) != "HEAD" || string(h.target) != "/p" || h.minor != 0 || !h.isHead || !h.idempotent {
		t.Errorf("HEAD /p HTTP/1.0: method %q, target %q, minor %d, isHead %v, idempotent %v", h.method, h.target, h.minor, h.isHead, h.idempotent)
	}
	if h.parseRequest([]byte("POST /p HTTP/1.1\r\nHost: x\r\n\r\n")); h.idempotent || h.isHead || h.contentLength != -1 {
		t.Errorf("POST: idempotent %v, isHead %v, length %d", h.idempotent, h.isHead, h.contentLength)
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		raw  string
		err  error
		kind map[string]fieldKind
		// Framing: the length (-1 none) and whether chunked.
		length  int64
		chunked bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: 1\r\n\r\n", nil,
			map[string]fieldKind{"Content-Length": forward, "X-App": forward}, 2, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", nil, nil, 2, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nTrailer: X-Sum\r\n\r\n", nil,
			map[string]fieldKind{"Transfer-Encoding": hopByHop, "Content-Length": hopByHop, "Trailer": announces}, -1, true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 200 OK\r\nConnection: close, X-P\r\nX-P: 1\r\nKeep-Alive: 5\r\nUpgrade: h2\r\nTE: x\r\nProxy-Connection: a\r\nProxy-Authenticate: b\r\nProxy-Authorization: c\r\nX-Forwarded-For: d\r\n\r\n", nil,
			map[string]fieldKind{"Connection": hopByHop, "X-P": hopByHop, "Keep-Alive": hopByHop, "Upgrade": hopByHop, "TE": hopByHop,
				"Proxy-Connection": hopByHop, "Proxy-Authenticate": hopByHop, "Proxy-Authorization": forward, "X-Forwarded-For": forward}, -1, false},
		{"HTTP/1.0 204\r\n\r\n", nil, nil, -1, false},
		{"HTTP/1.1 200OK\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.2 200 OK\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 2x0 OK\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 20 OK\r\n\r\n", errBadResponse, nil, 0, false},
		{"HTTP/1.1 200 OK\r\n folded: 1\r\n\r\n", errBadResponse, nil, 0, false},
		{"SSH-2.0-OpenSSH\r\n\r\n", errBadResponse, nil, 0, false},
	}
	for _, tt := range tests {
		var h head
		err := h.parseResponse([]byte(tt.raw))
		if err != tt.err {
			t.Errorf("%q: %v, want %v", tt.raw, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if h.contentLength != tt.length || h.chunked != tt.chunked {
			t.Errorf("%q: length %d chunked %v, want %d %v", tt.raw, h.contentLength, h.chunked, tt.length, tt.chunked)
		}
		got := kinds(&h)
		for name, want := range tt.kind {
			if got[name] != want {
				t.Errorf("%q: %s of kind %d, want %d", tt.raw, name, got[name], want)
			}
		}
	}
	var h head
	if h.parseResponse([]byte("HTTP/1.0 404 Not Found\r\n\r\n")); h.code != 404 || string(h.status) != "404 Not Found" || h.minor != 0 {
		t.Errorf("404: code %d, status %q, minor %d", h.code, h.status, h.minor)
	}
}
