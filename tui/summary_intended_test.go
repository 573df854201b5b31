package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/ecslab/lab/lab"
)

// The summary table shows a closed model's intended rate beside the rate
// sent, and no such column for an open model.
func TestEntryTableShowsTheIntendedRate(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	closed := []lab.EntrySummary{{Label: "256/512", AchievedRPS: 3, OfferedRPS: 3.17, IntendedRPS: 5}}
	table := ansi.Strip(strings.Join(entryTable(closed, 120, st), "\n"))
	if !strings.Contains(table, "INTENDED") || !strings.Contains(table, "5.00") || !strings.Contains(table, "3.17") {
		t.Errorf("closed model's table does not show 5.00 intended beside 3.17 sent:\n%s", table)
	}
	open := []lab.EntrySummary{{Label: "256/512", AchievedRPS: 3, OfferedRPS: 3.17}}
	if table := ansi.Strip(strings.Join(entryTable(open, 120, st), "\n")); strings.Contains(table, "INTENDED") {
		t.Errorf("open model's table has an INTENDED column:\n%s", table)
	}
}
