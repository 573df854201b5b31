package balancer

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The balancer's lean HTTP/1.1 path. net/http's ReverseProxy costs several
// goroutines, channel hand-offs and a header map per request; here one
// goroutine per client connection reads a request, writes it to a pooled
// connection to the target and copies the response back, with the bytes
// parsed in place (proxy_head.go) and the buffers reused. What it does not
// handle (Upgrade, Expect, chunked or large request bodies, unusual
// request targets or heads) goes to net/http and ReverseProxy: the
// connection, with what was read from it, is handed to an http.Server.

const (
	// maxRequestHead bounds a request head on the net/http path (ALB's
	// limit on a request's header); the lean path takes heads that fit in
	// its 8 KiB buffer.
	maxRequestHead = 64 << 10
	// maxLeanBody is the largest request body the lean path forwards; it
	// writes the body before it reads the response, so a target that
	// answers a large upload while reading it is left to net/http.
	maxLeanBody = 1 << 20
	// clientCheck is how often a request that waits for its target checks
	// that the client is still there; a gone client cancels the request,
	// as net/http's server does.
	clientCheck = time.Second
	// maxResponseHead bounds a target's response head.
	maxResponseHead = 1 << 20
)

var errClientGone = errors.New("balancer: the client went away")

// A proxyConn is one client connection on the lean path.
type proxyConn struct {
	b        *Balancer
	c        net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	req, res head
	pending  int                      // bytes of the request head not yet consumed from br
	up       atomic.Pointer[upstream] // the target connection in use, for Close
	clientIP string                   // for X-Forwarded-For
	// forwarded are the X-Forwarded-Proto and -Port lines added to every
	// request, for the listener that accepted the connection.
	forwarded string
	// idleUntil is the read deadline armIdle set, still in force; zero
	// once another one replaced it.
	idleUntil time.Time
}

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

// serveLean accepts client connections until the listener closes. Past
// Options.MaxConns open connections it waits for one to close before it
// serves the one it accepted: the next ones wait in the listen queue, and
// no memory grows for them.
func (b *Balancer) serveLean(ln net.Listener) {
	forwarded := "X-Forwarded-Proto: http\r\nX-Forwarded-Port: " + portOf(ln.Addr()) + "\r\n"
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if b.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, as
			// net/http's server does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		b.slots <- struct{}{} // a connection past the limit waits here, the next ones in the listen queue
		pc := &proxyConn{b: b, c: c, clientIP: hostOf(c.RemoteAddr()), forwarded: forwarded}
		if !b.track(pc, true) {
			c.Close()
			<-b.slots
			continue
		}
		go pc.serve()
	}
}

// track adds (or removes) a client connection to those Close closes.
func (b *Balancer) track(pc *proxyConn, add bool) bool {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	if !add {
		delete(b.conns, pc)
		return true
	}
	if b.closed.Load() {
		return false
	}
	if b.conns == nil {
		b.conns = map[*proxyConn]struct{}{}
	}
	b.conns[pc] = struct{}{}
	return true
}

// serve forwards the connection's requests until either side closes it.
func (pc *proxyConn) serve() {
	br := readers.Get().(*bufio.Reader)
	bw := writers.Get().(*bufio.Writer)
	rw := socketIO(pc.c, pc.writeStalled)
	br.Reset(rw)
	bw.Reset(rw)
	pc.br, pc.bw = br, bw
	handedOff, answered := false, false
	defer func() {
		pc.b.track(pc, false)
		bw.Reset(nil)
		writers.Put(bw)
		if handedOff {
			return // its slot goes when net/http closes it
		}
		defer func() { <-pc.b.slots }()
		if answered {
			closeGracefully(pc.c)
		} else {
			pc.c.Close()
		}
		br.Reset(nil)
		readers.Put(br)
	}()
	for {
		if br.Buffered() == 0 {
			pc.armIdle()
		}
		if _, err := br.Peek(1); err != nil {
			return // the client closed its idle connection, or left it idle
		}
		keep, err := pc.serveOne()
		if errors.Is(err, errFallback) || errors.Is(err, errHeadTooLarge) {
			handedOff = pc.b.handoff(pc.c, br)
			return
		}
		if !keep {
			answered = err == nil
			return
		}
	}
}

