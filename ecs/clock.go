package ecs

import (
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ServerClock measures how far AWS's clock is ahead of this machine's,
// from the Date header of every API response the clients receive, so that
// generator tasks (whose clocks Fargate keeps with Amazon Time Sync) can
// be given their common start on AWS's clock.
//
// A Date is whole seconds: the server read its clock at some instant in
// [Date, Date+1s), and that instant fell, on this machine's clock,
// between the request's sending and the response's arrival. So each
// response bounds the offset to [Date-received, Date+1s-sent], and the
// intersection over many responses, which land at different points of
// the second, narrows it to about a round trip.
type ServerClock struct {
	mu     sync.Mutex
	lo, hi time.Duration // the offset lies in [lo, hi]
	n      int           // responses behind the bounds
}

// Observe takes one response: sent and received on this machine's clock,
// date the response's Date. A response that contradicts the bounds so far
// (this machine's clock was stepped) starts them afresh.
func (c *ServerClock) Observe(sent, received, date time.Time) {
	lo, hi := date.Sub(received), date.Add(time.Second).Sub(sent)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n > 0 {
		nlo, nhi := max(c.lo, lo), min(c.hi, hi)
		if nlo <= nhi {
			c.lo, c.hi = nlo, nhi
			c.n++
			return
		}
	}
	c.lo, c.hi, c.n = lo, hi, 1
}

// Offset is AWS's clock minus this machine's, the bound of its error, and
// how many responses it rests on; zero responses mean it is unknown.
func (c *ServerClock) Offset() (offset, bound time.Duration, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		return 0, 0, 0
	}
	return (c.lo + c.hi) / 2, (c.hi - c.lo) / 2, c.n
}

// clockingClient is an HTTP client that shows each response's Date to a
// ServerClock.
type clockingClient struct {
	next  aws.HTTPClient
	clock *ServerClock
}

func (c clockingClient) Do(req *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := c.next.Do(req)
	if err != nil {
		return resp, err
	}
	received := time.Now()
	if date, derr := http.ParseTime(resp.Header.Get("Date")); derr == nil {
		c.clock.Observe(sent, received, date)
	}
	return resp, nil
}
