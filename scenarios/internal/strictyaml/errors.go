package strictyaml

import (
	"fmt"
	"strings"

	"github.com/ecslab/lab/internal/srcerr"
	"github.com/goccy/go-yaml/ast"
)

// Error is one problem in a file, at the YAML node it comes from.
type Error = srcerr.Error

// ErrorList is every problem found in one pass over a file, in source order.
type ErrorList = srcerr.ErrorList

// FileError is a problem with the file as a whole (it cannot be read, it
// is too large), as an ErrorList of one.
func FileError(file string, err error, format string, args ...any) ErrorList {
	return ErrorList{{File: file, Message: fmt.Sprintf(format, args...), Err: err}}
}

// Mask keeps the scalar at n out of every error's source line: it is
// shown as asterisks, one for each character, so that carets still line
// up.
func (r *Reader) Mask(n ast.Node) {
	if p := Position(n); p.Line > 0 {
		r.masked[p.Line] = append(r.masked[p.Line], p.Column)
	}
}

// maskValue replaces with '*' the scalar that starts at column col
// (1-based, in characters) of line: a quoted string to its closing quote,
// a plain one to the end of its flow item or of the line.
func maskValue(line string, col int) string {
	rs := []rune(line)
	i := col - 1
	if i < 0 || i >= len(rs) {
		return line
	}
	end := len(rs)
	switch rs[i] {
	case '"':
		for j := i + 1; j < len(rs); j++ {
			if rs[j] == '\\' {
				j++
			} else if rs[j] == '"' {
				end = j + 1
				break
			}
		}
	case '\'':
		for j := i + 1; j < len(rs); j++ {
			if rs[j] == '\'' {
				if j+1 < len(rs) && rs[j+1] == '\'' {
					j++
					continue
				}
				end = j + 1
				break
			}
		}
	case '|', '>':
		return line // a block scalar: its text is on the lines below
	default:
		for j := i; j < len(rs); j++ {
			if strings.ContainsRune(",]}", rs[j]) || rs[j] == '#' && j > i && rs[j-1] == ' ' {
				end = j
				break
			}
		}
		for end > i && rs[end-1] == ' ' {
			end--
		}
	}
	for j := i; j < min(end, len(rs)); j++ {
		rs[j] = '*'
	}
	return string(rs)
}
