package local

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ecslab/lab/internal/format"
	"github.com/ecslab/lab/scenarios"
)

// PrintPlan prints what a run of sc on the local target would start,
// entry by entry: the tasks and the docker run options that give each
// one its Fargate size and its confinement, read from the very container
// configuration task.go creates. It needs no Docker. Environment values
// are not printed: they may be secrets.
func PrintPlan(w io.Writer, sc *scenarios.Scenario) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "scenario %s: %s of load per entry, path %s\n", sc.Name, sc.LoadDuration(), sc.Load.Path)
	if d := sc.Workload.Definition; d != nil {
		printTaskDefPlan(&b, sc)
	}
	for _, e := range sc.Entries() {
		if sc.Workload.Definition != nil {
			fmt.Fprintf(&b, "entry %d: %d task(s) at %s (%.2f vCPU, %d MiB): one parent cgroup per task with --cpus %.4g --memory %dm, no swap (or, where lab cannot make it, each container its share)\n",
				e.Index+1, e.Count, e.Label, e.Size.VCPU(), e.Size.Memory, e.Size.VCPU(), e.Size.Memory)
			continue
		}
		fmt.Fprintf(&b, "entry %d: %d task(s) at %s (%.2f vCPU, %d MiB): docker run %s\n",
			e.Index+1, e.Count, e.Label, e.Size.VCPU(), e.Size.Memory, runOptions(taskSpec{
				Builtin: sc.Workload.Builtin, Port: sc.Workload.Port, Size: e.Size,
			}))
	}
	if n := sc.Load.GeneratorCount(); n > 1 {
		fmt.Fprintf(&b, "load: %d generator containers of lab's workload image per entry (lab workload generate, --memory %dm, no cpu quota), each sending 1/%d of the load to the balancer on the run's network\n",
			n, generatorMemory>>20, n)
	}
	if d := sc.Service.StartDelay; d > 0 {
		fmt.Fprintf(&b, "start_delay %s: a replacement, scale-out or deployment task is held PROVISIONING, then PENDING, that long before its container starts (an entry's first tasks are not)\n", format.Duration(d))
	}
	if len(sc.Secrets) > 0 {
		from := make([]string, len(sc.Secrets))
		for i, s := range sc.Secrets {
			from[i] = fmt.Sprintf("%s from %s", s.Name, s.ValueFrom)
		}
		fmt.Fprintf(&b, "secrets (read at the start; an ARN needs --secret NAME=env:VAR|file:PATH): %s\n", strings.Join(from, ", "))
	}
	if sc.TaskRole != "" {
		fmt.Fprintf(&b, "task role: %s: each task's agent serves credentials at AWS_CONTAINER_CREDENTIALS_FULL_URI (fetched at the start, never written)\n", sc.TaskRole)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// runOptions is the docker run equivalent of a task's limits and
// confinement.
func runOptions(s taskSpec) string {
	cfg, host := containerConfig(s)
	r := host.Resources
	opts := []string{
		fmt.Sprintf("--cpus %.4g", float64(r.NanoCPUs)/1e9),
		fmt.Sprintf("--memory %dm", r.Memory>>20),
		fmt.Sprintf("--memory-swap %dm", r.MemorySwap>>20),
		fmt.Sprintf("--pids-limit %d", *r.PidsLimit),
	}
	for _, o := range host.SecurityOpt {
		opts = append(opts, "--security-opt "+o)
	}
	for _, c := range host.CapDrop {
		opts = append(opts, "--cap-drop "+c)
	}
	if host.ReadonlyRootfs {
		opts = append(opts, "--read-only")
	}
	if cfg.User != "" {
		opts = append(opts, "--user "+cfg.User)
	}
	return strings.Join(opts, " ")
}

// printTaskDefPlan says how each task of a task definition runs: a
// holder for the network namespace, then each container with what
// decides its start and its limits. Environment values are not printed.
func printTaskDefPlan(b *bytes.Buffer, sc *scenarios.Scenario) {
	d := sc.Workload.Definition
	lb := sc.Service.LoadBalancer
	fmt.Fprintf(b, "task definition %s: each task is a holder (lab's workload image, `pause`) that owns its network namespace and publishes %s:%d to the balancer, and %d container(s) in that namespace:\n",
		d.Family, lb.Container, lb.Port, len(d.ContainerDefinitions))
	for _, c := range d.ContainerDefinitions {
		var notes []string
		if c.IsEssential() {
			notes = append(notes, "essential")
		}
		for _, dep := range c.DependsOn {
			notes = append(notes, fmt.Sprintf("after %s %s", dep.ContainerName, dep.Condition))
		}
		if c.CPU > 0 {
			notes = append(notes, fmt.Sprintf("--cpu-shares %d", c.CPU))
		}
		if c.Memory != nil {
			notes = append(notes, fmt.Sprintf("--memory %dm", *c.Memory))
		}
		if c.MemoryReservation != nil {
			notes = append(notes, fmt.Sprintf("--memory-reservation %dm", *c.MemoryReservation))
		}
		if c.HealthCheck != nil {
			notes = append(notes, "health check "+c.HealthCheck.Command[0])
		}
		if len(c.Secrets) > 0 {
			notes = append(notes, fmt.Sprintf("%d secret(s)", len(c.Secrets)))
		}
		fmt.Fprintf(b, "  %s: %s (%s)\n", c.Name, c.Image, strings.Join(notes, ", "))
	}
}
