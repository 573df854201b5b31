//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package balancer

import (
	"cmp"
	"net"
	"runtime"
	"syscall"
	"unsafe"
)

// peerClosed reports whether the other end of c has closed it (or reset
// it), without blocking and without consuming anything.
func peerClosed(c net.Conn) bool {
	n, e, ok := peek(c)
	return ok && (e == 0 && n == 0 || e != 0 && e != syscall.EAGAIN && e != syscall.EWOULDBLOCK)
}

// An idlePeek checks an idle connection to a target before it is reused,
// with what it needs bound once, so that a check allocates nothing.
type idlePeek struct {
	rc   syscall.RawConn
	n    uintptr
	e    syscall.Errno
	call func(fd uintptr)
}

// newIdlePeek is nil when c has no socket to peek at.
func newIdlePeek(c net.Conn) *idlePeek {
	rc := syscallConn(c)
	if rc == nil {
		return nil
	}
	p := &idlePeek{rc: rc}
	p.call = func(fd uintptr) { p.n, p.e = recvPeek(fd) }
	return p
}

// usable reports whether the idle connection can carry a request: it is
// open and nothing waits in it. Bytes waiting in an idle connection (an
// unsolicited response, a body after a HEAD, 204 or 304) would be read as
// the next request's response; net/http's Transport refuses such a
// connection too.
func (p *idlePeek) usable() bool {
	if p == nil {
		return true
	}
	if p.rc.Control(p.call) != nil {
		return false
	}
	return p.e == syscall.EAGAIN || p.e == syscall.EWOULDBLOCK
}

// peek looks at c's receive queue: one non-blocking MSG_PEEK read, which
// consumes nothing. n is 0 with no error at the end of the stream; ok is
// false when c has no socket to peek at.
func peek(c net.Conn) (n uintptr, e syscall.Errno, ok bool) {
	rc := syscallConn(c)
	if rc == nil {
		return 0, 0, false
	}
	err := rc.Control(func(fd uintptr) { n, e = recvPeek(fd) })
	return n, e, err == nil
}

// recvPeek peeks at one byte of fd's receive queue without blocking.
func recvPeek(fd uintptr) (n uintptr, e syscall.Errno) {
	var b [1]byte
	const flags = syscall.MSG_PEEK | syscall.MSG_DONTWAIT
	if runtime.GOOS != "linux" { // elsewhere, system calls go through libc
		for e = syscall.EINTR; e == syscall.EINTR; {
			m, _, err := syscall.Recvfrom(int(fd), b[:], flags)
			n, e = uintptr(max(m, 0)), 0
			if err != nil {
				e, _ = err.(syscall.Errno)
				e = cmp.Or(e, syscall.EIO)
			}
		}
		return n, e
	}
	for e = syscall.EINTR; e == syscall.EINTR; {
		// Raw: the call never blocks (see rawCall).
		n, _, e = syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1, flags, 0, 0)
	}
	return n, e
}
