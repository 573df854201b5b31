package balancer

import (
	"bufio"
	"bytes"
	"errors"
)

// The parsing half of the balancer's lean HTTP/1.1 path (proxy.go): just
// enough of RFC 9112 to frame messages and to drop hop-by-hop fields. It
// works in place, on the bytes in a bufio.Reader's buffer, and allocates
// nothing. A request it does not fully understand is not rejected here:
// errFallback hands the connection to net/http (see Balancer.handoff).

var (
	// errFallback: the lean path leaves this request to net/http.
	errFallback = errors.New("balancer: request needs the net/http path")
	// errBadResponse: the target's response cannot be framed (502).
	errBadResponse = errors.New("balancer: malformed response from the target")
	// errHeadTooLarge: the head does not fit in the reader's buffer.
	errHeadTooLarge = errors.New("balancer: head too large")
	// errBadRequest: the balancer refuses the request (400).
	errBadRequest = errors.New("balancer: malformed request")
)

// A head is the start line and header fields of a request or a response.
// Its slices point into a bufio.Reader's buffer: valid until the next read
// from that reader.
type head struct {
	size   int // bytes, blank line included
	minor  int // HTTP/1.minor
	fields []field
	// Connection tokens other than close and keep-alive: fields of those
	// names are hop-by-hop too.
	tokens [][]byte
	// framingToken: Connection names a field that frames the message or
	// routes it (Content-Length, Transfer-Encoding, Host). Dropping it as
	// hop-by-hop would change where the message ends, so such a message is
	// refused rather than forwarded.
	framingToken bool

	// Requests.
	method, target []byte
	hosts          int
	isHead         bool
	idempotent     bool // a retry on a fresh connection is safe (as net/http's Transport decides)
	teTrailers     bool // TE: trailers, which a proxy forwards

	// Responses.
	status []byte // "200 OK": the status line after the version
	code   int

	contentLength int64 // -1: none
	chunked       bool
	close         bool // Connection: close
	keepAlive     bool // Connection: keep-alive
}

// A field is one header line.
type field struct {
	line []byte // "Name: value"
	name []byte
	kind fieldKind
}

type fieldKind uint8

const (
	forward      fieldKind = iota
	hopByHop               // never forwarded
	announces              // Trailer: forwarded with a chunked body only
	forwardedFor           // X-Forwarded-For: its value goes first in the balancer's own
)

// wantsKeepAlive: the client keeps its connection open after the response.
func (h *head) wantsKeepAlive() bool {
	return !h.close && (h.minor == 1 || h.keepAlive)
}

// readHead waits until br holds a whole head and returns its bytes,
// unconsumed. onMore runs once, before the first read that the head needs
// beyond what was buffered. A head whose lines end in a bare LF is
// errFallback; one that does not fit in br's buffer, errHeadTooLarge.
func readHead(br *bufio.Reader, onMore func()) ([]byte, error) {
	scanned := 0 // length of the complete lines checked so far
	for {
		buf, _ := br.Peek(br.Buffered())
		for {
			i := bytes.IndexByte(buf[scanned:], '\n')
			if i < 0 {
				break
			}
			line := buf[scanned : scanned+i]
			if len(line) == 0 || line[len(line)-1] != '\r' || (len(line) == 1 && scanned == 0) {
				return nil, errFallback
			}
			scanned += i + 1
			if len(line) == 1 {
				return buf[:scanned], nil
			}
		}
		if len(buf) == br.Size() {
			return nil, errHeadTooLarge
		}
		if onMore != nil {
			onMore()
			onMore = nil
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil, err
		}
	}
}

// nextLine splits the first CRLF-terminated line off buf.
func nextLine(buf []byte) (line, rest []byte) {
	i := bytes.IndexByte(buf, '\n')
	return buf[:i-1], buf[i+1:]
}

// parseRequest parses a head from readHead. Anything the lean path does not
// handle is errFallback: another version than 1.0 and 1.1, a target that is
// not a path, Upgrade, Expect, a Transfer-Encoding, an ambiguous or invalid
// length, a missing or repeated Host in 1.1, an invalid field.
func (h *head) parseRequest(raw []byte) error {
	h.reset(len(raw))
	line, rest := nextLine(raw)
	if err := h.parseRequestLine(line); err != nil {
		return err
	}
	if err := h.parseFields(rest, (*head).requestField, errFallback, true); err != nil {
		return err
	}
	if h.hosts > 1 || (h.hosts == 0 && h.minor == 1) {
		return errFallback // net/http answers 400
	}
	if h.framingToken {
		return errBadRequest
	}
	h.dropNamed()
	return nil
}

// parseRequestLine parses "METHOD /target HTTP/1.x"; errFallback for
// anything else.
func (h *head) parseRequestLine(line []byte) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return errFallback
	}
	h.method, line = line[:sp], line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return errFallback
	}
	h.target, line = line[:sp], line[sp+1:]
	switch string(line) {
	case "HTTP/1.1":
		h.minor = 1
	case "HTTP/1.0":
		h.minor = 0
	default:
		return errFallback
	}
	if !isToken(h.method) || h.target[0] != '/' || !isTarget(h.target) {
		return errFallback // CONNECT, OPTIONS *, absolute-form: net/http knows them
	}
	switch string(h.method) {
	case "GET", "OPTIONS", "TRACE":
		h.idempotent = true
	case "HEAD":
		h.idempotent, h.isHead = true, true
	}
	return nil
}

