package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validate --target ecs reports what the dry run would: a task
// definition's image that ECS cannot pull, with the push to run; plain
// validate does not, and a definition of pullable images passes both.
func TestValidateForECS(t *testing.T) {
	defs, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "testdata", "taskdefs", "shop-api.json"))
	if err != nil {
		t.Fatal(err)
	}
	const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2"
	if !strings.Contains(string(defs), ecr) {
		t.Fatalf("shop-api.json no longer names %s", ecr)
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("pullable.json", string(defs))
	write("local.json", strings.Replace(string(defs), ecr, "shop-api:dev", 1))
	scenario := func(def string) string {
		return write(def+".yaml", "name: shop-api\nworkload:\n  task_definition: "+def+".json\nservice: {count: 1}\nload:\n  path: /\n  phases: [{duration: 30s, rate: 20}]\n")
	}
	pullable, local := scenario("pullable"), scenario("local")

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", local}, exitOK, "ok"},
		{[]string{"validate", "--target", "ecs", pullable}, exitOK, "ok"},
		{[]string{"validate", "--target", "ecs", local}, exitBadInput, "image shop-api:dev names no registry"},
		{[]string{"validate", "--target", "ecs", local}, exitBadInput, "lab ecs push --image shop-api:dev"},
		{[]string{"validate", "--target", "fargate", pullable}, exitBadInput, "want local or ecs"},
	} {
		stdout, stderr, code := runInit(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("lab %s: exit %d, output:\n%s%s\nwant exit %d and %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.want)
		}
	}
}
