package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// deref follows anchors, aliases and tags to the node that holds the
// value. It returns nil when n is nil or an alias names no anchor (both
// already reported), and refuses tags other than YAML's standard ones.
func (r *reader) deref(n ast.Node, path string) (node ast.Node, tag string) {
	for range maxDepth {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			n = r.anchors[nameOf(v.Value)]
		case *ast.TagNode:
			tag = v.Start.Value
			if !strings.HasPrefix(tag, "!!") {
				r.errorf(v, path, "unsupported tag %s", tag)
				return nil, ""
			}
			n = v.Value
		case nil:
			r.markBad(path)
			return nil, ""
		default:
			return n, tag
		}
	}
	r.markBad(path)
	return nil, ""
}

// field is one key of a mapping in the schema.
type field struct {
	name     string
	required bool
	read     func(n ast.Node, path string)
}

// entry is one key: value of a mapping, with where the key is.
type entry struct {
	key    string
	keyPos token.Position
	value  ast.Node
	merged bool // from a merge key (<<): explicit keys win over it
}

// object reads the mapping n at path: each key must be one of fields and
// appear once; required fields must be there. It reports false when n is
// not a mapping.
func (r *reader) object(n ast.Node, path string, fields []field) bool {
	entries, ok := r.entries(n, path, 0)
	if !ok {
		return false
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	seen := map[string]token.Position{}
	suggested := map[string]bool{}
	for _, e := range entries {
		sub := joinPath(path, e.key)
		if first, dup := seen[e.key]; dup {
			if !e.merged {
				r.errorAt(e.keyPos, sub, "duplicate key %q (first on line %d)", e.key, first.Line)
			}
			continue
		}
		seen[e.key] = e.keyPos
		i := indexOf(names, e.key)
		if i < 0 {
			msg := fmt.Sprintf("unknown field %q", e.key)
			if s := suggest(e.key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
				suggested[s] = true
			} else if home, ok := fieldHomes[e.key]; ok && path == "" {
				msg += fmt.Sprintf("; %s belongs under %s", e.key, home)
			} else {
				msg += "; expected " + quoteList(names, "or")
			}
			r.errorAt(e.keyPos, sub, "%s", msg)
			continue
		}
		r.keyPos[sub] = e.keyPos
		r.pos[sub] = position(e.value)
		fields[i].read(e.value, sub)
	}
	for _, f := range fields {
		if _, ok := seen[f.name]; f.required && !ok && !suggested[f.name] {
			r.missing(path, f.name, "")
		}
	}
	return true
}

// missing reports that the mapping at parent lacks the required field
// name, at the parent's key (or where the parent starts).
func (r *reader) missing(parent, name, hint string) {
	where, ok := r.keyPos[parent]
	if !ok {
		where = r.at(parent)
	}
	msg := "missing required field"
	if hint != "" {
		msg += " (" + hint + ")"
	}
	r.errorAt(where, joinPath(parent, name), "%s", msg)
}

// fieldHomes says where a field found at the top level belongs.
var fieldHomes = map[string]string{
	"cpu": "service", "memory": "service", "count": "service", "health_check": "service",
	"image": "workload", "port": "workload", "env": "workload", "builtin": "workload", "command": "workload",
	"path": "load", "phases": "load", "timeout": "load", "requests": "load",
	"algorithm": "balancer", "target_timeout": "balancer", "deregistration_delay": "balancer",
	"policies": "autoscaling", "min": "autoscaling", "max": "autoscaling",
}

// entries lists the key-value pairs of the mapping n, merge keys (<<)
// expanded after the explicit keys. null counts as an empty mapping.
func (r *reader) entries(n ast.Node, path string, depth int) ([]entry, bool) {
	n, _ = r.deref(n, path)
	var kvs []*ast.MappingValueNode
	switch v := n.(type) {
	case nil:
		return nil, false
	case *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		kvs = v.Values
	case *ast.MappingValueNode:
		kvs = []*ast.MappingValueNode{v}
	default:
		r.errorf(n, path, "expected a mapping (key: value lines), got %s", describe(n))
		r.shapeless[path] = true
		return nil, false
	}
	var out, merges []entry
	for _, kv := range kvs {
		if kv.Key != nil && kv.Key.IsMergeKey() {
			if depth >= 8 {
				r.errorf(kv.Key, path, "merge keys (<<) nested too deep")
				continue
			}
			for _, src := range r.mergeSources(kv.Value, path) {
				sub, _ := r.entries(src, path, depth+1)
				for _, e := range sub {
					e.merged = true
					merges = append(merges, e)
				}
			}
			continue
		}
		key, ok := keyText(kv.Key)
		if !ok {
			r.errorf(kv.Key, path, "a key must be a plain name, got %s", describe(kv.Key))
			continue
		}
		out = append(out, entry{key: key, keyPos: position(kv.Key), value: kv.Value})
	}
	return append(out, merges...), true
}

// mergeSources is the value of a merge key: one mapping or a list of them.
func (r *reader) mergeSources(n ast.Node, path string) []ast.Node {
	d, _ := r.deref(n, path)
	if seq, ok := d.(*ast.SequenceNode); ok {
		return seq.Values
	}
	return []ast.Node{n}
}

func keyText(k ast.MapKeyNode) (string, bool) {
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// isScalar reports whether n holds a string, number or boolean. Unlike
// deref it reports nothing: the read that follows does.
func (r *reader) isScalar(n ast.Node) bool {
	for range maxDepth {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			n = r.anchors[nameOf(v.Value)]
		case *ast.TagNode:
			n = v.Value
		case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
			return true
		default:
			return false
		}
	}
	return false
}

// list reads the sequence n at path, calling each for every item with the
// item's path ("load.phases[2]"). null counts as an empty list.
func (r *reader) list(n ast.Node, path string, each func(i int, n ast.Node, path string)) bool {
	d, _ := r.deref(n, path)
	switch v := d.(type) {
	case nil:
		return false
	case *ast.NullNode:
		return true
	case *ast.SequenceNode:
		for i, item := range v.Values {
			sub := fmt.Sprintf("%s[%d]", path, i)
			r.pos[sub] = position(item)
			each(i, item, sub)
		}
		return true
	}
	r.errorf(d, path, "expected a list, got %s", describe(d))
	r.shapeless[path] = true
	return false
}

// into adapts a reader method to a field's read function.
func into[T any](read func(ast.Node, string, *T) bool, dst *T) func(ast.Node, string) {
	return func(n ast.Node, path string) { read(n, path, dst) }
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}