// requestField reads a request's field of a known name into h and tells
// its kind; errFallback for a field the lean path leaves to net/http.
func (h *head) requestField(name fieldName, value []byte) (fieldKind, error) {
	switch name {
	case fieldHost:
		h.hosts++
	case fieldExpect, fieldUpgrade, fieldTransferEncoding:
		return 0, errFallback
	case fieldConnection:
		if !h.connection(value) {
			return 0, errFallback
		}
		return hopByHop, nil
	case fieldContentLength:
		if h.contentLength >= 0 {
			return 0, errFallback
		}
		if h.contentLength = parseLength(value); h.contentLength < 0 {
			return 0, errFallback
		}
	case fieldTE:
		h.teTrailers = h.teTrailers || hasToken(value, "trailers")
		return hopByHop, nil
	case fieldIdempotencyKey, fieldXIdempotencyKey:
		h.idempotent = true
	case fieldTrailer, fieldKeepAlive, fieldProxyConnection, fieldProxyAuthenticate, fieldProxyAuthorization:
		return hopByHop, nil
	case fieldXForwardedFor:
		return forwardedFor, nil // the client's address is appended, as ALB does
	case fieldXForwardedProto, fieldXForwardedPort:
		return hopByHop, nil // ALB sets them to its listener's
	}
	return forward, nil
}

// parseResponse parses a target's response head from readHead.
func (h *head) parseResponse(raw []byte) error {
	h.reset(len(raw))
	line, rest := nextLine(raw)
	if err := h.parseStatusLine(line); err != nil {
		return err
	}
	if err := h.parseFields(rest, (*head).responseField, errBadResponse, false); err != nil {
		return err
	}
	if h.chunked && h.contentLength >= 0 {
		// Transfer-Encoding wins (RFC 9112 6.3); the length is not forwarded.
		for i := range h.fields {
			if lowerIs(h.fields[i].name, "content-length") {
				h.fields[i].kind = hopByHop
			}
		}
		h.contentLength = -1
	}
	if h.framingToken {
		return errBadResponse
	}
	h.dropNamed()
	return nil
}

// parseStatusLine parses "HTTP/1.x NNN reason"; errBadResponse for
// anything else.
func (h *head) parseStatusLine(line []byte) error {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return errBadResponse
	}
	switch line[7] {
	case '0':
		h.minor = 0
	case '1':
		h.minor = 1
	default:
		return errBadResponse
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return errBadResponse
		}
		h.code = h.code*10 + int(c-'0')
	}
	h.status = line[9:]
	return nil
}

// responseField reads a response's field of a known name into h and
// tells its kind; errBadResponse for a length or Transfer-Encoding that
// leaves the body's framing unclear.
func (h *head) responseField(name fieldName, value []byte) (fieldKind, error) {
	switch name {
	case fieldConnection:
		h.connection(value)
		return hopByHop, nil
	case fieldContentLength:
		n := parseLength(value)
		if n < 0 || (h.contentLength >= 0 && n != h.contentLength) {
			return 0, errBadResponse
		}
		h.contentLength = n
	case fieldTransferEncoding:
		if h.chunked || !lowerIs(value, "chunked") {
			return 0, errBadResponse
		}
		h.chunked = true
		return hopByHop, nil
	case fieldTrailer:
		return announces, nil
	case fieldTE, fieldUpgrade, fieldKeepAlive, fieldProxyConnection, fieldProxyAuthenticate:
		return hopByHop, nil
	}
	return forward, nil
}

// parseFields parses the field lines of a head, rest after its start line:
// read reads those of a known name into h and tells their kind; the others
// are forwarded. A line that is not a field, or when checkValues one whose
// value holds a control character, is malformed.
func (h *head) parseFields(rest []byte, read func(*head, fieldName, []byte) (fieldKind, error), malformed error, checkValues bool) error {
	for len(rest) > 2 {
		var line []byte
		line, rest = nextLine(rest)
		name, value, ok := splitField(line)
		if !ok || checkValues && !validValue(value) {
			return malformed
		}
		kind := forward
		if known := nameOf(name); known != otherField {
			var err error
			if kind, err = read(h, known, value); err != nil {
				return err
			}
		}
		h.fields = append(h.fields, field{line: line, name: name, kind: kind})
	}
	return nil
}

// A fieldName is a field name that the lean path treats apart from the
// others (otherField).
type fieldName uint8

const (
	otherField fieldName = iota
	fieldConnection
	fieldContentLength
	fieldExpect
	fieldHost
	fieldIdempotencyKey
	fieldKeepAlive
	fieldProxyAuthenticate
	fieldProxyAuthorization
	fieldProxyConnection
	fieldTE
	fieldTrailer
	fieldTransferEncoding
	fieldUpgrade
	fieldXForwardedFor
	fieldXForwardedPort
	fieldXForwardedProto
	fieldXIdempotencyKey
)

