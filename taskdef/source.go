package taskdef

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ecslab/lab/internal/srcerr"
)

// Error is one problem in a task definition file: file, line, column
// (JSON positions), field path and message, with the source line.
type Error = srcerr.Error

// ErrorList is every problem found in a file, in source order. Load and
// Parse return their errors as an ErrorList, so that a caller can tell bad
// input from other failures with errors.As.
type ErrorList = srcerr.ErrorList

// positions maps a field path ("containerDefinitions[1].dependsOn[0]") to
// where its value and its key start, so that checks made after decoding
// still point into the file.
type positions struct {
	src    *source
	values map[string]int
	keys   map[string]int
}

// source is a file being read: its name, its bytes, the byte spans whose
// text an error must not show (environment values), and the problems.
type source struct {
	file     string
	data     []byte
	masked   [][2]int
	errs     ErrorList
	warnings ErrorList
	offsets  map[*Error]int // where each problem is, for its source line
}

// at builds the error at byte offset off. Its source line is filled in
// by finish, once every span to mask is known.
func (s *source) at(off int, path, format string, args ...any) *Error {
	line, col := s.locate(off)
	e := &Error{File: s.file, Line: line, Column: col, Field: path, Message: fmt.Sprintf(format, args...)}
	if s.offsets == nil {
		s.offsets = map[*Error]int{}
	}
	s.offsets[e] = off
	return e
}

// finish sorts the problems and gives each its source line, with the
// masked spans as asterisks.
func (s *source) finish() {
	for e, off := range s.offsets {
		e.SourceLine = s.lineText(off)
	}
	s.errs.Sort()
	s.warnings.Sort()
}

func (s *source) errorf(off int, path, format string, args ...any) {
	s.errs = append(s.errs, s.at(off, path, format, args...))
}

func (s *source) warnf(off int, path, format string, args ...any) {
	s.warnings = append(s.warnings, s.at(off, path, format, args...))
}

// locate turns a byte offset into a 1-based line and column (in
// characters).
func (s *source) locate(off int) (line, col int) {
	off = min(max(off, 0), len(s.data))
	lineStart := bytes.LastIndexByte(s.data[:off], '\n') + 1
	line = bytes.Count(s.data[:lineStart], []byte{'\n'}) + 1
	return line, utf8.RuneCount(s.data[lineStart:off]) + 1
}

// lineText is the text of the line at byte offset off, with masked spans
// as asterisks (one for each character, so that the caret lines up).
func (s *source) lineText(off int) string {
	off = min(max(off, 0), len(s.data))
	lineStart := bytes.LastIndexByte(s.data[:off], '\n') + 1
	lineEnd := bytes.IndexByte(s.data[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(s.data)
	} else {
		lineEnd += lineStart
	}
	var b strings.Builder
	for i, r := range string(s.data[lineStart:lineEnd]) {
		if s.isMasked(lineStart + i) {
			r = '*'
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), "\r")
}

func (s *source) isMasked(off int) bool {
	for _, m := range s.masked {
		if off > m[0] && off < m[1]-1 { // keep the quotes
			return true
		}
	}
	return false
}

// errorAt reports a problem at the value of path, or at the nearest
// enclosing field the file has (a missing field is reported at its parent).
func (p positions) errorAt(path, format string, args ...any) {
	p.src.errorf(p.nearest(path, p.values), path, format, args...)
}

// errorAtKey reports a problem at the key of path (a field that should
// not be there).
func (p positions) errorAtKey(path, format string, args ...any) {
	p.src.errorf(p.nearest(path, p.keys), path, format, args...)
}

func (p positions) warnAtKey(path, format string, args ...any) {
	p.src.warnf(p.nearest(path, p.keys), path, format, args...)
}

func (p positions) nearest(path string, m map[string]int) int {
	for q := path; ; {
		if off, ok := m[q]; ok {
			return off
		}
		if off, ok := p.values[q]; ok {
			return off
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			return p.values[""]
		}
		q = q[:i]
	}
}
