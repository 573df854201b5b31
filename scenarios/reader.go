package scenarios

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// reader reads a YAML document strictly, node by node, with the document's
// positions at hand. Every problem is recorded, positioned, and reading
// goes on, so that one pass reports them all. The schema (schema.go) says
// which fields each mapping has and reads them with the methods here.
type reader struct {
	file      string
	lines     []string
	errs      ErrorList
	dropped   int                       // errors beyond maxErrors
	pos       map[string]token.Position // field path -> where its value is
	keyPos    map[string]token.Position // field path -> where its key is
	bad       map[string]bool           // field paths with a problem at or inside them
	shapeless map[string]bool           // field paths whose value is not the mapping or list wanted
	anchors   map[string]ast.Node       // anchor name -> anchored node
}

func newReader(file string, data []byte) *reader {
	return &reader{
		file:      file,
		lines:     strings.Split(string(data), "\n"),
		pos:       map[string]token.Position{},
		keyPos:    map[string]token.Position{},
		bad:       map[string]bool{},
		shapeless: map[string]bool{},
		anchors:   map[string]ast.Node{},
	}
}

// errorAt records a problem at p about the field at path.
func (r *reader) errorAt(p token.Position, path, format string, args ...any) {
	r.markBad(path)
	if len(r.errs) >= maxErrors {
		r.dropped++
		return
	}
	e := &Error{File: r.file, Line: p.Line, Column: p.Column, Field: path, Message: fmt.Sprintf(format, args...)}
	if p.Line >= 1 && p.Line <= len(r.lines) {
		e.SourceLine = strings.TrimRight(r.lines[p.Line-1], "\r")
	}
	r.errs = append(r.errs, e)
}

// errorf records a problem at node n about the field at path.
func (r *reader) errorf(n ast.Node, path, format string, args ...any) {
	r.errorAt(position(n), path, format, args...)
}

// errorPath records a problem about the field at path, at the position of
// the nearest field on the path that the file has.
func (r *reader) errorPath(path, format string, args ...any) {
	r.errorAt(r.at(path), path, format, args...)
}

// at is where the value of the field at path is or, when the file has not
// that field (a default, a missing field), the key of the nearest
// enclosing field that it has.
func (r *reader) at(path string) token.Position {
	if pos, ok := r.pos[path]; ok {
		return pos
	}
	for p := parentPath(path); ; p = parentPath(p) {
		if pos, ok := r.keyPos[p]; ok {
			return pos
		}
		if pos, ok := r.pos[p]; ok {
			return pos
		}
		if p == "" {
			return token.Position{}
		}
	}
}

// has reports whether the file sets the field at path.
func (r *reader) has(path string) bool {
	_, ok := r.pos[path]
	return ok
}

// markBad records a problem at path, and so inside each of its parents.
func (r *reader) markBad(path string) {
	for p := path; !r.bad[p]; p = parentPath(p) {
		r.bad[p] = true
		if p == "" {
			break
		}
	}
}

// failed reports whether a problem was recorded at or inside any of paths,
// so that checks on resolved values do not pile onto a reported mistake.
func (r *reader) failed(paths ...string) bool {
	for _, p := range paths {
		if r.bad[p] {
			return true
		}
	}
	return false
}

// result is every problem recorded, in source order.
func (r *reader) result() ErrorList {
	r.errs.sort()
	if r.dropped > 0 {
		r.errs = append(r.errs, &Error{File: r.file, Message: fmt.Sprintf("%d more errors not shown", r.dropped)})
	}
	return r.errs
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
