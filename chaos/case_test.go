package chaos

import (
	"strings"
	"testing"
)

// make chaos fails when a case skipped: a fault case that did not run
// did not pass.
func TestSkippedCaseFailsTheRun(t *testing.T) {
	c := &caseCount{status: map[string]string{"TestA": "pass", "TestB": "skip"}}
	if got, why := c.exitCode(0, true); got != 1 || !strings.Contains(why, "TestB") {
		t.Errorf("a skipped case, skips not allowed: exit %d (%q), want 1 naming TestB", got, why)
	}
	if got, _ := c.exitCode(0, false); got != 0 {
		t.Errorf("a skipped case, skips allowed: exit %d, want 0", got)
	}
	if got, _ := (&caseCount{status: map[string]string{"TestA": "pass"}}).exitCode(0, true); got != 0 {
		t.Errorf("no skip: exit %d, want 0", got)
	}
}
