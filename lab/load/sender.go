package load

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// A sender sends requests one at a time and returns each one's outcome: an
// HTTP status code, or a negative code (see classify). Each closed-model
// worker and each goroutine of the open model's pool owns one, and its state
// (its connection, its context, its request) is reused from one request to
// the next, which keeps allocations off the hot path.
type sender interface {
	send() int
	close()
}

var (
	_ sender = (*rawSender)(nil)
	_ sender = (*httpSender)(nil)
)

// newSender returns the fast HTTP/1.1 sender when the generator owns the
// client and the URL is plain http, and a net/http one otherwise (a Client
// from the Config, or https).
func (g *Generator) newSender(ctx context.Context) sender {
	if g.raw != nil {
		return &rawSender{ctx: ctx, spec: g.raw, mix: g.mix}
	}
	return &httpSender{ctx: ctx, client: g.client, timeout: g.cfg.Timeout, tmpls: g.tmpls, bodies: g.bodies, mix: g.mix}
}

// rawSpec is what every rawSender shares: each kind of request serialised
// once, and where to dial.
type rawSpec struct {
	addr    string // host:port
	kinds   []rawRequest
	timeout time.Duration
	dialer  net.Dialer
}

type rawRequest struct {
	wire       []byte        // the request as sent on the wire
	tmpl       *http.Request // tells http.ReadResponse the method (HEAD has no body)
	idempotent bool          // may be sent again after a reused connection failed before answering
}

func newRawSpec(tmpls []*http.Request, timeout time.Duration) (*rawSpec, error) {
	spec := &rawSpec{timeout: timeout, dialer: net.Dialer{KeepAlive: 30 * time.Second}}
	for _, tmpl := range tmpls {
		var wire bytes.Buffer
		if err := tmpl.Write(&wire); err != nil {
			return nil, err
		}
		spec.kinds = append(spec.kinds, rawRequest{wire: wire.Bytes(), tmpl: tmpl, idempotent: isIdempotent(tmpl.Method)})
	}
	spec.addr = tmpls[0].URL.Host
	if tmpls[0].URL.Port() == "" {
		spec.addr = net.JoinHostPort(tmpls[0].URL.Hostname(), "80")
	}
	return spec, nil
}

// isIdempotent tells the methods net/http's Transport also sends again.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// rawSender is a minimal HTTP/1.1 client over one keep-alive connection,
// used by one goroutine at a time: it writes the pre-serialised request and
// reads the response with http.ReadResponse on the calling goroutine. Where
// net/http's Transport hands each request to a write goroutine and each
// response from a read goroutine (channels, wake-ups, a context per
// request), this is a write and a read system call, as in wrk.
//
// The per-request timeout is a deadline on the connection. Run's context
// reaches an in-flight request through context.AfterFunc, registered once
// per connection, which sets a deadline in the past.
type rawSender struct {
	ctx  context.Context
	spec *rawSpec
	mix  *mix
	req  *rawRequest // of the send in progress

	conn net.Conn
	br   *bufio.Reader
	used int // requests this connection has answered
	stop func() bool
}

func (r *rawSender) send() int {
	r.req = &r.spec.kinds[r.mix.pick()]
	deadline := time.Now().Add(r.spec.timeout) // for the dial, the write and the read, retry included
	for {
		if r.conn == nil {
			if err := r.dial(deadline); err != nil {
				return r.classify(err)
			}
		}
		code, unanswered := r.roundTrip(deadline)
		// Like net/http, send again once on a fresh connection when a kept-alive
		// one turns out to have been closed by the server while it was idle.
		if unanswered && r.used > 0 && r.req.idempotent && r.ctx.Err() == nil {
			r.closeConn()
			continue
		}
		if code <= 0 {
			r.closeConn() // its state is unknown
		} else if r.conn != nil {
			r.used++
		}
		return code
	}
}

