package lab

import (
	"net/http"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/scenarios"
)

// LoadMix is the scenario's requests (or its one GET of load.path) as the
// generator sends them, to the target's endpoint.
func LoadMix(endpoint string, reqs []scenarios.Request) []load.Request {
	mix := make([]load.Request, len(reqs))
	for i, q := range reqs {
		h := http.Header{}
		for k, v := range q.Headers {
			h.Set(k, v)
		}
		mix[i] = load.Request{Method: q.Method, URL: endpoint + q.Path, Header: h, Body: q.Body, Weight: q.Weight}
	}
	return mix
}
