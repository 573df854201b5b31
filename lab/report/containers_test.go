package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ecslab/lab/lab"
)

// containers.csv has a row per container of a task of several per
// snapshot; a run of tasks of one container writes none.
func TestContainersCSV(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.Snapshot(lab.Snapshot{T: 1, Entry: 1, Service: lab.Observation{Tasks: []lab.TaskStat{{ID: "t1"}}}})
	if _, err := os.Stat(filepath.Join(dir, ContainersFile)); !os.IsNotExist(err) {
		t.Fatalf("containers.csv exists without a task of several containers: %v", err)
	}
	w.Snapshot(lab.Snapshot{T: 2, Entry: 1, Service: lab.Observation{Tasks: []lab.TaskStat{{ID: "t1", Containers: []lab.ContainerStat{
		{Name: "app", State: "running", Health: "healthy", CPUPct: 12.34, MemMiB: 40},
		{Name: "init", State: "exited"},
	}}}}})
	w.Done(lab.Summary{})
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, ContainersFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "t,entry,task,container,state,health,cpu_pct,mem_mib\n" +
		"2.0,1,t1,app,running,healthy,12.3,40.0\n" +
		"2.0,1,t1,init,exited,,0.0,0.0\n"
	if string(data) != want {
		t.Errorf("containers.csv:\n%s\nwant:\n%s", data, want)
	}
}
