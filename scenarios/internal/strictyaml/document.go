package strictyaml

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Limits on what a Reader accepts. The documents it reads are a few dozen
// lines; these only stop hostile or broken input before it costs time or
// memory.
const (
	// MaxFileSize is the largest document a Reader reads.
	MaxFileSize = 1 << 20
	// MaxTokens bounds what the YAML parser is given: its time grows faster
	// than the number of tokens (deep nesting especially), and a document
	// of a few hundred lines has a few thousand.
	MaxTokens = 20000
	// maxNodes bounds the document's size with its aliases expanded, so
	// that an alias bomb is refused without being expanded.
	maxNodes = 10000
	// maxDepth bounds nesting.
	maxDepth = 64
	// MaxDuration bounds every duration, so that sums of them stay far
	// from overflowing.
	MaxDuration = 7 * 24 * time.Hour
	// MaxErrors bounds the errors reported for one file (one more says
	// how many were left out).
	MaxErrors = 50
)

// Document parses data into the body of its single YAML document. It
// returns nil, with the problem recorded, when there is nothing to read:
// a syntax error, no document or several, an alias bomb.
func (r *Reader) Document(data []byte) ast.Node {
	if len(data) > MaxFileSize {
		r.errs = FileError(r.file, nil, "file is %d bytes; %s may have at most %d (1 MiB)", len(data), r.opts.Noun, MaxFileSize)
		return nil
	}
	f, err := r.parse(data)
	if err != nil {
		r.syntaxError(err)
		return nil
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		r.errs = FileError(r.file, nil, "%s", r.opts.Empty)
		return nil
	}
	if len(docs) > 1 {
		r.Errorf(docs[1].Body, "", "%s holds one YAML document; a second one starts here", r.opts.Noun)
		return nil
	}
	body := docs[0].Body
	if !r.scanAnchors(body) {
		return nil
	}
	r.pos[""] = Position(body)
	return body
}

// parse runs the YAML lexer and parser, refusing input with more than
// MaxTokens tokens, and turning a panic in them into an error: input that
// breaks the parser is refused like any other bad input.
func (r *Reader) parse(data []byte) (f *ast.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input (%v)", p)
		}
	}()
	tokens := lexer.Tokenize(string(data))
	if len(tokens) > MaxTokens {
		return nil, fmt.Errorf("file has %d YAML tokens; %s may have at most %d (a few thousand lines)", len(tokens), r.opts.Noun, MaxTokens)
	}
	// Duplicate keys are allowed here so that the reader reports each one,
	// with the other problems, instead of the parser stopping at the first.
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

func (r *Reader) syntaxError(err error) {
	if ye, ok := err.(yaml.Error); ok && ye.GetToken() != nil && ye.GetToken().Position != nil {
		msg := ye.GetMessage()
		if strings.Contains(msg, "'\t'") {
			msg = "a tab where YAML wants spaces (YAML indents with spaces, never tabs)"
		}
		r.ErrorAt(*ye.GetToken().Position, "", "YAML syntax: %s", msg)
		return
	}
	r.errs = FileError(r.file, nil, "%v", err)
}

// scanAnchors records the document's anchors and checks its aliases: each
// must name an anchor defined before it and outside it, and the document
// with its aliases expanded must stay small. Nothing is expanded.
func (r *Reader) scanAnchors(body ast.Node) bool {
	open := map[string]bool{}
	ok := true
	var firstAlias ast.Node
	var visit func(n ast.Node, depth int)
	visit = func(n ast.Node, depth int) {
		if n == nil || !ok {
			return
		}
		if depth > maxDepth {
			r.Errorf(n, "", "nested more than %d levels deep", maxDepth)
			ok = false
			return
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			name := nameOf(v.Name)
			if prev, dup := r.anchors[name]; dup {
				r.Errorf(v, "", "anchor &%s is defined twice (first on line %d)", name, Position(prev).Line)
				ok = false
				return
			}
			r.anchors[name] = v.Value
			open[name] = true
			visit(v.Value, depth+1)
			delete(open, name)
			return
		case *ast.AliasNode:
			name := nameOf(v.Value)
			if firstAlias == nil {
				firstAlias = v
			}
			switch {
			case open[name]:
				r.Errorf(v, "", "alias *%s is inside its own anchor", name)
				ok = false
			case r.anchors[name] == nil:
				r.Errorf(v, "", "alias *%s names no anchor defined before it", name)
				ok = false
			}
			return
		}
		for _, c := range children(n) {
			visit(c, depth+1)
		}
	}
	visit(body, 0)
	if !ok {
		return false
	}
	if n := r.expandedSize(body, map[ast.Node]int{}); n > maxNodes {
		r.Errorf(firstAlias, "", "with its aliases expanded this document would have more than %d nodes; refusing it (an alias bomb?)", maxNodes)
		return false
	}
	return true
}

// expandedSize counts the nodes of n with aliases expanded, stopping once
// the count passes maxNodes. Each anchor is counted once (memo).
func (r *Reader) expandedSize(n ast.Node, memo map[ast.Node]int) int {
	if a, ok := n.(*ast.AliasNode); ok {
		target := r.anchors[nameOf(a.Value)]
		if target == nil {
			return 1
		}
		if s, ok := memo[target]; ok {
			return s
		}
		s := r.expandedSize(target, memo)
		memo[target] = s
		return s
	}
	total := 1
	for _, c := range children(n) {
		total += r.expandedSize(c, memo)
		if total > maxNodes {
			break
		}
	}
	return total
}

func children(n ast.Node) []ast.Node {
	var out []ast.Node
	add := func(ns ...ast.Node) {
		for _, c := range ns {
			if c != nil {
				out = append(out, c)
			}
		}
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, kv := range v.Values {
			add(kv.Key, kv.Value)
		}
	case *ast.MappingValueNode:
		add(v.Key, v.Value)
	case *ast.MappingKeyNode:
		add(v.Value)
	case *ast.SequenceNode:
		add(v.Values...)
	case *ast.AnchorNode:
		add(v.Value)
	case *ast.TagNode:
		add(v.Value)
	}
	return out
}

func nameOf(n ast.Node) string {
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.String()
}

// Position is where a node starts: a block mapping at its first key, any
// other node at its first token.
func Position(n ast.Node) token.Position {
	switch v := n.(type) {
	case nil:
		return token.Position{}
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return Position(v.Values[0])
		}
	case *ast.MappingValueNode:
		return Position(v.Key)
	case *ast.DocumentNode:
		return Position(v.Body)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return *tk.Position
	}
	return token.Position{}
}
