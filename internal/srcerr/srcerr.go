// Package srcerr is the error of an input file (a scenario, a task
// definition): a problem at a line and column, with the field path and the
// source line under which a caret points at the column.
package srcerr

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is one problem in a file, at the node it comes from (YAML or JSON).
// Line and Column are 1-based; they are 0 when the problem concerns the
// file as a whole (it cannot be read, it is too large).
type Error struct {
	File    string // the name the Reader was given
	Line    int
	Column  int    // in characters (runes), 1-based
	Field   string // the field path, e.g. "load.phases[0].duration"; "" for syntax errors
	Message string

	// SourceLine is the text of line Line, for the caret under Column.
	SourceLine string
	// Err is the underlying error, if any (e.g. from reading the file).
	Err error
}

// Headline is the error's first line: "file:line:column: field: message".
func (e *Error) Headline() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(printable(e.Field))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Error is the headline followed, when the source is known, by the source
// line and a caret under the column:
//
//	cpu.yaml:7:11: service.memory: ...
//	   7 |   memory: 4096
//	     |           ^
func (e *Error) Error() string {
	if e.Line <= 0 || e.SourceLine == "" {
		return e.Headline()
	}
	num := fmt.Sprintf("%4d", e.Line)
	gutter := strings.Repeat(" ", len(num))
	line, col := sourceWindow(e.SourceLine, e.Column)
	return fmt.Sprintf("%s\n%s | %s\n%s | %s^", e.Headline(), num, line, gutter, caretIndent(line, col))
}

// printable replaces control characters (but tabs) and invalid UTF-8 in
// s, one character for one, with '?': text from a binary file must not
// drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r != '\t' && unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// maxSourceWidth is how much of a source line an error shows: a minified
// JSON file is one long line.
const maxSourceWidth = 120

// sourceWindow is the part of line that an error shows, at most
// maxSourceWidth characters around column col (with "..." where it is
// cut), printable; and col within it.
func sourceWindow(line string, col int) (string, int) {
	rs := []rune(printable(line))
	if len(rs) <= maxSourceWidth {
		return string(rs), col
	}
	start := min(max(0, col-1-maxSourceWidth/2), len(rs)-maxSourceWidth)
	out := string(rs[start : start+maxSourceWidth])
	if start > 0 {
		out, col = "..."+out, col-start+3
	}
	if start+maxSourceWidth < len(rs) {
		out += "..."
	}
	return out, col
}

func (e *Error) Unwrap() error { return e.Err }

// caretIndent is the blank prefix that puts a caret under column col of
// line, keeping the line's tabs so that the caret lines up.
func caretIndent(line string, col int) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		if n >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteRune(' ')
		}
		n++
	}
	for ; n < col-1; n++ {
		b.WriteRune(' ')
	}
	return b.String()
}

// ErrorList is every problem found in one pass over a file, in source
// order. A caller tells bad input from other failures with errors.As.
type ErrorList []*Error

// Unwrap gives errors.Is and errors.As the problems' causes.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Errors returns the problems one by one.
func (l ErrorList) Errors() []*Error { return l }

// Error is every problem, each with its source line and caret.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Sort puts the problems in source order; problems about the whole file
// come first, and problems at the same place keep the order they were found.
func (l ErrorList) Sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
