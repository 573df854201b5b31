package balancer

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// socketIO reads and writes a TCP connection's socket with raw system
// calls, waiting in Go's netpoller when it would block. A read or write
// on a non-blocking socket returns at once, so it needs none of what
// syscall.Syscall does for calls that may block: with GOMAXPROCS=1 that
// bookkeeping wakes the runtime's monitor thread (sysmon) after every idle
// spell and lets it take the processor away during longer writes, which
// costs futex calls and context switches on the balancer's one core at
// every request.
//
// onStall, if not nil, is called with true when a write finds no room
// (before it waits), and with false once that write is done.
func socketIO(c net.Conn, onStall func(stalled bool)) io.ReadWriter {
	rc := syscallConn(c)
	if rc == nil {
		return c
	}
	r := &rawIO{rc: rc, onStall: onStall}
	r.read, r.write = r.readFD, r.writeFD // bound once: no allocation per call
	return r
}

type rawIO struct {
	rc          syscall.RawConn
	buf         []byte // of the call in progress
	n           int
	err         error
	read, write func(fd uintptr) bool
	onStall     func(stalled bool)
	stalled     bool
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.buf, r.n, r.err = p, 0, nil
	err := r.rc.Read(r.read)
	r.buf = nil
	if err != nil {
		return 0, err
	}
	return r.n, r.err
}

// readFD reads once; false asks the netpoller to wait for data.
func (r *rawIO) readFD(fd uintptr) bool {
	n, e := rawCall(syscall.SYS_READ, fd, r.buf)
	switch {
	case e == syscall.EAGAIN:
		return false
	case e != 0:
		r.err = e
	case n == 0:
		r.err = io.EOF
	default:
		r.n = int(n)
	}
	return true
}

func (r *rawIO) Write(p []byte) (int, error) {
	r.buf, r.n, r.err = p, 0, nil
	err := r.rc.Write(r.write)
	n := r.n
	r.buf = nil
	if r.stalled {
		r.stalled = false
		r.onStall(false)
	}
	if err == nil {
		err = r.err
	}
	return n, err
}

// writeFD writes what is left; false asks the netpoller to wait for room.
func (r *rawIO) writeFD(fd uintptr) bool {
	for r.n < len(r.buf) {
		n, e := rawCall(syscall.SYS_WRITE, fd, r.buf[r.n:])
		switch {
		case e == syscall.EAGAIN:
			if r.onStall != nil && !r.stalled {
				r.stalled = true
				r.onStall(true)
			}
			return false
		case e != 0:
			r.err = e
			return true
		}
		r.n += int(n)
	}
	return true
}

// rawCall makes a read or write system call (trap) on fd with p, again
// when a signal interrupted it. p is not empty. The error is an Errno, not
// an error, so that the common EAGAIN costs no interface comparison; and
// the function is kept small enough for the compiler to inline it.
func rawCall(trap, fd uintptr, p []byte) (n uintptr, e syscall.Errno) {
	for e = syscall.EINTR; e == syscall.EINTR; {
		n, _, e = syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	}
	return n, e
}
