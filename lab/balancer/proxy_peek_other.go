//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package balancer

import "net"

// peerClosed cannot peek here: a closed connection shows when it is used
// (a retry covers idempotent requests).
func peerClosed(net.Conn) bool { return false }

// idlePeek cannot peek here either: every idle connection is usable.
type idlePeek struct{}

func newIdlePeek(net.Conn) *idlePeek { return nil }

func (*idlePeek) usable() bool { return true }
