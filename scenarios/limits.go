package scenarios

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// Upper bounds of what a scenario may ask for. A local run carries all of
// it on one host: every task is a container with its own stats stream and
// health checks, every worker a connection the generator keeps busy.
const (
	// MaxTasks bounds the desired count: count, scale, autoscaling max.
	MaxTasks = 50
	// MaxWorkers bounds a closed phase's concurrent clients.
	MaxWorkers = 1000
	// MinIdleTimeout and MaxIdleTimeout bound balancer.idle_timeout as
	// ALB bounds its idle_timeout.timeout_seconds.
	MinIdleTimeout = time.Second
	MaxIdleTimeout = 4000 * time.Second
	// MaxGenerators bounds load.generators.
	MaxGenerators = 32
)

// Why each bound is there, as the error says it.
const (
	whyMaxTasks      = "a local run starts every task as a container on this host"
	whyMaxWorkers    = "every worker is a connection the load generator keeps open on this host"
	whyMaxGenerators = "each generator is a process (a container locally, a Fargate task on ECS) that lab starts and reads every second"
)

// bounded reads a whole number from lo to hi; above hi, the error says
// why the bound is there.
func (r *reader) bounded(lo, hi int, why string) func(ast.Node, string, *int) bool {
	return func(n ast.Node, path string, dst *int) bool {
		var v int
		if !r.AtLeast(lo)(n, path, &v) {
			return false
		}
		if v > hi {
			r.Errorf(n, path, "%d is over the limit of %d: %s", v, hi, why)
			return false
		}
		*dst = v
		return true
	}
}

// tasks reads a task count: from lo to MaxTasks.
func (r *reader) tasks(lo int) func(ast.Node, string, *int) bool {
	return r.bounded(lo, MaxTasks, whyMaxTasks)
}

// Request headers lab sets itself, or that would change how a request is
// framed or the connection it travels on: a scenario cannot set them.
var reservedHeaders = map[string]string{
	"host":              "lab sends each request to the target it runs",
	"content-length":    "lab sets it from body",
	"transfer-encoding": "lab frames the body itself",
	"connection":        "it is hop-by-hop: the balancer would drop it",
	"keep-alive":        "it is hop-by-hop: the balancer would drop it",
	"proxy-connection":  "it is hop-by-hop: the balancer would drop it",
	"te":                "it is hop-by-hop: the balancer would drop it",
	"trailer":           "lab sends no trailers",
	"upgrade":           "lab measures HTTP/1.1 requests, not upgraded connections",
}

// headers reads a request's headers: names are HTTP tokens and none of the
// reserved ones, values have no control characters (CR and LF would start
// another header, or another request).
func (r *reader) headers(n ast.Node, path string, dst *map[string]string) bool {
	if !r.SecretMap(n, path, dst) {
		return false
	}
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(*dst)) {
		sub := strictyaml.JoinPath(path, k)
		lower := strings.ToLower(k)
		switch why, reserved := reservedHeaders[lower]; {
		case !validToken(k):
			r.ErrorAtKey(sub, "%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)", strictyaml.Clip(k))
		case reserved:
			r.ErrorAtKey(sub, "a scenario cannot set %s: %s", k, why)
		case seen[lower] != "":
			r.ErrorAtKey(sub, "same header as %s: header names ignore case", seen[lower])
		case !validHeaderValue((*dst)[k]):
			r.ErrorPath(sub, "the value has a control character (CR, LF, NUL...); a header value is one line of text")
		}
		if seen[lower] == "" {
			seen[lower] = k
		}
	}
	return true
}

// validToken reports whether s is an HTTP token (RFC 9110, 5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s has no control character but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
