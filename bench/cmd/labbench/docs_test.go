package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The dashboard's cost that the README quotes is the one BENCHMARKS.md
// measured (dashboard minus headless, by bench/tui-cost.sh), and the
// measurement names the commit it was made at.
func TestDashboardCostIsMeasuredAndQuoted(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile("../../../" + path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	bench, readme, run := read("BENCHMARKS.md"), read("README.md"), read("bench/run.sh")
	i := strings.Index(bench, "\n## 7. ")
	if i < 0 {
		t.Fatal("BENCHMARKS.md has no section 7")
	}
	section := bench[i:]
	if j := strings.Index(section[1:], "\n## "); j >= 0 {
		section = section[:j+1]
	}
	if !regexp.MustCompile(`Measured at commit [0-9a-f]{12}`).MatchString(section) {
		t.Error("BENCHMARKS.md section 7 does not name the commit it was measured at")
	}
	m := regexp.MustCompile(`\*\*dashboard cost\*\* \(dashboard − headless\) \| \*\*([0-9.]+)% of one core\*\*`).FindStringSubmatch(section)
	if m == nil {
		t.Fatal("BENCHMARKS.md section 7 has no dashboard − headless figure")
	}
	q := regexp.MustCompile(`the dashboard costs lab ([0-9.]+)% of\s+one core`).FindStringSubmatch(readme)
	if q == nil || q[1] != m[1] {
		t.Errorf("README quotes %v, BENCHMARKS.md measured %s%%", q, m[1])
	}
	for _, want := range []string{"bench/tui-cost.sh", "| commit |"} {
		if !strings.Contains(run, want) {
			t.Errorf("bench/run.sh lacks %q", want)
		}
	}
}
