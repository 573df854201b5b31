package local

import (
	"context"
	"sync"
	"time"
)

// oomWatch remembers the containers Docker reported OOM-killed, and lets
// the stop of a container wait for an oom event that comes after its die.
type oomWatch struct {
	mu      sync.Mutex
	killed  map[string]bool
	waiters map[string]chan struct{}
}

// mark records Docker's oom event for a container.
func (o *oomWatch) mark(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.killed == nil {
		o.killed = map[string]bool{}
	}
	o.killed[id] = true
	if ch, ok := o.waiters[id]; ok {
		close(ch)
		delete(o.waiters, id)
	}
}

// seen reports whether Docker reported the container OOM-killed.
func (o *oomWatch) seen(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.killed[id]
}

// wait reports whether Docker reports the container OOM-killed within d.
func (o *oomWatch) wait(ctx context.Context, id string, d time.Duration) bool {
	o.mu.Lock()
	if o.killed[id] {
		o.mu.Unlock()
		return true
	}
	if o.waiters == nil {
		o.waiters = map[string]chan struct{}{}
	}
	ch, ok := o.waiters[id]
	if !ok {
		ch = make(chan struct{})
		o.waiters[id] = ch
	}
	o.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	return o.seen(id)
}

// forget drops what is known of a container that is gone.
func (o *oomWatch) forget(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.killed, id)
	delete(o.waiters, id) // a waiter, if any, times out
}