// armIdle sets the read deadline of ALB's idle timeout before the wait
// for a request: no request, no connection. The deadline goes a little
// past the timeout (slack) so that it need not move at every request of
// a busy connection: the connection closes after an idle spell of the
// timeout and at most the slack, never sooner.
func (pc *proxyConn) armIdle() {
	now, idle := time.Now(), pc.b.idleTimeout
	if pc.idleUntil.Sub(now) >= idle {
		return
	}
	slack := min(idle/16, time.Second)
	pc.idleUntil = now.Add(idle + slack)
	pc.c.SetReadDeadline(pc.idleUntil)
}

// writeStalled bounds a write to the client that finds no room: a client
// that stops reading its response is cut after the idle timeout (ALB's
// "no data sent"), and frees the target connection it holds.
func (pc *proxyConn) writeStalled(stalled bool) {
	if stalled {
		pc.c.SetWriteDeadline(time.Now().Add(pc.b.idleTimeout))
	} else {
		pc.c.SetWriteDeadline(time.Time{})
	}
}

// setReadDeadline sets another read deadline than armIdle's.
func (pc *proxyConn) setReadDeadline(d time.Duration) {
	pc.idleUntil = time.Time{}
	pc.c.SetReadDeadline(time.Now().Add(d))
}

// closeGracefully closes a connection after a response: it stops
// writing, then waits a little for the client to close its side, so that
// the request bytes it still sends do not turn into a reset that could
// destroy the response in flight (net/http's server does the same).
func closeGracefully(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		io.CopyN(io.Discard, c, maxLeanBody)
	}
	c.Close()
}

// serveOne reads one request and forwards it. errFallback leaves the
// request, unconsumed, to net/http.
//
// No target is chosen before the head, and a body that fits in the
// reader's buffer, have arrived: a client that sends them slowly holds no
// target connection, only its buffer, until HeaderTimeout closes it.
func (pc *proxyConn) serveOne() (keep bool, err error) {
	deadline := false
	setDeadline := func() {
		pc.setReadDeadline(pc.b.headerTimeout)
		deadline = true
	}
	raw, err := readHead(pc.br, setDeadline)
	if err != nil {
		return false, err
	}
	req := &pc.req
	if err := req.parseRequest(raw); errors.Is(err, errBadRequest) {
		pc.answerFailure(err, false)
		return false, pc.bw.Flush()
	} else if err != nil {
		return false, err
	}
	if req.contentLength > maxLeanBody {
		return false, errFallback
	}
	if whole := req.size + int(req.contentLength); req.contentLength > 0 && whole <= pc.br.Size() && pc.br.Buffered() < whole {
		if !deadline {
			setDeadline()
		}
		if _, err := pc.br.Peek(whole); err != nil {
			return false, err
		}
	}
	pc.pending = req.size
	keep = pc.forward()
	pc.consumeHead()
	// The response goes out once the counters have it.
	return pc.bw.Flush() == nil && keep, nil
}

func (pc *proxyConn) consumeHead() {
	if pc.pending > 0 {
		pc.br.Discard(pc.pending)
		pc.pending = 0
	}
}

// forward routes the request to a target, with the balancer's counters.
func (pc *proxyConn) forward() bool {
	be := pc.b.pick()
	if be == nil {
		return pc.answerFailure(errNoTarget, pc.req.contentLength <= 0)
	}
	start := pc.b.begin(be)
	keep := pc.roundTrip(be)
	pc.b.end(be, start)
	return keep
}

// roundTrip sends the request to be and relays the response; false when
// the client connection must close. A request that is safe to repeat is
// sent again, once, on a fresh connection when a reused one turns out to
// have been closed by the target before it answered.
func (pc *proxyConn) roundTrip(be *backend) bool {
	req := &pc.req
	hasBody := req.contentLength > 0
	retry := req.idempotent && !hasBody
	for fresh := false; ; fresh = true {
		up, err := be.conn(fresh)
		if err != nil {
			return pc.answerFailure(err, !hasBody)
		}
		pc.up.Store(up)
		if pc.b.closed.Load() {
			up.close()
			return false
		}
		bodyDone, err := pc.writeRequest(up, be.addr)
		if errors.Is(err, errClientGone) {
			pc.drop(up)
			return false
		}
		if err != nil && up.reused && retry && !fresh {
			pc.drop(up)
			continue
		}
		// Even when writing failed, the target may have answered (say, a
		// 413 before it closed): read what it sent.
		got, err := pc.readResponse(up)
		if err != nil {
			pc.drop(up)
			if errors.Is(err, errClientGone) {
				return false
			}
			if !got && up.reused && retry && !fresh && !errors.Is(err, errTimeout) {
				continue
			}
			return pc.answerFailure(err, bodyDone)
		}
		return pc.relay(be, up, bodyDone)
	}
}

