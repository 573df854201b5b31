// Package shapetest checks a metadata document that lab serves against
// the one AWS documents (taskmeta's testdata): every documented key,
// with the documented JSON type. Tests of taskmeta check the documents
// lab builds; tests of the live agent check those a container fetched.
package shapetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Diff lists the keys of want (a documented response) that got
// lacks or holds with another JSON type, recursively; arrays are compared
// by their first element. A null in got stands for an empty list or
// object only where nullOK says so (Docker's stats write nil slices as
// null).
func Diff(want, got any, path string, nullOK bool) []string {
	if got == nil && nullOK {
		return nil
	}
	if kind(want) != kind(got) {
		return []string{fmt.Sprintf("%s: documented as %s, rendered as %s", path, kind(want), kind(got))}
	}
	var out []string
	switch w := want.(type) {
	case map[string]any:
		if freeForm(path) {
			return nil // keys are data (labels, interfaces), not the schema
		}
		g := got.(map[string]any)
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, Diff(w[k], gv, path+"."+k, nullOK)...)
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			out = append(out, Diff(w[0], g[0], path+"[0]", nullOK)...)
		} else if len(w) > 0 && !nullOK {
			out = append(out, path+": documented with elements, rendered empty")
		}
	}
	return out
}

// freeForm reports whether the object at path has keys of the user's or
// the host's choosing.
func freeForm(path string) bool {
	for _, suffix := range []string{".Labels", ".LogOptions", ".networks", "memory_stats.stats"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// Documented is the documented example name (task-fargate.json,
// container-fargate.json, stats-fargate.json) of taskmeta's testdata,
// decoded.
func Documented(name string) (any, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("shapetest: where is this package's source?")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", name))
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}
