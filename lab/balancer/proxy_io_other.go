//go:build !linux

package balancer

import (
	"io"
	"net"
)

// socketIO is the connection itself where the raw path (proxy_io_linux.go)
// is not built.
func socketIO(c net.Conn) io.ReadWriter { return c }
