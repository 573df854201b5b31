package balancer

import (
	"net/http"
	"testing"
	"time"
)

// A second address serves as the first does, and Close stops both.
func TestListenServesAnotherAddress(t *testing.T) {
	b := New(RoundRobin, time.Second)
	if err := b.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	b.Register("t1", backendServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("t1")) }))
	b.SetHealthy("t1", true)
	addr, err := b.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr+"/"); code != http.StatusOK || body != "t1" {
		t.Errorf("through the second address: %d %q, want 200 from t1", code, body)
	}
	b.Close()
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Error("the second address still serves after Close")
	}
	if _, err := b.Listen("127.0.0.1:0"); err == nil {
		t.Error("Listen after Close succeeded")
	}
}
