package strictyaml

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/ecslab/lab/internal/format"
)

// describe names what a node is, for "expected X, got Y".
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return fmt.Sprintf("the string %q", Clip(v.Value))
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode:
		return "the integer " + Clip(v.Token.Value)
	case *ast.FloatNode:
		return "the number " + Clip(v.Token.Value)
	case *ast.BoolNode:
		return "the boolean " + v.Token.Value
	case *ast.NullNode:
		return "nothing (null)"
	case *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value
	}
	return "a " + strings.ToLower(n.Type().String())
}

// Clip shortens s, a value quoted in a message, to 40 characters.
func Clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return s
}

// Scalar is the text of a scalar node: a string's value, or the token of a
// number or boolean as written. It fails for null, mappings and lists.
func (r *Reader) Scalar(n ast.Node, path, want string) (text string, isString bool, ok bool) {
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
	r.Errorf(d, path, "expected %s, got %s", want, describe(d))
	return "", false, false
}

// Str reads a string. Numbers and booleans are refused: quote them.
func (r *Reader) Str(n ast.Node, path string, dst *string) bool {
	s, isString, ok := r.Scalar(n, path, "a string")
	if !ok {
		return false
	}
	if !isString {
		r.Errorf(n, path, "expected a string, got %s (quote it: %q)", s, s)
		return false
	}
	*dst = s
	return true
}

// Text reads any scalar as text, as environment values are: 1 is "1".
func (r *Reader) Text(n ast.Node, path string, dst *string) bool {
	s, _, ok := r.Scalar(n, path, "a value (write \"\" for an empty one)")
	if ok {
		*dst = s
	}
	return ok
}

// Integer reads a whole number.
func (r *Reader) Integer(n ast.Node, path string, dst *int) bool {
	d, _ := r.deref(n, path)
	iv, ok := d.(*ast.IntegerNode)
	if !ok {
		if d != nil {
			r.Errorf(d, path, "expected a whole number, got %s", describe(d))
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
		r.Errorf(d, path, "%s is too large", iv.Token.Value)
		return false
	}
	*dst = int(v)
	return true
}

// Number reads a number, whole or not.
func (r *Reader) Number(n ast.Node, path string, dst *float64) bool {
	d, _ := r.deref(n, path)
	switch v := d.(type) {
	case nil:
		return false
	case *ast.IntegerNode:
		var i int
		if !r.Integer(v, path, &i) {
			return false
		}
		*dst = float64(i)
		return true
	case *ast.FloatNode:
		if math.IsInf(v.Value, 0) || math.IsNaN(v.Value) || math.Abs(v.Value) > 1e12 {
			r.Errorf(d, path, "%s is out of range", v.Token.Value)
			return false
		}
		*dst = v.Value
		return true
	}
	r.Errorf(d, path, "expected a number, got %s", describe(d))
	return false
}

// Boolean reads true or false.
func (r *Reader) Boolean(n ast.Node, path string, dst *bool) bool {
	d, _ := r.deref(n, path)
	b, ok := d.(*ast.BoolNode)
	if !ok {
		if d != nil {
			r.Errorf(d, path, "expected true or false, got %s", describe(d))
		}
		return false
	}
	*dst = b.Value
	return true
}

// Duration reads a Go duration ("60s", "1m30s", "500ms"), not negative.
func (r *Reader) Duration(n ast.Node, path string, dst *time.Duration) bool {
	s, isString, ok := r.Scalar(n, path, "a duration such as 60s")
	if !ok {
		return false
	}
	if !isString {
		if s == "0" {
			*dst = 0
			return true
		}
		r.Errorf(n, path, "%s has no unit: write a duration such as %ss or %sms", s, s, s)
		return false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		r.Errorf(n, path, "%q is not a duration: write one such as 60s, 1m30s or 500ms", Clip(s))
		return false
	}
	if d < 0 {
		r.Errorf(n, path, "must not be negative")
		return false
	}
	if d > MaxDuration {
		r.Errorf(n, path, "%s is longer than lab allows (%s)", Clip(s), format.Duration(MaxDuration))
		return false
	}
	*dst = d
	return true
}

// StringMap reads a mapping of names to scalar values.
func (r *Reader) StringMap(n ast.Node, path string, dst *map[string]string) bool {
	return r.stringMap(n, path, dst, false)
}

// SecretMap reads a mapping of names to values that may be secrets (env,
// headers): as StringMap, and no error shows the values in its source
// line.
func (r *Reader) SecretMap(n ast.Node, path string, dst *map[string]string) bool {
	return r.stringMap(n, path, dst, true)
}

func (r *Reader) stringMap(n ast.Node, path string, dst *map[string]string, secret bool) bool {
	entries, ok := r.entries(n, path, 0)
	if !ok {
		return false
	}
	m := make(map[string]string, len(entries))
	seen := map[string]token.Position{}
	for _, e := range entries {
		if !r.firstOf(seen, e, path) {
			continue
		}
		sub := r.record(path, e)
		if secret {
			r.Mask(e.value)
		}
		var v string
		if r.Text(e.value, sub, &v) {
			m[e.key] = v
		}
	}
	if len(m) > 0 {
		*dst = m
	}
	return true
}

// IntBetween reads a whole number from lo to hi.
func (r *Reader) IntBetween(lo, hi int) func(ast.Node, string, *int) bool {
	return func(n ast.Node, path string, dst *int) bool {
		var v int
		if !r.Integer(n, path, &v) {
			return false
		}
		if v < lo || v > hi {
			if hi == math.MaxInt32 {
				r.Errorf(n, path, "must be %d or more, got %d", lo, v)
			} else {
				r.Errorf(n, path, "must be from %d to %d, got %d", lo, hi, v)
			}
			return false
		}
		*dst = v
		return true
	}
}

// AtLeast reads a whole number of lo or more.
func (r *Reader) AtLeast(lo int) func(ast.Node, string, *int) bool {
	return r.IntBetween(lo, math.MaxInt32)
}

// Positive reads a number greater than 0.
func (r *Reader) Positive(n ast.Node, path string, dst *float64) bool {
	var v float64
	if !r.Number(n, path, &v) {
		return false
	}
	if v <= 0 {
		r.Errorf(n, path, "must be greater than 0, got %g", v)
		return false
	}
	*dst = v
	return true
}

// PositiveDuration reads a duration longer than 0.
func (r *Reader) PositiveDuration(n ast.Node, path string, dst *time.Duration) bool {
	var d time.Duration
	if !r.Duration(n, path, &d) {
		return false
	}
	if d <= 0 {
		r.Errorf(n, path, "must be longer than 0")
		return false
	}
	*dst = d
	return true
}

// OneOf reads a string that must be one of names.
func (r *Reader) OneOf(names ...string) func(ast.Node, string, *string) bool {
	return func(n ast.Node, path string, dst *string) bool {
		var v string
		if !r.Str(n, path, &v) {
			return false
		}
		if !slices.Contains(names, v) {
			msg := fmt.Sprintf("%q is not one of %s", Clip(v), QuoteList(names, "or"))
			if s := Suggest(v, names); s != "" {
				msg = fmt.Sprintf("%q is not one of %s; did you mean %q?", Clip(v), QuoteList(names, "or"), s)
			}
			r.Errorf(n, path, "%s", msg)
			return false
		}
		*dst = v
		return true
	}
}
