package local

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
)

// A lost daemon is one line naming the daemon, the root cause and what to
// do, however the calls that met it wrapped or joined their errors.
func TestLostErrorIsOneLine(t *testing.T) {
	call := func(name string) error {
		return fmt.Errorf("remove task container %s: %w", name,
			&url.Error{Op: "Post", URL: "http://%2Ftmp%2Fd.sock/v1.41/containers/" + name, Err: io.EOF})
	}
	err := error(&LostError{Host: "unix:///tmp/d.sock", Err: errors.Join(call("t1"), call("t2"))})
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("message has several lines:\n%s", msg)
	}
	for _, want := range []string{"unix:///tmp/d.sock", "(EOF)", "lab gc"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
	if !errors.Is(err, io.EOF) {
		t.Error("the cause is not in the chain")
	}
}

func TestPortTaken(t *testing.T) {
	for msg, want := range map[string]bool{
		"Error response from daemon: driver failed programming external connectivity on endpoint lab-x-e1-t1 (0123): Error starting userland proxy: listen tcp4 127.0.0.1:32799: bind: address already in use": true,
		"Error response from daemon: driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:8080 failed: port is already allocated":                                                 true,
		"Error response from daemon: No such container: 0123": false,
	} {
		if got := portTaken(errors.New(msg)); got != want {
			t.Errorf("portTaken(%q) = %v, want %v", msg, got, want)
		}
	}
}
