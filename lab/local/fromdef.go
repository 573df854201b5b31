package local

import (
	"fmt"
	"time"

	"github.com/ecslab/lab/taskdef"
)

// TaskDefFrom is a loaded task definition as the local target runs it:
// the balancer sends to lb, and the containers' secrets take their values
// from secretValues (by the secret's name, as package secrets resolved
// them; they reach the containers' environment and nothing else).
func TaskDefFrom(d *taskdef.Definition, lb taskdef.Target, secretValues map[string]string) (*TaskDef, error) {
	td := &TaskDef{Family: d.Family, Revision: d.Revision, LoadBalancer: LoadBalancerTarget{Container: lb.Container, Port: lb.Port}}
	if d.EphemeralStorage != nil {
		td.EphemeralGiB = d.EphemeralStorage.SizeInGiB
	}
	for _, v := range d.Volumes {
		td.Volumes = append(td.Volumes, v.Name)
	}
	for i := range d.ContainerDefinitions {
		c, err := containerFrom(d, &d.ContainerDefinitions[i], secretValues)
		if err != nil {
			return nil, fmt.Errorf("task definition %s: %w", d.Family, err)
		}
		td.Containers = append(td.Containers, c)
	}
	if err := td.Validate(); err != nil {
		return nil, fmt.Errorf("task definition %s: %w", d.Family, err)
	}
	return td, nil
}

// containerFrom is one container definition in the local target's terms.
func containerFrom(d *taskdef.Definition, c *taskdef.Container, secretValues map[string]string) (ContainerDef, error) {
	out := ContainerDef{
		Name: c.Name, Image: c.Image, Essential: c.IsEssential(),
		EntryPoint: c.EntryPoint, Command: c.Command,
		WorkingDir: c.WorkingDirectory, User: c.User,
		ReadOnly: c.ReadonlyRootFilesystem != nil && *c.ReadonlyRootFilesystem,
		Init:     c.LinuxParameters != nil && c.LinuxParameters.InitProcessEnabled != nil && *c.LinuxParameters.InitProcessEnabled,
		Labels:   c.DockerLabels, CPU: c.CPU,
		Memory: deref(c.Memory), MemoryRes: deref(c.MemoryReservation),
		StopTimeout:  time.Duration(deref(c.StopTimeout)) * time.Second,
		StartTimeout: time.Duration(deref(c.StartTimeout)) * time.Second,
	}
	if lc := c.LogConfiguration; lc != nil {
		out.LogDriver, out.LogOptions = lc.LogDriver, lc.Options
	}
	if len(c.Environment) > 0 {
		out.Env = map[string]string{}
		for _, kv := range c.Environment {
			out.Env[kv.Name] = kv.Value
		}
	}
	if len(c.Secrets) > 0 {
		out.Secrets = map[string]string{}
		for _, s := range c.Secrets {
			v, ok := secretValues[s.Name]
			if !ok {
				return ContainerDef{}, fmt.Errorf("container %q: secret %s has no value", c.Name, s.Name)
			}
			out.Secrets[s.Name] = v
		}
	}
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, Ulimit{Name: u.Name, Soft: int64(u.SoftLimit), Hard: int64(u.HardLimit)})
	}
	for _, dep := range c.DependsOn {
		out.DependsOn = append(out.DependsOn, Dependency{Container: dep.ContainerName, Condition: dep.Condition})
	}
	if h := c.HealthCheck; h != nil {
		out.HealthCheck = &HealthCheck{Command: h.Command, Interval: h.IntervalOrDefault(), Timeout: h.TimeoutOrDefault(),
			Retries: h.RetriesOrDefault(), StartPeriod: h.StartPeriodDuration()}
	}
	for _, p := range c.PortMappings {
		out.Ports = append(out.Ports, p.ContainerPort)
	}
	out.Mounts = mountsOf(c, false)
	// volumesFrom: every volume the source container mounts, at the same
	// paths, read-only when asked.
	for _, vf := range c.VolumesFrom {
		src := d.Container(vf.SourceContainer)
		if src == nil {
			return ContainerDef{}, fmt.Errorf("container %q: volumesFrom %q: no such container in the task", c.Name, vf.SourceContainer)
		}
		out.Mounts = append(out.Mounts, mountsOf(src, vf.ReadOnly != nil && *vf.ReadOnly)...)
	}
	return out, nil
}

// mountsOf are a container's mount points, all read-only with readOnly.
func mountsOf(c *taskdef.Container, readOnly bool) []Mount {
	var out []Mount
	for _, m := range c.MountPoints {
		out = append(out, Mount{Volume: m.SourceVolume, Path: m.ContainerPath, ReadOnly: readOnly || m.ReadOnly != nil && *m.ReadOnly})
	}
	return out
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