// drop closes a target connection that cannot be reused.
func (pc *proxyConn) drop(up *upstream) {
	up.close()
	pc.up.Store(nil)
}

// writeRequest writes the request head, without its hop-by-hop fields,
// and its body. bodyDone reports that the body was read from the client
// entirely; errClientGone that reading it failed.
func (pc *proxyConn) writeRequest(up *upstream, addr string) (bodyDone bool, err error) {
	req, w := &pc.req, up.bw
	w.Write(req.method)
	w.WriteByte(' ')
	w.Write(req.target)
	w.WriteString(" HTTP/1.1\r\n")
	if req.hosts == 0 { // HTTP/1.0 without Host: name the target, as net/http does
		w.WriteString("Host: ")
		w.WriteString(addr)
		w.WriteString("\r\n")
	}
	for i := range req.fields {
		if f := &req.fields[i]; f.kind == forward {
			w.Write(f.line)
			w.WriteString("\r\n")
		}
	}
	if req.teTrailers {
		w.WriteString("Te: trailers\r\n")
	}
	pc.writeForwarded(w)
	w.WriteString("\r\n")
	if req.contentLength > 0 {
		pc.consumeHead()
		var beforeRead func() // a body larger than the buffer streams, each read within the idle timeout
		if int64(pc.br.Buffered()) < req.contentLength {
			beforeRead = func() { pc.setReadDeadline(pc.b.idleTimeout) }
		}
		if err := copyN(w, pc.br, req.contentLength, beforeRead); err != nil {
			var se sideError
			if errors.As(err, &se) && se.src {
				return false, errClientGone
			}
			return false, err
		}
	}
	return true, w.Flush()
}

// writeForwarded writes the X-Forwarded fields as ALB sets them: the
// client's address appended to the X-Forwarded-For it sent, the
// listener's protocol and port.
func (pc *proxyConn) writeForwarded(w *bufio.Writer) {
	w.WriteString("X-Forwarded-For: ")
	for i := range pc.req.fields {
		if f := &pc.req.fields[i]; f.kind == forwardedFor {
			if v := f.value(); len(v) > 0 {
				w.Write(v)
				w.WriteString(", ")
			}
		}
	}
	w.WriteString(pc.clientIP)
	w.WriteString("\r\n")
	w.WriteString(pc.forwarded)
}