// roundTrip sends the request once on the current connection. unanswered
// reports a failure before any byte of a response arrived (the request may
// be sent again on another connection).
func (r *rawSender) roundTrip(deadline time.Time) (code int, unanswered bool) {
	if err := r.conn.SetDeadline(deadline); err != nil {
		return r.classify(err), false
	}
	if r.ctx.Err() != nil {
		// Cancelled before the deadline was set: the AfterFunc's deadline
		// may have been overwritten.
		return codeCancelled, false
	}
	if _, err := r.conn.Write(r.req.wire); err != nil {
		return r.classify(err), true
	}
	if _, err := r.br.Peek(1); err != nil {
		return r.classify(err), !isTimeout(err)
	}
	resp, err := http.ReadResponse(r.br, r.req.tmpl)
	// An interim response (100 Continue, 103 Early Hints) precedes the real one.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(r.br, r.req.tmpl)
	}
	if err != nil {
		return r.classify(err), false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // the body was read to its end or failed: nothing left to report
	if err != nil {
		return r.classify(err), false
	}
	if resp.Close {
		r.closeConn() // the server said so, or the body ran to the end of the connection
	}
	return resp.StatusCode, false
}

// classify is the outcome of a failed request: cancelled if Run's context is
// done (its AfterFunc made the connection fail), else the error's kind; a
// deadline on the connection is the request timeout.
func (r *rawSender) classify(err error) int {
	if r.ctx.Err() != nil {
		return codeCancelled
	}
	return errorCode(err)
}

// longAgo is a deadline in the past: it fails pending reads and writes at once.
var longAgo = time.Unix(1, 0)

func (r *rawSender) dial(deadline time.Time) error {
	ctx, cancel := context.WithDeadline(r.ctx, deadline)
	defer cancel()
	conn, err := r.spec.dialer.DialContext(ctx, "tcp", r.spec.addr)
	if err != nil {
		return err
	}
	r.conn, r.used = conn, 0
	if r.br == nil {
		r.br = bufio.NewReaderSize(conn, 4096)
	} else {
		r.br.Reset(conn)
	}
	r.stop = context.AfterFunc(r.ctx, func() { _ = conn.SetDeadline(longAgo) })
	return nil
}

func (r *rawSender) closeConn() {
	if r.conn != nil {
		r.stop()
		_ = r.conn.Close() // nothing to flush: every request was written whole or failed
		r.conn = nil
	}
}

func (r *rawSender) close() { r.closeConn() }

// httpSender sends through an http.Client. Its context, with the
// per-request timeout, and its request are reused from one request to the
// next: a timer cancels the context with errRequestTimeout when a request
// outlives the timeout, and only then are the context and request made
// anew. That keeps a context, a timer and a request allocation per request
// off the hot path.
type httpSender struct {
	ctx     context.Context // Run's
	client  *http.Client
	timeout time.Duration
	tmpls   []*http.Request
	bodies  []string
	mix     *mix

	reqCtx context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	reqs   []*http.Request // per kind, bound to reqCtx; reusable once the previous response body is closed
	req    *http.Request   // of the send in progress
}

func (h *httpSender) send() int {
	if h.reqCtx == nil {
		ctx, cancel := context.WithCancelCause(h.ctx)
		h.reqCtx, h.cancel, h.reqs = ctx, cancel, make([]*http.Request, len(h.tmpls))
		h.timer = time.AfterFunc(h.timeout, func() { cancel(errRequestTimeout) })
	} else {
		h.timer.Reset(h.timeout)
	}
	i := h.mix.pick()
	if h.reqs[i] == nil {
		h.reqs[i] = h.tmpls[i].WithContext(h.reqCtx)
	}
	h.req = h.reqs[i]
	if h.bodies[i] != "" {
		h.req.Body = io.NopCloser(strings.NewReader(h.bodies[i])) // the last send read it
	}
	code := h.roundTrip()
	// If the timer fired (or Run's context is done), the context is spent.
	if !h.timer.Stop() || h.reqCtx.Err() != nil {
		h.close()
	}
	return code
}

// roundTrip sends the request, reads the whole body (so that the connection
// is reused) and returns the status code or a negative error code.
func (h *httpSender) roundTrip() int {
	resp, err := h.client.Do(h.req)
	if err != nil {
		return classify(h.reqCtx, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	// Once the body has been read to its end, closing it only returns the
	// connection to the pool; a failure to read is what counts.
	_ = resp.Body.Close()
	if err != nil {
		return classify(h.reqCtx, err)
	}
	return resp.StatusCode
}

func (h *httpSender) close() {
	if h.reqCtx != nil {
		h.timer.Stop()
		h.cancel(nil)
		h.reqCtx, h.reqs, h.req = nil, nil, nil
	}
}
