//go:build !linux

package balancer

import (
	"net"
	"time"
)

// waitAcked cannot ask the kernel here: it gives the bytes a moment.
func waitAcked(net.Conn) { time.Sleep(50 * time.Millisecond) }
