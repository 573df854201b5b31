package taskdef

import (
	"reflect"
	"strconv"
	"strings"
)

// schema checks a JSON tree against the Go types of Definition: every
// member must be a field of the type (or have a rule in rules), and every
// value the JSON kind the field needs. It records the position of every
// field it meets, and the spans of environment values (masked in errors).
type schema struct {
	src *source
	pos positions
}

var definitionType = reflect.TypeFor[Definition]()

// check walks n as a value of type t at path; pattern is path with the
// indexes left out ("containerDefinitions[].name"), the key of rules.
func (s *schema) check(n *node, t reflect.Type, path, pattern string) {
	s.pos.values[path] = n.start
	if n.kind == kindNull {
		return // as if absent
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if s.want(n, kindObject, path, "an object") {
			s.object(n, t, path, pattern)
		}
	case reflect.Slice:
		if s.want(n, kindArray, path, "an array") {
			for i, e := range n.elems {
				s.check(e, t.Elem(), path+"["+strconv.Itoa(i)+"]", pattern+"[]")
			}
		}
	case reflect.Map:
		if s.want(n, kindObject, path, "an object") {
			for _, f := range n.fields {
				p := join(path, f.key)
				s.pos.keys[p] = f.keyOff
				s.check(f.value, t.Elem(), p, pattern+".*")
			}
		}
	case reflect.String:
		if s.want(n, kindString, path, "a string") && strings.HasSuffix(pattern, "environment[].value") {
			s.src.masked = append(s.src.masked, [2]int{n.start, n.end})
		}
	case reflect.Int:
		if s.want(n, kindNumber, path, "a whole number") {
			if _, err := strconv.ParseInt(n.num.String(), 10, 32); err != nil {
				s.src.errorf(n.start, path, "want a whole number, not %s", n.num)
			}
		}
	case reflect.Bool:
		s.want(n, kindBool, path, "true or false")
	}
}

// want reports a value of the wrong JSON kind; ECS's own string-typed
// numbers (task cpu and memory) get a hint.
func (s *schema) want(n *node, k kind, path, what string) bool {
	if n.kind == k {
		return true
	}
	hint := ""
	if k == kindString && n.kind == kindNumber {
		hint = ` (ECS writes it as a string: "` + n.num.String() + `")`
	}
	s.src.errorf(n.start, path, "want %s%s", what, hint)
	return false
}

func (s *schema) object(n *node, t reflect.Type, path, pattern string) {
	for _, f := range n.fields {
		p, pat := join(path, f.key), join(pattern, f.key)
		s.pos.keys[p] = f.keyOff
		if ft, ok := fieldType(t, f.key); ok {
			s.check(f.value, ft, p, pat)
			continue
		}
		if r, ok := rules[pat]; ok {
			s.pos.values[p] = f.value.start
			s.apply(r, f, p)
			continue
		}
		msg := "unknown field " + strconv.Quote(f.key)
		if near := caseInsensitiveField(t, f.key); near != "" {
			msg += "; did you mean " + strconv.Quote(near) + "? (ECS field names are case-sensitive)"
		}
		s.src.errorf(f.keyOff, p, "%s", msg)
	}
}

func (s *schema) apply(r rule, f field, path string) {
	if f.value.empty() && r.treatment != readOnly {
		return
	}
	switch r.treatment {
	case refused:
		s.src.errorf(f.keyOff, path, "%s", r.why)
	case notEmulated:
		s.src.warnf(f.keyOff, path, "%s", r.why)
	}
}

// fieldType is the type of t's field whose JSON name is key.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == key && name != "-" {
			return f.Type, true
		}
	}
	return nil, false
}

func caseInsensitiveField(t reflect.Type, key string) string {
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "-" && strings.EqualFold(name, key) {
			return name
		}
	}
	for pat := range rules {
		if !strings.Contains(pat, ".") && !strings.Contains(pat, "[") && strings.EqualFold(pat, key) && t == definitionType {
			return pat
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
