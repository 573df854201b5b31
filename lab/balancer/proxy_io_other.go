//go:build !linux

package balancer

import (
	"io"
	"net"
)

// socketIO is the connection itself where the raw path (proxy_io_linux.go)
// is not built; writes are not watched for stalls (onStall).
func socketIO(c net.Conn, onStall func(stalled bool)) io.ReadWriter { return c }
