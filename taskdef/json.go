package taskdef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// node is a JSON value with the byte offsets where it starts and ends,
// so that every problem can name its line and column. encoding/json
// decodes the tokens; the offsets come from its Decoder.
type node struct {
	kind       kind
	start, end int // byte offsets in the file
	str        string
	num        json.Number
	boolean    bool
	fields     []field // object members, in file order
	elems      []*node // array elements
}

type field struct {
	key    string
	keyOff int
	value  *node
}

type kind int

const (
	kindNull kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
)

// get is the value of member key of an object node, or nil.
func (n *node) get(key string) *node {
	for _, f := range n.fields {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

// empty reports whether n carries nothing: null, "", false, 0, [] or {}.
func (n *node) empty() bool {
	switch n.kind {
	case kindObject:
		return len(n.fields) == 0
	case kindArray:
		return len(n.elems) == 0
	case kindString:
		return n.str == ""
	case kindBool:
		return !n.boolean
	case kindNumber:
		return n.num.String() == "0"
	}
	return true
}

// maxDepth bounds nesting: a task definition is a few levels deep.
const maxDepth = 64

// parser reads one JSON document into nodes.
type parser struct {
	data []byte
	dec  *json.Decoder
}

// syntaxError is a JSON syntax problem at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// parseJSON reads data as exactly one JSON value.
func parseJSON(data []byte) (*node, error) {
	p := &parser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if off := p.skip(); off < len(data) {
		return nil, &syntaxError{off, "unexpected text after the JSON value"}
	}
	return n, nil
}

// skip is the offset of the next token: past blanks and the separators
// the Decoder consumes without returning.
func (p *parser) skip() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && bytes.IndexByte([]byte(" \t\r\n,:"), p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *parser) token() (json.Token, int, error) {
	start := p.skip()
	tok, err := p.dec.Token()
	if err == nil {
		return tok, start, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return nil, start, &syntaxError{int(se.Offset), "invalid JSON: " + se.Error()}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, len(p.data), &syntaxError{len(p.data), "invalid JSON: the file ends before the value does"}
	}
	return nil, start, &syntaxError{start, "invalid JSON: " + err.Error()}
}

func (p *parser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &syntaxError{p.skip(), fmt.Sprintf("JSON nested more than %d levels deep", maxDepth)}
	}
	tok, start, err := p.token()
	if err != nil {
		return nil, err
	}
	n := &node{start: start}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			err = p.object(n, depth)
		} else {
			err = p.array(n, depth)
		}
	case string:
		n.kind, n.str = kindString, t
	case json.Number:
		n.kind, n.num = kindNumber, t
	case bool:
		n.kind, n.boolean = kindBool, t
	case nil:
		n.kind = kindNull
	}
	n.end = int(p.dec.InputOffset())
	return n, err
}

func (p *parser) object(n *node, depth int) error {
	n.kind = kindObject
	seen := map[string]bool{}
	for p.dec.More() {
		tok, keyOff, err := p.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return &syntaxError{keyOff, fmt.Sprintf("duplicate key %q", key)}
		}
		seen[key] = true
		v, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		n.fields = append(n.fields, field{key: key, keyOff: keyOff, value: v})
	}
	_, _, err := p.token() // the closing brace
	return err
}

func (p *parser) array(n *node, depth int) error {
	n.kind = kindArray
	for p.dec.More() {
		v, err := p.value(depth + 1)
		if err != nil {
			return err
		}
		n.elems = append(n.elems, v)
	}
	_, _, err := p.token() // the closing bracket
	return err
}
