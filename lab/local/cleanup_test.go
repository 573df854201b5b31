package local

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/errdefs"
)

// The removal of a task that died is made by a goroutine nobody waits
// for: when it fails, Close says so instead of dropping the error.
func TestFailedRemovalOfADeadTaskIsReported(t *testing.T) {
	d := newFakeDocker()
	tg, _ := startFakeTarget(t, d, 1)
	d.mu.Lock()
	var dead string
	for id := range d.containers {
		dead = id
	}
	var once sync.Once
	d.failRemove = func(id string) error {
		var err error
		if id == dead {
			once.Do(func() { err = errdefs.System(errors.New("device or resource busy")) })
		}
		return err
	}
	d.mu.Unlock()

	d.die(dead, 1, false, 0)
	eventually(t, "the dead task's removal was not tried", func() bool {
		tg.mu.Lock()
		defer tg.mu.Unlock()
		return len(tg.kept) > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := tg.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "remove stopped task") || !strings.Contains(err.Error(), "busy") {
		t.Errorf("Close: %v, want the failed removal", err)
	}
	if n := len(d.names()); n != 0 {
		t.Errorf("%d containers left, want Close to remove them all the same", n)
	}
}
