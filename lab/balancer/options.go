package balancer

import "time"

// Options configure a balancer. Zero fields take the defaults below.
type Options struct {
	// Algorithm is RoundRobin (the default) or LeastOutstandingRequests.
	Algorithm string
	// TargetTimeout bounds the wait for a target's response head (504
	// after it); zero or less waits without end.
	TargetTimeout time.Duration
	// IdleTimeout closes a client connection on which no request has
	// started for this long, and one whose request body stops arriving
	// for this long: ALB's connection idle timeout (default 60 s).
	IdleTimeout time.Duration
	// HeaderTimeout bounds the arrival of a request head once its first
	// byte came, and of a body small enough to be buffered with it
	// (default 10 s).
	HeaderTimeout time.Duration
	// MaxConns bounds the client connections open at once (default
	// 4096). Past it the balancer accepts no more until one closes: new
	// connections wait in the kernel's listen queue.
	MaxConns int
}

// Defaults of Options.
const (
	DefaultIdleTimeout   = 60 * time.Second
	DefaultHeaderTimeout = 10 * time.Second
	DefaultMaxConns      = 4096
)

// withDefaults fills in the zero fields.
func (o Options) withDefaults() Options {
	if o.Algorithm == "" {
		o.Algorithm = RoundRobin
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	return o
}
