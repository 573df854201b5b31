package scenarios

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
	"github.com/ecslab/lab/workload/knobs"
)

// Secret is an environment variable of the task whose value lab never
// writes down, as ECS's container secrets: the scenario names where the
// value comes from, never the value.
type Secret struct {
	Name string `yaml:"name" json:"name"`
	// ValueFrom is env:VAR or file:PATH (read on this machine by a local
	// run), or the ARN of a Secrets Manager secret or of an SSM Parameter
	// Store parameter (read by ECS; a local run takes its value from
	// --secret).
	ValueFrom string `yaml:"value_from" json:"value_from"`
}

// Kinds of secret source, as SecretSource tells them apart.
const (
	SourceEnv  = "env"  // env:VAR, an environment variable of lab's process
	SourceFile = "file" // file:PATH, a file's content
	SourceARN  = "arn"  // a Secrets Manager or Parameter Store ARN
)

// secretARN is what ECS takes as a secret's valueFrom: a Secrets Manager
// secret (with an optional JSON key, version stage and version id after
// it) or a Parameter Store parameter.
var secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+|ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+)$`)

// SecretSource splits value_from into its kind and what it names (the
// variable, the path, or the ARN itself).
func SecretSource(valueFrom string) (kind, ref string, err error) {
	switch {
	case strings.HasPrefix(valueFrom, "env:"):
		ref = strings.TrimPrefix(valueFrom, "env:")
		if !validEnvName(ref) {
			return "", "", fmt.Errorf("%q is not an environment variable name (letters, digits and '_', not starting with a digit)", ref)
		}
		return SourceEnv, ref, nil
	case strings.HasPrefix(valueFrom, "file:"):
		ref = strings.TrimPrefix(valueFrom, "file:")
		if ref == "" {
			return "", "", fmt.Errorf("file: needs a path, e.g. file:secrets/token")
		}
		return SourceFile, ref, nil
	case secretARN.MatchString(valueFrom):
		return SourceARN, valueFrom, nil
	}
	// The text is not quoted back: it may be the secret itself.
	return "", "", fmt.Errorf("not a secret source: write env:VAR, file:PATH, or the ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) or an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME), never the value itself")
}

// secret reads one entry of secrets: {name, value_from}.
func (r *reader) secret(n ast.Node, path string, s *Secret) bool {
	return r.object(n, path, []field{
		{"name", true, into(r.envName, &s.Name)},
		{"value_from", true, into(r.secretSource, &s.ValueFrom)},
	})
}

// envName reads an environment variable's name.
func (r *reader) envName(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	if !validEnvName(s) {
		r.Errorf(n, path, "%q is not a valid environment variable name (letters, digits and '_', not starting with a digit)", strictyaml.Clip(s))
		return false
	}
	*dst = s
	return true
}

func (r *reader) secretSource(n ast.Node, path string, dst *string) bool {
	var s string
	if !r.Str(n, path, &s) {
		return false
	}
	if _, _, err := SecretSource(s); err != nil {
		r.Mask(n) // it may be the value itself, pasted by mistake
		r.Errorf(n, path, "%v", err)
		return false
	}
	*dst = s
	return true
}

// validateSecrets checks that each secret has a name of its own, which
// no env sets and lab does not set itself.
func (r *reader) validateSecrets(s *Scenario) {
	first := map[string]int{}
	for i, sec := range s.Secrets {
		path := fmt.Sprintf("secrets[%d].name", i)
		if r.Failed(path) || sec.Name == "" {
			continue
		}
		if j, dup := first[sec.Name]; dup {
			r.ErrorPath(path, "secrets[%d] is also named %s: a variable has one value", j, sec.Name)
			continue
		}
		first[sec.Name] = i
		switch {
		case sec.Name == knobs.Port:
			r.ErrorPath(path, "lab sets PORT itself, to the workload's port")
		case hasKey(s.Workload.Env, sec.Name):
			r.ErrorPath(path, "workload.env also sets %s: a variable is a secret or a plain value, not both", sec.Name)
		}
		for k, o := range s.Matrix {
			if hasKey(o.Env, sec.Name) {
				r.ErrorPath(path, "matrix[%d].env also sets %s: a variable is a secret or a plain value, not both", k, sec.Name)
			}
		}
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// RedactedValue is how env and header values are written wherever lab
// shows or keeps a scenario: they may be secrets.
const RedactedValue = "<redacted>"

// ShownEnv is the value lab shows of the workload's variable name: the
// value of a built-in app's knob (a duration or a size, which the app
// parses), else RedactedValue.
func (w Workload) ShownEnv(name, value string) string {
	if w.Builtin && slices.Contains(knobs.Settable(), name) {
		return value
	}
	return RedactedValue
}

// Redacted returns a copy of s to show or keep: the values of workload
// and matrix env (but the built-in app's knobs) and of request headers
// are RedactedValue; names stay, and so do secrets, which name only where
// their values come from.
func (s *Scenario) Redacted() *Scenario {
	c := s.Clone()
	redact := func(env map[string]string) {
		for k, v := range env {
			env[k] = s.Workload.ShownEnv(k, v)
		}
	}
	redact(c.Workload.Env)
	for i := range c.Matrix {
		redact(c.Matrix[i].Env)
	}
	for i := range c.Load.Requests {
		for k := range c.Load.Requests[i].Headers {
			c.Load.Requests[i].Headers[k] = RedactedValue
		}
	}
	return c
}

// RedactedEntries returns entries with their env values shown as
// Workload.ShownEnv shows them.
func (w Workload) RedactedEntries(entries []Entry) []Entry {
	out := slices.Clone(entries)
	for i := range out {
		env := maps.Clone(out[i].Env)
		for k, v := range env {
			env[k] = w.ShownEnv(k, v)
		}
		out[i].Env = env
	}
	return out
}
