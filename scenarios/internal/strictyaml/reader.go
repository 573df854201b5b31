package strictyaml

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Options say what kind of file a Reader reads, for the messages that
// concern a whole file, and where misplaced top-level fields belong.
type Options struct {
	// Noun names the kind of file in messages, with its article: "a
	// scenario file".
	Noun string
	// Empty is the message for a file that holds no document.
	Empty string
	// Homes says under which field a field found at the top level belongs,
	// e.g. "cpu" -> "service", for the unknown-field message.
	Homes map[string]string
	// Refused says why a field the language leaves out on purpose is not
	// there (e.g. "privileged"), for the unknown-field message wherever
	// it is written.
	Refused map[string]string
}

// Reader reads a YAML document strictly, node by node, with the document's
// positions at hand. Every problem is recorded, positioned, and reading
// goes on, so that one pass reports them all. The caller's schema says
// which fields each mapping has and reads them with the methods of Reader.
type Reader struct {
	opts      Options
	file      string
	lines     []string
	errs      ErrorList
	dropped   int                       // errors beyond MaxErrors
	pos       map[string]token.Position // field path -> where its value is
	keyPos    map[string]token.Position // field path -> where its key is
	bad       map[string]bool           // field paths with a problem at or inside them
	shapeless map[string]bool           // field paths whose value is not the mapping or list wanted
	masked    map[int][]int             // line -> columns where a value no error may show starts
	anchors   map[string]ast.Node       // anchor name -> anchored node
}

// New returns a Reader of data, which errors name file.
func New(file string, data []byte, opts Options) *Reader {
	return &Reader{
		opts:      opts,
		file:      file,
		lines:     strings.Split(string(data), "\n"),
		pos:       map[string]token.Position{},
		keyPos:    map[string]token.Position{},
		bad:       map[string]bool{},
		shapeless: map[string]bool{},
		masked:    map[int][]int{},
		anchors:   map[string]ast.Node{},
	}
}

// ErrorAt records a problem at p about the field at path.
func (r *Reader) ErrorAt(p token.Position, path, format string, args ...any) {
	r.markBad(path)
	if len(r.errs) >= MaxErrors {
		r.dropped++
		return
	}
	e := &Error{File: r.file, Line: p.Line, Column: p.Column, Field: path, Message: fmt.Sprintf(format, args...)}
	if p.Line >= 1 && p.Line <= len(r.lines) {
		e.SourceLine = strings.TrimRight(r.lines[p.Line-1], "\r")
	}
	r.errs = append(r.errs, e)
}

// Errorf records a problem at node n about the field at path.
func (r *Reader) Errorf(n ast.Node, path, format string, args ...any) {
	r.ErrorAt(Position(n), path, format, args...)
}

// ErrorPath records a problem about the field at path, at the position of
// the nearest field on the path that the file has.
func (r *Reader) ErrorPath(path, format string, args ...any) {
	r.ErrorAt(r.at(path), path, format, args...)
}

// ErrorAtKey records a problem about the field at path, at its key: for
// the name of a field rather than its value.
func (r *Reader) ErrorAtKey(path, format string, args ...any) {
	r.ErrorAt(r.keyPos[path], path, format, args...)
}

// at is where the value of the field at path is or, when the file has not
// that field (a default, a missing field), the key of the nearest
// enclosing field that it has.
func (r *Reader) at(path string) token.Position {
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

// Has reports whether the file sets the field at path.
func (r *Reader) Has(path string) bool {
	_, ok := r.pos[path]
	return ok
}

// Shapeless reports whether the value at path was not the mapping or list
// the schema wanted (already reported: its fields, all missing, are not
// worth reporting again).
func (r *Reader) Shapeless(path string) bool { return r.shapeless[path] }

// markBad records a problem at path, and so inside each of its parents.
func (r *Reader) markBad(path string) {
	for p := path; !r.bad[p]; p = parentPath(p) {
		r.bad[p] = true
		if p == "" {
			break
		}
	}
}

// Failed reports whether a problem was recorded at or inside any of paths,
// so that checks on resolved values do not pile onto a reported mistake.
func (r *Reader) Failed(paths ...string) bool {
	for _, p := range paths {
		if r.bad[p] {
			return true
		}
	}
	return false
}

// Err returns every problem recorded, in source order, as an ErrorList,
// or nil when there is none.
func (r *Reader) Err() error {
	r.errs.Sort()
	// Problems of an included file come after the file's own.
	slices.SortStableFunc(r.errs, func(a, b *Error) int {
		return cmp.Compare(b2i(a.File != r.file), b2i(b.File != r.file))
	})
	for _, e := range r.errs {
		if e.File != r.file {
			continue // its own loader masked what it had to
		}
		for _, col := range r.masked[e.Line] {
			e.SourceLine = maskValue(e.SourceLine, col)
		}
	}
	if r.dropped > 0 {
		r.errs = append(r.errs, &Error{File: r.file, Message: fmt.Sprintf("%d more errors not shown", r.dropped)})
		r.dropped = 0
	}
	if len(r.errs) == 0 {
		return nil
	}
	return r.errs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// JoinPath is the path of the field key in the mapping at path.
func JoinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Include records problems found in another file that the field at path
// names (a task definition): they keep their own file and position, and
// the field counts as failed.
func (r *Reader) Include(path string, errs ErrorList) {
	r.markBad(path)
	for _, e := range errs {
		if len(r.errs) >= MaxErrors {
			r.dropped++
			continue
		}
		r.errs = append(r.errs, e)
	}
}