// hostOf is the host part of a connection's address, as X-Forwarded-For
// names it.
func hostOf(addr net.Addr) string {
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// portOf is the port of a listener's address, as X-Forwarded-Port names
// it.
func portOf(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

// readResponse reads the response head into pc.res. Informational (1xx)
// responses are passed on to HTTP/1.1 clients and skipped. got reports
// that the target sent something.
func (pc *proxyConn) readResponse(up *upstream) (got bool, err error) {
	now := time.Now()
	deadline := now.Add(pc.b.targetTimeout)
	if pc.b.targetTimeout <= 0 {
		deadline = now.Add(100 * 365 * 24 * time.Hour)
	}
	for {
		wait := deadline
		if deadline.Sub(now) > clientCheck {
			wait = now.Add(clientCheck)
		}
		up.c.SetReadDeadline(wait)
		_, err := up.br.Peek(1)
		if err == nil {
			break
		}
		if !isTimeout(err) {
			return false, err
		}
		if now = time.Now(); !now.Before(deadline) {
			return false, errTimeout
		}
		if peerClosed(pc.c) {
			return false, errClientGone
		}
	}
	res := &pc.res
	for {
		raw, err := readHead(up.br, func() { up.c.SetReadDeadline(deadline) })
		if errors.Is(err, errHeadTooLarge) && up.br.Size() < maxResponseHead {
			// A rare large head: read this connection through a larger
			// buffer from now on.
			up.br = bufio.NewReaderSize(up.br, maxResponseHead)
			continue
		}
		if err != nil {
			if isTimeout(err) {
				return true, errTimeout
			}
			return true, errBadResponse
		}
		if err := res.parseResponse(raw); err != nil {
			return true, err
		}
		if res.code >= 200 {
			return true, nil
		}
		if res.code == http.StatusSwitchingProtocols {
			return true, errBadResponse // nobody asked to switch
		}
		if pc.req.minor == 1 {
			pc.writeStatus(res)
			pc.bw.WriteString("\r\n")
			if err := pc.bw.Flush(); err != nil {
				return true, errClientGone
			}
		}
		up.br.Discard(res.size)
	}
}

// relay copies the response in pc.res, and its body, to the client (the
// last bytes stay buffered), then returns the target connection to its
// pool when it can serve again.
func (pc *proxyConn) relay(be *backend, up *upstream, bodyDone bool) bool {
	req, res, w := &pc.req, &pc.res, pc.bw
	keep := bodyDone && req.wantsKeepAlive()
	reuse := bodyDone && res.minor == 1 && !res.close
	const (
		none = iota
		length
		chunked   // passed on chunked
		dechunked // chunked from the target, plain to an HTTP/1.0 client
		rechunked // until close from the target, chunked to the client
		untilEOF
	)
	mode := none
	switch {
	case req.isHead || res.code == http.StatusNoContent || res.code == http.StatusNotModified:
	case res.chunked && req.minor == 1:
		mode = chunked
	case res.chunked:
		mode, keep = dechunked, false
	case res.contentLength >= 0:
		mode = length
	case req.minor == 1:
		mode, reuse = rechunked, false
	default:
		mode, keep, reuse = untilEOF, false, false
	}
	for i := range res.fields {
		if f := &res.fields[i]; f.kind == announces && mode != chunked {
			f.kind = hopByHop
		}
	}
	pc.writeStatus(res)
	if mode == chunked || mode == rechunked {
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	pc.endHead(keep)
	up.br.Discard(res.size)

	// The target timeout covers the response head only: a body that is
	// not in the buffer yet may take its time.
	if mode != none && (mode != length || int64(up.br.Buffered()) < res.contentLength) {
		up.c.SetReadDeadline(time.Time{})
	}
	var err error
	switch mode {
	case length:
		err = copyN(w, up.br, res.contentLength, nil)
	case chunked, dechunked:
		err = copyChunked(w, up.br, mode == chunked)
	case rechunked, untilEOF:
		err = copyUntilEOF(w, up.br, mode == rechunked)
	}
	if err != nil || !reuse || up.br.Buffered() > 0 {
		pc.drop(up)
		return err == nil && keep
	}
	pc.up.Store(nil)
	be.pool.put(up, time.Now())
	return keep
}

// writeStatus writes the status line and the end-to-end fields of res.
func (pc *proxyConn) writeStatus(res *head) {
	w := pc.bw
	w.WriteString("HTTP/1.1 ")
	w.Write(res.status)
	if len(res.status) == 3 {
		w.WriteByte(' ') // an empty reason phrase still follows a space
	}
	w.WriteString("\r\n")
	for i := range res.fields {
		if f := &res.fields[i]; f.kind != hopByHop {
			w.Write(f.line)
			w.WriteString("\r\n")
		}
	}
}

// endHead ends a response head: the Connection field the client needs,
// if any, and the blank line.
func (pc *proxyConn) endHead(keep bool) {
	w := pc.bw
	switch {
	case !keep:
		w.WriteString("Connection: close\r\n")
	case pc.req.minor == 0:
		w.WriteString("Connection: keep-alive\r\n")
	}
	w.WriteString("\r\n")
}

// answerFailure buffers the balancer's own answer when no target answered
// (see failure), as http.Error writes it. The connection stays open when
// the request was read entirely.
func (pc *proxyConn) answerFailure(err error, bodyDone bool) bool {
	code, msg := failure(err)
	req, w := &pc.req, pc.bw
	keep := bodyDone && req.wantsKeepAlive()
	w.WriteString("HTTP/1.1 ")
	w.WriteString(strconv.Itoa(code))
	w.WriteByte(' ')
	w.WriteString(http.StatusText(code))
	w.WriteString("\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nDate: ")
	w.WriteString(time.Now().UTC().Format(http.TimeFormat))
	w.WriteString("\r\nContent-Length: ")
	w.WriteString(strconv.Itoa(len(msg) + 1))
	w.WriteString("\r\n")
	pc.endHead(keep)
	if !req.isHead {
		w.WriteString(msg)
		w.WriteByte('\n')
	}
	return keep
}
