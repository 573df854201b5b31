//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package balancer

import (
	"net"
	"syscall"
)

// peerClosed reports whether the other end of c has closed it (or reset
// it), without blocking and without consuming anything: a peek at the
// socket's receive queue.
func peerClosed(c net.Conn) bool {
	rc := syscallConn(c)
	if rc == nil {
		return false
	}
	closed := false
	rc.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0 // end of stream
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		default:
			closed = true // reset
		}
	})
	return closed
}
