package balancer

import (
	"bufio"
	"net"
	"sync"
	"syscall"
	"time"
)

// Connections from the balancer to its targets, kept alive between
// requests: one pool per target, as net/http's Transport keeps them.
const (
	dialTimeout      = 2 * time.Second
	idleConnTimeout  = 90 * time.Second
	maxIdlePerTarget = 1024
)

// An upstream is one connection to a target.
type upstream struct {
	c      net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	idle   time.Time // when it went back to its pool
	reused bool      // it served a request before this one
	peek   *idlePeek // checks it before it is reused
}

func (u *upstream) close() { u.c.Close() }

// syscallConn is c's socket, or nil when c has none.
func syscallConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// A pool holds a target's idle connections, the most recently used last.
type pool struct {
	mu     sync.Mutex
	idle   []*upstream
	closed bool
}

// get takes the most recently used idle connection, or nil.
func (p *pool) get(now time.Time) *upstream {
	p.mu.Lock()
	n := len(p.idle)
	if n == 0 {
		p.mu.Unlock()
		return nil
	}
	u := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	var stale []*upstream
	if now.Sub(u.idle) > idleConnTimeout { // then so are all the others
		stale, p.idle = append(p.idle, u), nil
		u = nil
	}
	p.mu.Unlock()
	for _, s := range stale {
		s.close()
	}
	return u
}

// put returns a connection that finished a request cleanly.
func (p *pool) put(u *upstream, now time.Time) {
	u.idle = now
	p.mu.Lock()
	if p.closed || len(p.idle) >= maxIdlePerTarget {
		p.mu.Unlock()
		u.close()
		return
	}
	var stale *upstream
	if len(p.idle) > 0 && now.Sub(p.idle[0].idle) > idleConnTimeout {
		stale = p.idle[0]
		p.idle = append(p.idle[:0], p.idle[1:]...)
	}
	p.idle = append(p.idle, u)
	p.mu.Unlock()
	if stale != nil {
		stale.close()
	}
}

// close closes the idle connections and those that come back later.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, u := range idle {
		u.close()
	}
}

// conn returns a connection to the target: an idle one unless fresh, else
// a new one. An idle one is peeked at first (one non-blocking system
// call): one that the target closed, or that has bytes waiting, is closed.
func (be *backend) conn(fresh bool) (*upstream, error) {
	if !fresh {
		now := time.Now()
		for u := be.pool.get(now); u != nil; u = be.pool.get(now) {
			if !u.peek.usable() {
				u.close()
				continue
			}
			u.reused = true
			return u, nil
		}
	}
	c, err := net.DialTimeout("tcp", be.addr, dialTimeout)
	if err != nil {
		return nil, err
	}
	rw := socketIO(c, nil)
	return &upstream{c: c, br: bufio.NewReaderSize(rw, 8<<10), bw: bufio.NewWriterSize(rw, 4<<10), peek: newIdlePeek(c)}, nil
}
