package scenarios

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// The schema: which fields each mapping of a scenario file has, and how
// each is read into the model. Checks that involve a single value are made
// here, at the node; checks across fields are in validate.go.

// reader reads a scenario file: the strict YAML reader, with the
// scenario's schema and checks as its methods.
type reader struct {
	*strictyaml.Reader
	dir string // the scenario file's directory: files it names are relative to it
}

// scenarioFile is what the reader says of a scenario file as a whole.
var scenarioFile = strictyaml.Options{
	Noun:  "a scenario file",
	Empty: "file is empty; a scenario needs at least name, workload, service and load (lab init writes a starter)",
	Homes: map[string]string{
		"cpu": "service", "memory": "service", "count": "service", "health_check": "service", "start_delay": "service",
		"image": "workload", "port": "workload", "env": "workload", "builtin": "workload", "command": "workload",
		"task_definition": "workload", "load_balancer": "service",
		"path": "load", "phases": "load", "timeout": "load", "requests": "load",
		"algorithm": "balancer", "target_timeout": "balancer", "idle_timeout": "balancer", "deregistration_delay": "balancer",
		"policies": "autoscaling", "min": "autoscaling", "max": "autoscaling",
	},
	Refused: refusedFields,
}

// refusedFields are what Docker and compose offer that a scenario cannot
// ask for, with why: a task gets no more of the host than a Fargate task
// gets of its host.
var refusedFields = map[string]string{
	"privileged":   "lab runs no privileged task (Fargate allows none)",
	"cap_add":      "lab adds no Linux capability to a task",
	"capabilities": "lab adds no Linux capability to a task",
	"volumes":      "lab mounts no host path into a task (a Fargate task cannot see its host's files): put the files in your image",
	"mounts":       "lab mounts no host path into a task (a Fargate task cannot see its host's files): put the files in your image",
	"binds":        "lab mounts no host path into a task (a Fargate task cannot see its host's files): put the files in your image",
	"devices":      "lab passes no host device into a task",
	"network_mode": "every task has its own address on the run's network, as in Fargate's awsvpc mode; the host's network is not offered",
	"network":      "every task has its own address on the run's network, as in Fargate's awsvpc mode; the host's network is not offered",
	"pid":          "a task shares no namespace with the host",
	"ipc":          "a task shares no namespace with the host",
	"security_opt": "lab sets a task's security options itself (no-new-privileges)",
}

func newReader(file string, data []byte) *reader {
	return &reader{Reader: strictyaml.New(file, data, scenarioFile), dir: filepath.Dir(file)}
}

// field is one key of a mapping in the schema, written {name, required,
// into(read, &dst)}: strictyaml.Field without its field names.
type field struct {
	name     string
	required bool
	read     func(n ast.Node, path string)
}

// object reads the mapping n at path with fields (strictyaml's Object).
func (r *reader) object(n ast.Node, path string, fields []field) bool {
	fs := make([]strictyaml.Field, len(fields))
	for i, f := range fields {
		fs[i] = strictyaml.Field{Name: f.name, Required: f.required, Read: f.read}
	}
	return r.Object(n, path, fs)
}

// into adapts a read function (a reader method such as Str) to a field's
// read.
func into[T any](read func(ast.Node, string, *T) bool, dst *T) func(ast.Node, string) {
	return func(n ast.Node, path string) { read(n, path, dst) }
}

func (r *reader) scenario(n ast.Node) *Scenario {
	s := defaultScenario()
	var service ast.Node
	var servicePath string
	r.object(n, "", []field{
		{"name", true, into(r.name, &s.Name)},
		{"description", false, into(r.Str, &s.Description)},
		{"workload", true, into(r.workload, &s.Workload)},
		// service is read last: whether it needs cpu and memory depends
		// on workload.task_definition, wherever the file puts it.
		{"service", true, func(n ast.Node, path string) { service, servicePath = n, path }},
		{"balancer", false, into(r.balancer, &s.Balancer)},
		{"load", true, into(r.load, &s.Load)},
		{"actions", false, into(strictyaml.ListOf(r.Reader, r.action), &s.Actions)},
		{"matrix", false, into(strictyaml.ListOf(r.Reader, r.override), &s.Matrix)},
		{"autoscaling", false, into(r.autoscaling, &s.Autoscaling)},
		{"thresholds", false, into(strictyaml.ListOf(r.Reader, r.threshold), &s.Thresholds)},
		{"secrets", false, into(strictyaml.ListOf(r.Reader, r.secret), &s.Secrets)},
		{"task_role", false, into(r.OneOf(TaskRoleUseMine, TaskRoleAssume), &s.TaskRole)},
		{"ecs", false, into(r.ecs, &s.ECS)},
	})
	if service != nil {
		r.service(service, servicePath, &s.Service, s.Workload.TaskDefinition == "")
	}
	return s
}

