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

// A closed model's header says the rate intended and the rate sent.
func TestHeaderSaysAClosedModelsIntendedRate(t *testing.T) {
	h := header{info: scriptInfo(scriptScenario(t)), state: stateLoading, have: true}
	h.snap.Entries, h.snap.Entry, h.snap.Phase = 1, 1, "1"
	h.snap.Offered, h.snap.Load.Sent, h.snap.Load.OK = 5, 3, 3
	h.snap.Load.Errors = map[string]int{}
	if line := h.progress(160, asciiStyles()); strings.Contains(line, "intended") {
		t.Errorf("open model's header says intended:\n%s", line)
	}
	h.snap.Intended = true
	if line := h.progress(160, asciiStyles()); !strings.Contains(line, "ok 3/s of 5 intended (sent 3)") {
		t.Errorf("closed model's header:\n%s", line)
	}
}
