package local

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ecslab/lab/scenarios"
)

// PrintPlan prints what a run of sc on the local target would start,
// entry by entry: the tasks and the docker run limits that give each one
// its Fargate size (task.go sets the same on the containers). It needs no
// Docker.
func PrintPlan(w io.Writer, sc *scenarios.Scenario) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "scenario %s: %s of load per entry, path %s\n", sc.Name, sc.LoadDuration(), sc.Load.Path)
	for _, e := range sc.Entries() {
		fmt.Fprintf(&b, "entry %d: %d task(s) at %s (%.2f vCPU, %d MiB): docker run --cpus %.4g --memory %dm --memory-swap %dm\n",
			e.Index+1, e.Count, e.Label, e.Size.VCPU(), e.Size.Memory, e.Size.VCPU(), e.Size.Memory, e.Size.Memory)
	}
	_, err := w.Write(b.Bytes())
	return err
}
