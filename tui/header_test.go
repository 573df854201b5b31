package tui

import (
	"strings"
	"testing"

	"github.com/ecslab/lab/scenarios"
)

// The header says when the tasks hold AWS credentials, and says nothing
// of it otherwise.
func TestHeaderSaysWhenTheTasksHaveARole(t *testing.T) {
	sc := scriptScenario(t)
	h := header{info: scriptInfo(sc), state: stateDeploying}
	if line := h.view(160, asciiStyles()); strings.Contains(line, "task role") {
		t.Errorf("header without a task role mentions one:\n%s", line)
	}
	with := *sc
	with.TaskRole = scenarios.TaskRoleAssume
	h.info = scriptInfo(&with)
	if line := h.view(160, asciiStyles()); !strings.Contains(line, "task role: assume") {
		t.Errorf("header with a task role:\n%s", line)
	}
}
