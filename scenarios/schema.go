package scenarios

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// The schema: which fields each mapping of a scenario file has, and how
// each is read into the model. Checks that involve a single value are made
// here, at the node; checks across fields are in validate.go.

func (r *reader) scenario(n ast.Node) *Scenario {
	s := defaultScenario()
	r.object(n, "", []field{
		{"name", true, into(r.name, &s.Name)},
		{"description", false, into(r.str, &s.Description)},
		{"workload", true, into(r.workload, &s.Workload)},
		{"service", true, into(r.service, &s.Service)},
		{"balancer", false, into(r.balancer, &s.Balancer)},
		{"load", true, into(r.load, &s.Load)},
		{"actions", false, into(listOf(r, r.action), &s.Actions)},
		{"matrix", false, into(listOf(r, r.override), &s.Matrix)},
		{"autoscaling", false, into(r.autoscaling, &s.Autoscaling)},
		{"thresholds", false, into(listOf(r, r.threshold), &s.Thresholds)},
		{"ecs", false, into(r.ecs, &s.ECS)},
	})
	return s
}

// name reads the scenario's name: it names results directories and
// container labels, so it is kept to a safe alphabet.
func (r *reader) name(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.str(n, path, &s) {
		return false
	}
	if !validName(s) {
		r.errorf(n, path, "%q is not a valid name: use letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters (it names the results directory)", clip(s))
		return false
	}
	*dst = s
	return true
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func (r *reader) workload(n ast.Node, path string, w *Workload) bool {
	return r.object(n, path, []field{
		{"builtin", false, into(r.boolean, &w.Builtin)},
		{"image", false, into(r.str, &w.Image)},
		{"port", false, into(r.intBetween(1, 65535), &w.Port)},
		{"env", false, into(r.env, &w.Env)},
		{"command", false, into(listOf(r, r.str), &w.Command)},
	})
}

// env reads environment variables: names as a shell takes them, values
// any scalar (1 is "1").
func (r *reader) env(n ast.Node, path string, dst *map[string]string) bool {
	if !r.stringMap(n, path, dst) {
		return false
	}
	for k := range *dst {
		if !validEnvName(k) {
			r.errorAt(r.keyPos[joinPath(path, k)], joinPath(path, k), "%q is not a valid environment variable name (letters, digits and '_', not starting with a digit)", clip(k))
		}
	}
	return true
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

func (r *reader) service(n ast.Node, path string, s *Service) bool {
	return r.object(n, path, []field{
		{"cpu", true, into(r.cpu, &s.CPU)},
		{"memory", true, into(r.memory, &s.Memory)},
		{"count", false, into(r.atLeast(1), &s.Count)},
		{"health_check", false, into(r.healthCheck, &s.HealthCheck)},
	})
}

// cpu reads Fargate cpu units: 256 or 0.25vCPU.
func (r *reader) cpu(n ast.Node, path string, dst *int) bool {
	s, _, ok := r.scalar(n, path, "a cpu such as 256 or 0.25vCPU")
	if !ok {
		return false
	}
	v, err := ParseCPU(s)
	if err != nil {
		r.errorf(n, path, "%v", err)
		return false
	}
	*dst = v
	return true
}

// memory reads MiB: 512, 512MiB or 1GB.
func (r *reader) memory(n ast.Node, path string, dst *int) bool {
	s, _, ok := r.scalar(n, path, "a memory size such as 512 or 1GB")
	if !ok {
		return false
	}
	v, err := ParseMemory(s)
	if err != nil {
		r.errorf(n, path, "%v", err)
		return false
	}
	*dst = v
	return true
}

// size reads a task size: "512/1024", or a mapping with cpu and memory.
func (r *reader) size(n ast.Node, path string, dst **Size) bool {
	if r.isScalar(n) {
		return r.sizeText(n, path, dst)
	}
	var s Size
	if !r.object(n, path, []field{
		{"cpu", true, into(r.cpu, &s.CPU)},
		{"memory", true, into(r.memory, &s.Memory)},
	}) {
		return false
	}
	*dst = &s
	return true
}

func (r *reader) sizeText(n ast.Node, path string, dst **Size) bool {
	var text string
	if !r.str(n, path, &text) {
		return false
	}
	c, m, ok := strings.Cut(text, "/")
	cpu, err1 := ParseCPU(c)
	mem, err2 := ParseMemory(m)
	if !ok || err1 != nil || err2 != nil {
		r.errorf(n, path, "%q is not a size: write CPU/MEMORY, e.g. 512/1024, or {cpu: 512, memory: 1024}", clip(text))
		return false
	}
	*dst = &Size{CPU: cpu, Memory: mem}
	return true
}

func (r *reader) healthCheck(n ast.Node, path string, h *HealthCheck) bool {
	return r.object(n, path, []field{
		{"path", false, into(r.urlPath, &h.Path)},
		{"interval", false, into(r.positiveDuration, &h.Interval)},
		{"timeout", false, into(r.positiveDuration, &h.Timeout)},
		{"healthy_threshold", false, into(r.intBetween(1, 10), &h.HealthyThreshold)},
		{"unhealthy_threshold", false, into(r.intBetween(1, 10), &h.UnhealthyThreshold)},
		{"grace_period", false, into(r.duration, &h.GracePeriod)},
	})
}

// urlPath reads an HTTP path: it starts with /.
func (r *reader) urlPath(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.str(n, path, &s) {
		return false
	}
	if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t\r\n") {
		r.errorf(n, path, "%q is not a path: it starts with / and has no spaces, e.g. /cpu_intensive", clip(s))
		return false
	}
	*dst = s
	return true
}

func (r *reader) balancer(n ast.Node, path string, b *Balancer) bool {
	return r.object(n, path, []field{
		{"algorithm", false, into(r.oneOf(RoundRobin, LeastOutstandingRequests), &b.Algorithm)},
		{"target_timeout", false, into(r.positiveDuration, &b.TargetTimeout)},
		{"deregistration_delay", false, into(r.duration, &b.DeregistrationDelay)},
	})
}

func (r *reader) load(n ast.Node, path string, l *LoadSpec) bool {
	return r.object(n, path, []field{
		{"path", false, into(r.urlPath, &l.Path)},
		{"requests", false, into(listOf(r, r.request), &l.Requests)},
		{"timeout", false, into(r.positiveDuration, &l.Timeout)},
		{"phases", true, into(listOf(r, r.phase), &l.Phases)},
	})
}

func (r *reader) request(n ast.Node, path string, q *Request) bool {
	*q = Request{Method: DefaultMethod, Weight: DefaultWeight}
	return r.object(n, path, []field{
		{"method", false, into(r.oneOf("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"), &q.Method)},
		{"path", true, into(r.urlPath, &q.Path)},
		{"headers", false, into(r.stringMap, &q.Headers)},
		{"body", false, into(r.str, &q.Body)},
		{"weight", false, into(r.atLeast(1), &q.Weight)},
	})
}

func (r *reader) phase(n ast.Node, path string, p *Phase) bool {
	return r.object(n, path, []field{
		{"duration", true, into(r.positiveDuration, &p.Duration)},
		{"rate", false, into(r.positive, &p.Rate)},
		{"ramp_to", false, into(r.positive, &p.RampTo)},
		{"workers", false, into(r.atLeast(1), &p.Workers)},
		{"worker_rate", false, into(r.positive, &p.WorkerRate)},
	})
}

func (r *reader) action(n ast.Node, path string, a *Action) bool {
	return r.object(n, path, []field{
		{"at", true, into(r.duration, &a.At)},
		{"scale", false, into(r.atLeast(1), &a.Scale)},
		{"resize", false, into(r.size, &a.Resize)},
		{"kill_task", false, into(r.atLeast(1), &a.KillTask)},
	})
}

// override reads a matrix entry: a mapping, or a size alone ("512/1024").
func (r *reader) override(n ast.Node, path string, o *Override) bool {
	if r.isScalar(n) {
		var s *Size
		if !r.sizeText(n, path, &s) {
			return false
		}
		o.CPU, o.Memory = s.CPU, s.Memory
		return true
	}
	return r.object(n, path, []field{
		{"label", false, into(r.name, &o.Label)},
		{"cpu", false, into(r.cpu, &o.CPU)},
		{"memory", false, into(r.memory, &o.Memory)},
		{"count", false, into(r.atLeast(1), &o.Count)},
		{"env", false, into(r.env, &o.Env)},
	})
}

// threshold reads a threshold expression; a problem in it is reported at
// the character where it is, when the expression sits on one line.
func (r *reader) threshold(n ast.Node, path string, dst *Threshold) bool {
	var s string
	if !r.str(n, path, &s) {
		return false
	}
	t, err := ParseThreshold(s)
	if err != nil {
		p := position(n)
		msg := err.Error()
		var ee *exprError
		if errors.As(err, &ee) {
			msg = ee.msg
			if off, ok := inlineOffset(n); ok {
				p.Column += off + ee.column()
			}
		}
		r.errorAt(p, path, "%s", msg)
		return false
	}
	*dst = t
	return true
}

// inlineOffset is how many characters precede a string's value on its
// line (1 for an opening quote), when its characters map one to one.
func inlineOffset(n ast.Node) (int, bool) {
	sn, ok := n.(*ast.StringNode)
	if !ok || sn.Token == nil || strings.ContainsAny(strings.TrimSpace(sn.Token.Origin), "\n\r") {
		return 0, false // on several lines: the caret stays at the start
	}
	switch sn.Token.Type {
	case token.DoubleQuoteType:
		return 1, !strings.Contains(sn.Token.Origin, `\`)
	case token.SingleQuoteType:
		return 1, !strings.Contains(sn.Value, "'")
	case token.StringType:
		return 0, true
	}
	return 0, false
}

// listOf reads a list whose items read reads. Every item is kept, read or
// not, so that item i of the result is the item at path[i].
func listOf[T any](r *reader, read func(ast.Node, string, *T) bool) func(ast.Node, string, *[]T) bool {
	return func(n ast.Node, path string, dst *[]T) bool {
		var out []T
		ok := r.list(n, path, func(_ int, item ast.Node, sub string) {
			var v T
			read(item, sub, &v)
			out = append(out, v)
		})
		*dst = out
		return ok
	}
}
