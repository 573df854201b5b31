package scenarios

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// describe names what a node is, for "expected X, got Y".
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return fmt.Sprintf("the string %q", clip(v.Value))
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode:
		return "the integer " + clip(v.Token.Value)
	case *ast.FloatNode:
		return "the number " + clip(v.Token.Value)
	case *ast.BoolNode:
		return "the boolean " + v.Token.Value
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value
	}
	return "a " + strings.ToLower(n.Type().String())
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return s
}

// scalar is the text of a scalar node: a string's value, or the token of a
// number or boolean as written. It fails for null, mappings and lists.
func (r *reader) scalar(n ast.Node, path, want string) (text string, isString bool, ok bool) {
	d, tag := r.deref(n, path)
	switch v := d.(type) {
	case nil:
		return "", false, false
	case *ast.StringNode:
		return v.Value, true, true
	case *ast.LiteralNode:
		return v.Value.Value, true, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, tag == "!!str", true
	}
	r.errorf(d, path, "expected %s, got %s", want, describe(d))
	return "", false, false
}

// str reads a string. Numbers and booleans are refused: quote them.
func (r *reader) str(n ast.Node, path string, dst *string) bool {
	s, isString, ok := r.scalar(n, path, "a string")
	if !ok {
		return false
	}
	if !isString {
		r.errorf(n, path, "expected a string, got %s (quote it: %q)", s, s)
		return false
	}
	*dst = s
	return true
}

// text reads any scalar as text, as environment values are: 1 is "1".
func (r *reader) text(n ast.Node, path string, dst *string) bool {
	s, _, ok := r.scalar(n, path, "a value (write \"\" for an empty one)")
	if ok {
		*dst = s
	}
	return ok
}

// integer reads a whole number.
func (r *reader) integer(n ast.Node, path string, dst *int) bool {
	d, _ := r.deref(n, path)
	iv, ok := d.(*ast.IntegerNode)
	if !ok {
		if d != nil {
			r.errorf(d, path, "expected a whole number, got %s", describe(d))
		}
		return false
	}
	var v int64
	switch x := iv.Value.(type) {
	case int64:
		v = x
	case uint64:
		v = math.MaxInt64
		if x < math.MaxInt64 {
			v = int64(x)
		}
	}
	if v > 1e9 || v < -1e9 {
		r.errorf(d, path, "%s is too large", iv.Token.Value)
		return false
	}
	*dst = int(v)
	return true
}

// number reads a number, whole or not.
func (r *reader) number(n ast.Node, path string, dst *float64) bool {
	d, _ := r.deref(n, path)
	switch v := d.(type) {
	case nil:
		return false
	case *ast.IntegerNode:
		var i int
		if !r.integer(v, path, &i) {
			return false
		}
		*dst = float64(i)
		return true
	case *ast.FloatNode:
		if math.IsInf(v.Value, 0) || math.IsNaN(v.Value) || math.Abs(v.Value) > 1e12 {
			r.errorf(d, path, "%s is out of range", v.Token.Value)
			return false
		}
		*dst = v.Value
		return true
	}
	r.errorf(d, path, "expected a number, got %s", describe(d))
	return false
}

// boolean reads true or false.
func (r *reader) boolean(n ast.Node, path string, dst *bool) bool {
	d, _ := r.deref(n, path)
	b, ok := d.(*ast.BoolNode)
	if !ok {
		if d != nil {
			r.errorf(d, path, "expected true or false, got %s", describe(d))
		}
		return false
	}
	*dst = b.Value
	return true
}

// duration reads a Go duration ("60s", "1m30s", "500ms"), not negative.
func (r *reader) duration(n ast.Node, path string, dst *time.Duration) bool {
	s, isString, ok := r.scalar(n, path, "a duration such as 60s")
	if !ok {
		return false
	}
	if !isString {
		if s == "0" {
			*dst = 0
			return true
		}
		r.errorf(n, path, "%s has no unit: write a duration such as %ss or %sms", s, s, s)
		return false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		r.errorf(n, path, "%q is not a duration: write one such as 60s, 1m30s or 500ms", clip(s))
		return false
	}
	if d < 0 {
		r.errorf(n, path, "must not be negative")
		return false
	}
	if d > maxDuration {
		r.errorf(n, path, "%s is longer than lab allows (%s)", clip(s), formatDuration(maxDuration))
		return false
	}
	*dst = d
	return true
}

// stringMap reads a mapping of names to scalar values (env, headers).
func (r *reader) stringMap(n ast.Node, path string, dst *map[string]string) bool {
	entries, ok := r.entries(n, path, 0)
	if !ok {
		return false
	}
	m := make(map[string]string, len(entries))
	seen := map[string]token.Position{}
	for _, e := range entries {
		sub := joinPath(path, e.key)
		if first, dup := seen[e.key]; dup {
			if !e.merged {
				r.errorAt(e.keyPos, sub, "duplicate key %q (first on line %d)", e.key, first.Line)
			}
			continue
		}
		seen[e.key] = e.keyPos
		r.keyPos[sub] = e.keyPos
		r.pos[sub] = position(e.value)
		var v string
		if r.text(e.value, sub, &v) {
			m[e.key] = v
		}
	}
	if len(m) > 0 {
		*dst = m
	}
	return true
}

// intBetween reads a whole number from lo to hi.
func (r *reader) intBetween(lo, hi int) func(ast.Node, string, *int) bool {
	return func(n ast.Node, path string, dst *int) bool {
		var v int
		if !r.integer(n, path, &v) {
			return false
		}
		if v < lo || v > hi {
			if hi == math.MaxInt32 {
				r.errorf(n, path, "must be %d or more, got %d", lo, v)
			} else {
				r.errorf(n, path, "must be from %d to %d, got %d", lo, hi, v)
			}
			return false
		}
		*dst = v
		return true
	}
}

// atLeast reads a whole number of lo or more.
func (r *reader) atLeast(lo int) func(ast.Node, string, *int) bool {
	return r.intBetween(lo, math.MaxInt32)
}

// positive reads a number greater than 0.
func (r *reader) positive(n ast.Node, path string, dst *float64) bool {
	var v float64
	if !r.number(n, path, &v) {
		return false
	}
	if v <= 0 {
		r.errorf(n, path, "must be greater than 0, got %g", v)
		return false
	}
	*dst = v
	return true
}

// positiveDuration reads a duration longer than 0.
func (r *reader) positiveDuration(n ast.Node, path string, dst *time.Duration) bool {
	var d time.Duration
	if !r.duration(n, path, &d) {
		return false
	}
	if d <= 0 {
		r.errorf(n, path, "must be longer than 0")
		return false
	}
	*dst = d
	return true
}

// oneOf reads a string that must be one of names.
func (r *reader) oneOf(names ...string) func(ast.Node, string, *string) bool {
	return func(n ast.Node, path string, dst *string) bool {
		var v string
		if !r.str(n, path, &v) {
			return false
		}
		if indexOf(names, v) < 0 {
			msg := fmt.Sprintf("%q is not one of %s", clip(v), quoteList(names, "or"))
			if s := suggest(v, names); s != "" {
				msg = fmt.Sprintf("%q is not one of %s; did you mean %q?", clip(v), quoteList(names, "or"), s)
			}
			r.errorf(n, path, "%s", msg)
			return false
		}
		*dst = v
		return true
	}
}