// fieldNames spells the fieldNames, in lower case.
var fieldNames = [...]string{
	fieldConnection:         "connection",
	fieldContentLength:      "content-length",
	fieldExpect:             "expect",
	fieldHost:               "host",
	fieldIdempotencyKey:     "idempotency-key",
	fieldKeepAlive:          "keep-alive",
	fieldProxyAuthenticate:  "proxy-authenticate",
	fieldProxyAuthorization: "proxy-authorization",
	fieldProxyConnection:    "proxy-connection",
	fieldTE:                 "te",
	fieldTrailer:            "trailer",
	fieldTransferEncoding:   "transfer-encoding",
	fieldUpgrade:            "upgrade",
	fieldXForwardedFor:      "x-forwarded-for",
	fieldXForwardedPort:     "x-forwarded-port",
	fieldXForwardedProto:    "x-forwarded-proto",
	fieldXIdempotencyKey:    "x-idempotency-key",
}

// namesByLength holds the fieldNames by the length of their names, so
// that nameOf compares a name with a few at most.
var namesByLength = func() (t [20][]fieldName) {
	for n, s := range fieldNames {
		if s != "" {
			t[len(s)] = append(t[len(s)], fieldName(n))
		}
	}
	return t
}()

// nameOf tells which fieldName a field's name is, in any case.
func nameOf(name []byte) fieldName {
	if len(name) >= len(namesByLength) {
		return otherField
	}
	for _, n := range namesByLength[len(name)] {
		if lowerIs(name, fieldNames[n]) {
			return n
		}
	}
	return otherField
}

func (h *head) reset(size int) {
	*h = head{size: size, fields: h.fields[:0], tokens: h.tokens[:0], contentLength: -1}
}

// connection reads a Connection field's tokens; false when it asks for an
// upgrade.
func (h *head) connection(value []byte) bool {
	for len(value) > 0 {
		var tok []byte
		if i := bytes.IndexByte(value, ','); i >= 0 {
			tok, value = trimOWS(value[:i]), value[i+1:]
		} else {
			tok, value = trimOWS(value), nil
		}
		switch {
		case len(tok) == 0:
		case lowerIs(tok, "close"):
			h.close = true
		case lowerIs(tok, "keep-alive"):
			h.keepAlive = true
		case lowerIs(tok, "upgrade"):
			return false
		default:
			h.tokens = append(h.tokens, tok)
			h.framingToken = h.framingToken || isFramingField(tok)
		}
	}
	return true
}

// isFramingField reports whether a field name is one that a Connection
// field must not name (see head.framingToken).
func isFramingField(name []byte) bool {
	switch nameOf(name) {
	case fieldContentLength, fieldTransferEncoding, fieldHost:
		return true
	}
	return false
}

// dropNamed marks the fields that Connection names as hop-by-hop.
func (h *head) dropNamed() {
	for _, tok := range h.tokens {
		for i := range h.fields {
			if f := &h.fields[i]; len(f.name) == len(tok) && foldEqual(f.name, tok) {
				f.kind = hopByHop
			}
		}
	}
}

// value is the field's value, without white space around it.
func (f *field) value() []byte { return trimOWS(f.line[len(f.name)+1:]) }

// splitField splits "Name: value" and checks the name. A line that starts
// with white space (obsolete line folding) has no valid name.
func splitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || !isToken(line[:i]) {
		return nil, nil, false
	}
	return line[:i], trimOWS(line[i+1:]), true
}

// parseLength parses a Content-Length value; -1 when invalid.
func parseLength(v []byte) int64 {
	if len(v) == 0 || len(v) > 18 {
		return -1
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// parseChunkSize parses a chunk-size line (extensions ignored); -1 when
// invalid.
func parseChunkSize(line []byte) int64 {
	var n int64
	digits := 0
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ';' || c == ' ' || c == '\t':
			if digits == 0 {
				return -1
			}
			return n
		default:
			return -1
		}
		if digits++; digits > 15 {
			return -1
		}
		n = n<<4 | int64(d)
	}
	if digits == 0 {
		return -1
	}
	return n
}

// hasToken reports whether a comma-separated list holds tok (lower case).
func hasToken(list []byte, tok string) bool {
	for len(list) > 0 {
		var t []byte
		if i := bytes.IndexByte(list, ','); i >= 0 {
			t, list = list[:i], list[i+1:]
		} else {
			t, list = list, nil
		}
		if t = trimOWS(t); lowerIs(t, tok) {
			return true
		}
		if i := bytes.IndexByte(t, ';'); i >= 0 && lowerIs(trimOWS(t[:i]), tok) {
			return true
		}
	}
	return false
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// lowerIs compares b, in any case, with s, in lower case.
func lowerIs(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func foldEqual(a, b []byte) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// tokenChar holds the bytes of an RFC 9110 token.
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChar[c] {
			return false
		}
	}
	return len(b) > 0
}

// isTarget accepts visible ASCII only, as a request target must be.
func isTarget(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// validValue refuses control characters other than tab.
func validValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
