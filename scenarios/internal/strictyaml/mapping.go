package strictyaml

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// follow walks from n through anchors, aliases and tags to the node that
// holds the value. tag is the last tag on the way; badTag the first that
// is not one of YAML's standard ones (!!str, !!int, ...). node is nil when
// n is nil, an alias names no anchor or the chain is too long.
func (r *Reader) follow(n ast.Node) (node ast.Node, tag string, badTag *ast.TagNode) {
	for range maxDepth {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			n = r.anchors[nameOf(v.Value)]
		case *ast.TagNode:
			tag = v.Start.Value
			if badTag == nil && !strings.HasPrefix(tag, "!!") {
				badTag = v
			}
			n = v.Value
		default:
			return n, tag, badTag
		}
	}
	return nil, tag, badTag
}

// deref follows anchors, aliases and tags to the node that holds the
// value. It returns nil when n is nil or an alias names no anchor (both
// already reported), and refuses tags other than YAML's standard ones.
func (r *Reader) deref(n ast.Node, path string) (node ast.Node, tag string) {
	node, tag, badTag := r.follow(n)
	if badTag != nil {
		r.Errorf(badTag, path, "unsupported tag %s", badTag.Start.Value)
		return nil, ""
	}
	if node == nil {
		r.markBad(path)
		return nil, ""
	}
	return node, tag
}

// Field is one key of a mapping in a schema: its name, whether the
// mapping must have it, and how its value is read (with the value's node
// and the field's path).
type Field struct {
	Name     string
	Required bool
	Read     func(n ast.Node, path string)
}

// entry is one key: value of a mapping, with where the key is.
type entry struct {
	key    string
	keyPos token.Position
	value  ast.Node
	merged bool // from a merge key (<<): explicit keys win over it
}

// Object reads the mapping n at path: each key must be one of fields and
// appear once; required fields must be there. It reports false when n is
// not a mapping.
func (r *Reader) Object(n ast.Node, path string, fields []Field) bool {
	entries, ok := r.entries(n, path, 0)
	if !ok {
		return false
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	seen := map[string]token.Position{}
	suggested := map[string]bool{}
	for _, e := range entries {
		if !r.firstOf(seen, e, path) {
			continue
		}
		i := slices.Index(names, e.key)
		if i < 0 {
			r.unknownField(e, path, names, suggested)
			continue
		}
		sub := r.record(path, e)
		fields[i].Read(e.value, sub)
	}
	for _, f := range fields {
		if _, ok := seen[f.Name]; f.Required && !ok && !suggested[f.Name] {
			r.Missing(path, f.Name, "")
		}
	}
	return true
}

// firstOf reports whether e is the first entry with its key in a mapping,
// seen holding the keys before it. A repeated explicit key is reported; a
// merged one gives way quietly.
func (r *Reader) firstOf(seen map[string]token.Position, e entry, path string) bool {
	if first, dup := seen[e.key]; dup {
		if !e.merged {
			r.ErrorAt(e.keyPos, JoinPath(path, e.key), "duplicate key %q (first on line %d)", e.key, first.Line)
		}
		return false
	}
	seen[e.key] = e.keyPos
	return true
}

// record notes where the field e of the mapping at path is, and returns
// its path.
func (r *Reader) record(path string, e entry) string {
	sub := JoinPath(path, e.key)
	r.keyPos[sub] = e.keyPos
	r.pos[sub] = Position(e.value)
	return sub
}

// unknownField reports e, a key that is none of names: with the name it
// likely misspells (noted in suggested, so that the field is not also
// reported missing), with where it belongs when it is a known field in
// the wrong place, or with the names there are.
func (r *Reader) unknownField(e entry, path string, names []string, suggested map[string]bool) {
	msg := fmt.Sprintf("unknown field %q", e.key)
	if why, ok := r.opts.Refused[e.key]; ok {
		msg += ": " + why
	} else if s := Suggest(e.key, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
		suggested[s] = true
	} else if home, ok := r.opts.Homes[e.key]; ok && path == "" {
		msg += fmt.Sprintf("; %s belongs under %s", e.key, home)
	} else {
		msg += "; expected " + QuoteList(names, "or")
	}
	r.ErrorAt(e.keyPos, JoinPath(path, e.key), "%s", msg)
}

// Missing reports that the mapping at parent lacks the required field
// name, at the parent's key (or where the parent starts).
func (r *Reader) Missing(parent, name, hint string) {
	where, ok := r.keyPos[parent]
	if !ok {
		where = r.at(parent)
	}
	msg := "missing required field"
	if hint != "" {
		msg += " (" + hint + ")"
	}
	r.ErrorAt(where, JoinPath(parent, name), "%s", msg)
}

// entries lists the key-value pairs of the mapping n, merge keys (<<)
// expanded after the explicit keys. null counts as an empty mapping.
func (r *Reader) entries(n ast.Node, path string, depth int) ([]entry, bool) {
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
		r.Errorf(n, path, "expected a mapping (key: value lines), got %s", describe(n))
		r.shapeless[path] = true
		return nil, false
	}
	var out, merges []entry
	for _, kv := range kvs {
		if kv.Key != nil && kv.Key.IsMergeKey() {
			if depth >= 8 {
				r.Errorf(kv.Key, path, "merge keys (<<) nested too deep")
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
			r.Errorf(kv.Key, path, "a key must be a plain name, got %s", describe(kv.Key))
			continue
		}
		out = append(out, entry{key: key, keyPos: Position(kv.Key), value: kv.Value})
	}
	return append(out, merges...), true
}

// mergeSources is the value of a merge key: one mapping or a list of them.
func (r *Reader) mergeSources(n ast.Node, path string) []ast.Node {
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

// IsScalar reports whether n holds a string, number or boolean. Unlike
// the reads it reports nothing: the read that follows does.
func (r *Reader) IsScalar(n ast.Node) bool {
	switch node, _, _ := r.follow(n); node.(type) {
	case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return true
	}
	return false
}

// List reads the sequence n at path, calling each for every item with the
// item's path ("load.phases[2]"). null counts as an empty list.
func (r *Reader) List(n ast.Node, path string, each func(i int, n ast.Node, path string)) bool {
	d, _ := r.deref(n, path)
	switch v := d.(type) {
	case nil:
		return false
	case *ast.NullNode:
		return true
	case *ast.SequenceNode:
		for i, item := range v.Values {
			sub := fmt.Sprintf("%s[%d]", path, i)
			r.pos[sub] = Position(item)
			each(i, item, sub)
		}
		return true
	}
	r.Errorf(d, path, "expected a list, got %s", describe(d))
	r.shapeless[path] = true
	return false
}

// ListOf reads a list whose items read reads. Every item is kept, read or
// not, so that item i of the result is the item at path[i].
func ListOf[T any](r *Reader, read func(ast.Node, string, *T) bool) func(ast.Node, string, *[]T) bool {
	return func(n ast.Node, path string, dst *[]T) bool {
		var out []T
		ok := r.List(n, path, func(_ int, item ast.Node, sub string) {
			var v T
			read(item, sub, &v)
			out = append(out, v)
		})
		*dst = out
		return ok
	}
}
