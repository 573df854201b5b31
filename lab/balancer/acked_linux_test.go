package balancer

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// waitAcked waits until the peer's kernel has acknowledged all that was
// written on c: the bytes are then in the peer's receive queue, where a
// peek sees them, however late the peer's process runs.
func waitAcked(c net.Conn) {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return
	}
	const siocoutq = 0x5411 // bytes not yet acknowledged
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		var n int32
		rc.Control(func(fd uintptr) {
			syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutq, uintptr(unsafe.Pointer(&n)))
		})
		if n == 0 {
			return
		}
	}
}
