package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse feeds the loader arbitrary bytes: it must never panic or hang,
// every failure must be an ErrorList of located errors, and whatever loads
// must round-trip through YAML. Plain `go test` runs the seeds: every file
// under testdata, the built-ins and the starter.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, b := range builtinNames() {
		data, _ := BuiltinSource(b)
		f.Add(data)
	}
	f.Add(Starter())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %T %v", err, err)
			}
			for _, e := range list {
				if e.File != "fuzz.yaml" || e.Message == "" {
					t.Fatalf("error without file or message: %#v", e)
				}
				_ = e.Error()
			}
			return
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("YAML(): %v", err)
		}
		back, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("the YAML of a loaded scenario does not load: %v\n%s", err, out)
		}
		if diff := cmp.Diff(s, back, ignoreSource); diff != "" {
			t.Fatalf("round trip changed the scenario (-before +after):\n%s", diff)
		}
	})
}
