package load

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// Request is one kind of request of a weighted mix (Config.Mix): of every
// sum-of-weights requests sent, Weight are this one.
type Request struct {
	Method string // default GET
	URL    string
	Header http.Header
	Body   string
	Weight int // default 1
}

// mix picks the kind of each request sent: a smooth weighted round robin,
// so that weights 3:1 send A A B A A A B A ... rather than A A A B, and
// every window of the run sees the mix, not only the whole run.
type mix struct {
	order []int // indexes into the kinds, one per weight unit
	next  atomic.Uint64
}

func newMix(weights []int) *mix {
	total := 0
	for _, w := range weights {
		total += w
	}
	m := &mix{order: make([]int, 0, total)}
	current := make([]int, len(weights))
	for range total {
		best := 0
		for i, w := range weights {
			current[i] += w
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		m.order = append(m.order, best)
	}
	return m
}

// pick returns the kind of the next request; any goroutine may call it.
func (m *mix) pick() int {
	if len(m.order) == 1 {
		return 0
	}
	return m.order[(m.next.Add(1)-1)%uint64(len(m.order))]
}

// requests turns the Config's request or mix into request templates,
// every one to the same scheme and host (a sender keeps one connection).
func (c Config) requests() ([]*http.Request, []string, []int, error) {
	mix := c.Mix
	if len(mix) == 0 {
		mix = []Request{{Method: c.Method, URL: c.URL, Weight: 1}}
	}
	var tmpls []*http.Request
	var bodies []string
	var weights []int
	for i, r := range mix {
		method := r.Method
		if method == "" {
			method = DefaultMethod
		}
		var tmpl *http.Request
		var err error
		if r.Body != "" {
			tmpl, err = http.NewRequest(method, r.URL, strings.NewReader(r.Body))
		} else {
			tmpl, err = http.NewRequest(method, r.URL, nil)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("request %d: %w", i+1, err)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				tmpl.Header.Add(k, v)
			}
		}
		if i > 0 && (tmpl.URL.Scheme != tmpls[0].URL.Scheme || tmpl.URL.Host != tmpls[0].URL.Host) {
			return nil, nil, nil, fmt.Errorf("request %d: %s is not on %s://%s like the first: a mix goes to one host", i+1, r.URL, tmpls[0].URL.Scheme, tmpls[0].URL.Host)
		}
		w := r.Weight
		if w == 0 {
			w = 1
		}
		if w < 0 {
			return nil, nil, nil, fmt.Errorf("request %d: weight %d must be positive", i+1, w)
		}
		tmpls, bodies, weights = append(tmpls, tmpl), append(bodies, r.Body), append(weights, w)
	}
	return tmpls, bodies, weights, nil
}
