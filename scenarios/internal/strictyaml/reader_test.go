package strictyaml

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/google/go-cmp/cmp"
)

// box is a toy document: nothing in this package knows what it means.
type box struct {
	Name  string
	Size  int
	Wait  time.Duration
	Tags  []string
	Env   map[string]string
	Inner struct{ Color string }
}

var toyFile = Options{
	Noun:  "a box file",
	Empty: "file is empty; a box needs a name",
	Homes: map[string]string{"color": "inner"},
}

func readBox(data string) (box, error) {
	var b box
	r := New("box.yaml", []byte(data), toyFile)
	body := r.Document([]byte(data))
	if body == nil {
		return b, r.Err()
	}
	r.Object(body, "", []Field{
		{Name: "name", Required: true, Read: func(n ast.Node, path string) { r.Str(n, path, &b.Name) }},
		{Name: "size", Read: func(n ast.Node, path string) { r.IntBetween(1, 10)(n, path, &b.Size) }},
		{Name: "wait", Read: func(n ast.Node, path string) { r.Duration(n, path, &b.Wait) }},
		{Name: "tags", Read: func(n ast.Node, path string) { ListOf(r, r.Str)(n, path, &b.Tags) }},
		{Name: "env", Read: func(n ast.Node, path string) { r.StringMap(n, path, &b.Env) }},
		{Name: "inner", Read: func(n ast.Node, path string) {
			r.Object(n, path, []Field{{Name: "color", Read: func(n ast.Node, path string) { r.OneOf("red", "blue")(n, path, &b.Inner.Color) }}})
		}},
	})
	return b, r.Err()
}

func TestReadsAValidDocument(t *testing.T) {
	got, err := readBox("base: &base {size: 3}\n" + `name: b
<<: *base
wait: 90s
tags: [a, "b"]
env: {N: 1, S: x}
inner: {color: red}
`)
	// base is no field: the merge key is the way to share it.
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Field != "base" {
		t.Fatalf("err = %v, want the one unknown field base", err)
	}
	want := box{Name: "b", Size: 3, Wait: 90 * time.Second, Tags: []string{"a", "b"}, Env: map[string]string{"N": "1", "S": "x"}}
	want.Inner.Color = "red"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
}

// TestReportsEveryProblemInSourceOrder: one pass finds them all, each at
// its line and column, with its field path.
func TestReportsEveryProblemInSourceOrder(t *testing.T) {
	_, err := readBox(`inner: {color: bleu}
size: 11
nme: b
color: red
tags: [a, 1]
env: {A: 1, A: 2}
wait: 8d
`)
	want := []string{
		`box.yaml:1:16: inner.color: "bleu" is not one of red or blue; did you mean "blue"?`,
		`box.yaml:2:7: size: must be from 1 to 10, got 11`,
		`box.yaml:3:1: nme: unknown field "nme"; did you mean "name"?`,
		`box.yaml:4:1: color: unknown field "color"; color belongs under inner`,
		`box.yaml:5:11: tags[1]: expected a string, got 1 (quote it: "1")`,
		`box.yaml:6:13: env.A: duplicate key "A" (first on line 6)`,
		`box.yaml:7:7: wait: "8d" is not a duration: write one such as 60s, 1m30s or 500ms`,
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want an ErrorList", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Headline())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestMissingRequiredField(t *testing.T) {
	_, err := readBox("size: 2\n")
	if err == nil || !strings.Contains(err.Error(), "box.yaml:1:1: name: missing required field") {
		t.Errorf("err = %v, want name missing", err)
	}
}

func TestWholeFileProblemsUseTheOptions(t *testing.T) {
	for data, want := range map[string]string{
		"":                      "box.yaml: file is empty; a box needs a name",
		"name: a\n---\nname: b": "box.yaml:3:1: a box file holds one YAML document; a second one starts here",
		"name: !custom a\n":     "box.yaml:1:7: name: unsupported tag !custom",
	} {
		_, err := readBox(data)
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 || list[0].Headline() != want {
			t.Errorf("%q: err = %v, want %q", data, err, want)
		}
	}
}

func TestIsScalarFollowsAliases(t *testing.T) {
	r := New("x.yaml", nil, toyFile)
	data := []byte("a: &s 512/1024\nb: *s\nc: &m {x: 1}\nd: *m\ne: !!str 5\n")
	body := r.Document(data)
	scalar := map[string]bool{}
	r.Object(body, "", []Field{
		{Name: "a", Read: func(n ast.Node, _ string) { scalar["a"] = r.IsScalar(n) }},
		{Name: "b", Read: func(n ast.Node, _ string) { scalar["b"] = r.IsScalar(n) }},
		{Name: "c", Read: func(n ast.Node, _ string) { scalar["c"] = r.IsScalar(n) }},
		{Name: "d", Read: func(n ast.Node, _ string) { scalar["d"] = r.IsScalar(n) }},
		{Name: "e", Read: func(n ast.Node, _ string) { scalar["e"] = r.IsScalar(n) }},
	})
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"a": true, "b": true, "c": false, "d": false, "e": true}; !cmp.Equal(want, scalar) {
		t.Errorf("IsScalar = %v, want %v", scalar, want)
	}
}
