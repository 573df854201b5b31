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
func socketIO(c net.Conn) io.ReadWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawIO{rc: rc}
	r.read, r.write = r.readFD, r.writeFD // bound once: no allocation per call
	return r
}

type rawIO struct {
	rc          syscall.RawConn
	buf         []byte // of the call in progress
	n           int
	err         error
	read, write func(fd uintptr) bool
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
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)))
		switch e {
		case 0:
			if r.n = int(n); n == 0 {
				r.err = io.EOF
			}
			return true
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.err = e
			return true
		}
	}
}

func (r *rawIO) Write(p []byte) (int, error) {
	r.buf, r.n, r.err = p, 0, nil
	err := r.rc.Write(r.write)
	n := r.n
	r.buf = nil
	if err == nil {
		err = r.err
	}
	return n, err
}

// writeFD writes what is left; false asks the netpoller to wait for room.
func (r *rawIO) writeFD(fd uintptr) bool {
	for r.n < len(r.buf) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&r.buf[r.n])), uintptr(len(r.buf)-r.n))
		switch e {
		case 0:
			r.n += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			r.err = e
			return true
		}
	}
	return true
}
