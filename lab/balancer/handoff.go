package balancer

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The way from the lean path to net/http: a client connection whose
// request the lean path does not handle goes, with what was read from it,
// to the http.Server that serves Balancer.ServeHTTP.

// handoff gives a client connection to the net/http server, with what was
// read from it and not consumed; false when the balancer is closed.
func (b *Balancer) handoff(c net.Conn, br *bufio.Reader) bool {
	select {
	case b.handoffs.conns <- &handedConn{Conn: c, r: br, slots: b.slots}:
		return true
	case <-b.handoffs.done:
		return false
	}
}

// A handedConn is a client connection handed to net/http: reads start
// with the bytes buffered by the lean path. Its first Close frees its
// slot among the balancer's connections.
type handedConn struct {
	net.Conn
	r      *bufio.Reader
	slots  chan struct{}
	closed sync.Once
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *handedConn) Close() error {
	err := c.Conn.Close()
	c.closed.Do(func() { <-c.slots })
	return err
}

// A handoffListener is the net/http server's listener: it accepts the
// connections that the lean path hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// An idleWriter is a response on the net/http path whose every write to
// the client must be done within the idle timeout: a client that stops
// reading is cut, as on the lean path.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *idleWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	defer w.rc.SetWriteDeadline(time.Time{})
	return w.ResponseWriter.Write(p)
}

// FlushError is what ReverseProxy's flushes call.
func (w *idleWriter) FlushError() error {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	defer w.rc.SetWriteDeadline(time.Time{})
	return w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the server's writer (Hijack
// for an upgrade).
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// An idleBody is a request body on the net/http path whose every read
// must start to return within the idle timeout, as on the lean path; the
// deadline goes once the body has been read.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
