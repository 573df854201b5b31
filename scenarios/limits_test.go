package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// TestHostileInput feeds the loader inputs made to be slow or large; each
// must be answered with errors, quickly.
func TestHostileInput(t *testing.T) {
	const size = MaxFileSize - 100
	many := func(unit string) string { return strings.Repeat(unit, size/len(unit)) }
	phases := func(n int, item string) string {
		var b strings.Builder
		b.WriteString("name: t\nworkload: {builtin: true}\nservice: {cpu: 256, memory: 512}\nload:\n  path: /\n  phases:\n")
		for range n {
			b.WriteString(item)
		}
		return b.String()
	}
	anchors := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a%d: &a%d [x]\nb%d: *a%d\n", i, i, i, i)
		}
		return b.String()
	}
	keys := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "k%d: 1\n", i)
		}
		return b.String()
	}
	for name, data := range map[string]string{
		// Just under the token limit: what the parser is given at worst.
		"deep flow lists, parsed":  strings.Repeat("[", strictyaml.MaxTokens-10),
		"deep block lists, parsed": strings.Repeat("- ", strictyaml.MaxTokens-10) + "x",
		"deep flow maps, parsed":   strings.Repeat("{a: ", (strictyaml.MaxTokens-10)/3),
		"many keys, parsed":        keys((strictyaml.MaxTokens - 10) / 3),
		"many phases, parsed":      phases((strictyaml.MaxTokens-100)/12, "    - {duration: 1s, rate: 1}\n"),
		// Over it: refused after lexing.
		"deep flow lists":     many("["),
		"deep flow mappings":  many("{a: "),
		"deep block lists":    many("- "),
		"deep block mappings": strings.Repeat("a:\n ", 20000),
		"one long line":       "name: " + many("x"),
		"many unknown keys":   many("k: 1\n"),
		"many bad phases":     phases(40000, "    - {rate: 1}\n"),
		"many good phases":    phases(30000, "    - {duration: 1s, rate: 1}\n"),
		"many anchors":        anchors(20000),
		"many documents":      many("---\n"),
		"many quotes":         many(`"`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if len(data) > MaxFileSize {
				t.Fatalf("input is %d bytes, over the limit", len(data))
			}
			// A guard against work that grows without bound (an alias
			// bomb takes hours), not a speed figure: generous enough for a
			// machine busy with other work.
			start := time.Now()
			s, err := Parse("hostile.yaml", []byte(data))
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("took %s", d)
			}
			if err == nil {
				if name == "many phases, parsed" {
					return
				}
				t.Fatalf("loads: %+v", s)
			}
			if n := len(err.(ErrorList)); n > strictyaml.MaxErrors+1 {
				t.Errorf("%d errors, want at most %d", n, strictyaml.MaxErrors+1)
			}
		})
	}
}