// name reads the scenario's name: it names results directories and
// container labels, so it is kept to a safe alphabet.
func (r *reader) name(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	if !validName(s) {
		r.Errorf(n, path, "%q is not a valid name: use letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters (it names the results directory)", strictyaml.Clip(s))
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
		{"builtin", false, into(r.Boolean, &w.Builtin)},
		{"image", false, into(r.Str, &w.Image)},
		{"port", false, into(r.IntBetween(1, 65535), &w.Port)},
		{"env", false, into(r.env, &w.Env)},
		{"command", false, into(strictyaml.ListOf(r.Reader, r.Str), &w.Command)},
		{"task_definition", false, into(r.Str, &w.TaskDefinition)},
	})
}

// env reads environment variables: names as a shell takes them, values
// any scalar (1 is "1").
func (r *reader) env(n ast.Node, path string, dst *map[string]string) bool {
	if !r.SecretMap(n, path, dst) {
		return false
	}
	for k := range *dst {
		if !validEnvName(k) {
			r.ErrorAtKey(strictyaml.JoinPath(path, k), "%q is not a valid environment variable name (letters, digits and '_', not starting with a digit)", strictyaml.Clip(k))
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

// service reads the service; sized says whether it must give the task
// size (a task definition may give it instead).
func (r *reader) service(n ast.Node, path string, s *Service, sized bool) bool {
	return r.object(n, path, []field{
		{"cpu", sized, into(r.cpu, &s.CPU)},
		{"memory", sized, into(r.memory, &s.Memory)},
		{"count", false, into(r.tasks(1), &s.Count)},
		{"health_check", false, into(r.healthCheck, &s.HealthCheck)},
		{"load_balancer", false, into(r.loadBalancer, &s.LoadBalancer)},
		{"start_delay", false, into(r.startDelay, &s.StartDelay)},
	})
}

func (r *reader) loadBalancer(n ast.Node, path string, dst **LoadBalancer) bool {
	var lb LoadBalancer
	if !r.object(n, path, []field{
		{"container", true, into(r.Str, &lb.Container)},
		{"port", false, into(r.IntBetween(1, 65535), &lb.Port)},
	}) {
		return false
	}
	*dst = &lb
	return true
}

// cpu reads Fargate cpu units: 256 or 0.25vCPU.
func (r *reader) cpu(n ast.Node, path string, dst *int) bool {
	return r.scalarWith(ParseCPU, "a cpu such as 256 or 0.25vCPU")(n, path, dst)
}

// memory reads MiB: 512, 512MiB or 1GB.
func (r *reader) memory(n ast.Node, path string, dst *int) bool {
	return r.scalarWith(ParseMemory, "a memory size such as 512 or 1GB")(n, path, dst)
}

// scalarWith reads a scalar written as want says, with parse, whose
// error is reported at the node.
func (r *reader) scalarWith(parse func(string) (int, error), want string) func(ast.Node, string, *int) bool {
	return func(n ast.Node, path string, dst *int) bool {
		s, _, ok := r.Scalar(n, path, want)
		if !ok {
			return false
		}
		v, err := parse(s)
		if err != nil {
			r.Errorf(n, path, "%v", err)
			return false
		}
		*dst = v
		return true
	}
}

// size reads a task size: "512/1024", or a mapping with cpu and memory.
func (r *reader) size(n ast.Node, path string, dst **Size) bool {
	if r.IsScalar(n) {
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
	if !r.Str(n, path, &text) {
		return false
	}
	c, m, ok := strings.Cut(text, "/")
	cpu, err1 := ParseCPU(c)
	mem, err2 := ParseMemory(m)
	if !ok || err1 != nil || err2 != nil {
		r.Errorf(n, path, "%q is not a size: write CPU/MEMORY, e.g. 512/1024, or {cpu: 512, memory: 1024}", strictyaml.Clip(text))
		return false
	}
	*dst = &Size{CPU: cpu, Memory: mem}
	return true
}

func (r *reader) healthCheck(n ast.Node, path string, h *HealthCheck) bool {
	return r.object(n, path, []field{
		{"path", false, into(r.urlPath, &h.Path)},
		{"interval", false, into(r.PositiveDuration, &h.Interval)},
		{"timeout", false, into(r.PositiveDuration, &h.Timeout)},
		{"healthy_threshold", false, into(r.IntBetween(1, 10), &h.HealthyThreshold)},
		{"unhealthy_threshold", false, into(r.IntBetween(1, 10), &h.UnhealthyThreshold)},
		{"grace_period", false, into(r.Duration, &h.GracePeriod)},
		{"matcher", false, into(r.matcher, &h.Matcher)},
	})
}

// matcher reads ALB's success codes: 200, "200,202" or "200-299".
func (r *reader) matcher(n ast.Node, path string, dst *string) bool {
	s, _, ok := r.Scalar(n, path, "HTTP codes such as 200, 200,202 or 200-299")
	if !ok {
		return false
	}
	if _, err := ParseMatcher(s); err != nil {
		r.Errorf(n, path, "%v", err)
		return false
	}
	*dst = s
	return true
}

// urlPath reads an HTTP path: it starts with /.
func (r *reader) urlPath(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t\r\n") {
		r.Errorf(n, path, "%q is not a path: it starts with / and has no spaces, e.g. /cpu_intensive", strictyaml.Clip(s))
		return false
	}
	*dst = s
	return true
}

func (r *reader) balancer(n ast.Node, path string, b *Balancer) bool {
	return r.object(n, path, []field{
		{"algorithm", false, into(r.OneOf(RoundRobin, LeastOutstandingRequests), &b.Algorithm)},
		{"target_timeout", false, into(r.PositiveDuration, &b.TargetTimeout)},
		{"idle_timeout", false, into(r.idleTimeout, &b.IdleTimeout)},
		{"deregistration_delay", false, into(r.Duration, &b.DeregistrationDelay)},
	})
}

// idleTimeout reads the balancer's idle timeout, within ALB's range.
func (r *reader) idleTimeout(n ast.Node, path string, dst *time.Duration) bool {
	var d time.Duration
	if !r.Duration(n, path, &d) {
		return false
	}
	if d < MinIdleTimeout || d > MaxIdleTimeout {
		r.Errorf(n, path, "%gs is out of range: ALB's idle timeout is from %gs to %gs", d.Seconds(), MinIdleTimeout.Seconds(), MaxIdleTimeout.Seconds())
		return false
	}
	*dst = d
	return true
}

func (r *reader) load(n ast.Node, path string, l *LoadSpec) bool {
	return r.object(n, path, []field{
		{"path", false, into(r.urlPath, &l.Path)},
		{"requests", false, into(strictyaml.ListOf(r.Reader, r.request), &l.Requests)},
		{"timeout", false, into(r.PositiveDuration, &l.Timeout)},
		{"phases", true, into(strictyaml.ListOf(r.Reader, r.phase), &l.Phases)},
		{"generators", false, into(r.bounded(1, MaxGenerators, whyMaxGenerators), &l.Generators)},
		{"from", false, into(r.OneOf(LoadFromLocal, LoadFromECS), &l.From)},
	})
}

func (r *reader) request(n ast.Node, path string, q *Request) bool {
	*q = Request{Method: DefaultMethod, Weight: DefaultWeight}
	return r.object(n, path, []field{
		{"method", false, into(r.OneOf("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"), &q.Method)},
		{"path", true, into(r.urlPath, &q.Path)},
		{"headers", false, into(r.headers, &q.Headers)},
		{"body", false, into(r.Str, &q.Body)},
		{"weight", false, into(r.AtLeast(1), &q.Weight)},
	})
}

func (r *reader) phase(n ast.Node, path string, p *Phase) bool {
	return r.object(n, path, []field{
		{"duration", true, into(r.PositiveDuration, &p.Duration)},
		{"rate", false, into(r.Positive, &p.Rate)},
		{"ramp_to", false, into(r.Positive, &p.RampTo)},
		{"workers", false, into(r.bounded(1, MaxWorkers, whyMaxWorkers), &p.Workers)},
		{"worker_rate", false, into(r.Positive, &p.WorkerRate)},
	})
}

func (r *reader) action(n ast.Node, path string, a *Action) bool {
	return r.object(n, path, []field{
		{"at", true, into(r.Duration, &a.At)},
		{"scale", false, into(r.tasks(1), &a.Scale)},
		{"resize", false, into(r.size, &a.Resize)},
		{"kill_task", false, into(r.AtLeast(1), &a.KillTask)},
		{"stop_task", false, into(r.AtLeast(1), &a.StopTask)},
	})
}

// override reads a matrix entry: a mapping, or a size alone ("512/1024").
func (r *reader) override(n ast.Node, path string, o *Override) bool {
	if r.IsScalar(n) {
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
		{"count", false, into(r.tasks(1), &o.Count)},
		{"env", false, into(r.env, &o.Env)},
	})
}

// threshold reads a threshold expression; a problem in it is reported at
// the character where it is, when the expression sits on one line.
func (r *reader) threshold(n ast.Node, path string, dst *Threshold) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	t, err := ParseThreshold(s)
	if err != nil {
		p := strictyaml.Position(n)
		msg := err.Error()
		var ee *exprError
		if errors.As(err, &ee) {
			msg = ee.msg
			if off, ok := inlineOffset(n); ok {
				p.Column += off + ee.column()
			}
		}
		r.ErrorAt(p, path, "%s", msg)
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
