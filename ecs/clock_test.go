package ecs

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// Responses whose Dates (whole seconds) fall at different points of the
// second narrow the offset to about their round trip, and the true
// offset always lies within the bound.
func TestServerClockNarrowsToTheRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, offset := range []time.Duration{0, 2345 * time.Millisecond, -41 * time.Second, 999 * time.Millisecond} {
		var c ServerClock
		local := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		for i := range 60 {
			local = local.Add(time.Duration(rng.Int64N(int64(2 * time.Second))))
			rtt := 20*time.Millisecond + time.Duration(rng.Int64N(int64(30*time.Millisecond)))
			served := local.Add(time.Duration(rng.Int64N(int64(rtt)))) // when the server read its clock
			date := served.Add(offset).Truncate(time.Second)
			c.Observe(local, local.Add(rtt), date)
			got, bound, n := c.Offset()
			if n != i+1 {
				t.Fatalf("offset %v: %d responses counted after %d", offset, n, i+1)
			}
			if d := (got - offset).Abs(); d > bound {
				t.Fatalf("offset %v: measured %v ± %v after %d responses", offset, got, bound, n)
			}
		}
		if _, bound, _ := c.Offset(); bound > 50*time.Millisecond {
			t.Errorf("offset %v: bound %v after 60 responses, want within a round trip (50 ms)", offset, bound)
		}
	}
}

// A response that contradicts the bounds (this machine's clock was set)
// starts them afresh.
func TestServerClockStartsAfreshWhenTheClockIsSet(t *testing.T) {
	var c ServerClock
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	c.Observe(t0, t0.Add(10*time.Millisecond), t0)
	t1 := t0.Add(time.Minute)
	c.Observe(t1, t1.Add(10*time.Millisecond), t1.Add(-30*time.Second)) // AWS now 30 s behind
	got, bound, n := c.Offset()
	if n != 1 || (got+30*time.Second).Abs() > bound || bound > time.Second {
		t.Errorf("after the step: %v ± %v from %d responses; want -30 s from 1", got, bound, n)
	}
}

// The clients show every response's Date to their clock.
func TestClientsMeasureTheServerClock(t *testing.T) {
	var c ServerClock
	client := clockingClient{next: roundTripper(func(*http.Request) (*http.Response, error) {
		h := http.Header{}
		h.Set("Date", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		return &http.Response{StatusCode: http.StatusOK, Header: h, Body: http.NoBody}, nil
	}), clock: &c}
	req, _ := http.NewRequest(http.MethodGet, "http://aws.invalid/", nil)
	if _, err := client.Do(req); err != nil {
		t.Fatal(err)
	}
	if got, bound, n := c.Offset(); n != 1 || (got-90*time.Second).Abs() > bound {
		t.Errorf("%v ± %v from %d responses; want 90 s from 1", got, bound, n)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) Do(r *http.Request) (*http.Response, error) { return f(r) }
