package taskdef

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/ecslab/lab/fargate"
)

// validName is ECS's rule for families and container names.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// validate checks what ECS checks when it registers a Fargate task
// definition, each problem at its field.
func (d *Definition) validate() {
	p := d.pos
	if d.Family == "" {
		p.errorAt("family", "missing: every task definition has a family")
	} else if !validName.MatchString(d.Family) {
		p.errorAt("family", "%q: a family is 1 to 255 letters, digits, hyphens and underscores", d.Family)
	}
	switch d.NetworkMode {
	case "awsvpc":
	case "":
		p.errorAt("networkMode", `missing: a Fargate task definition has "networkMode": "awsvpc"`)
	default:
		p.errorAt("networkMode", "%q is not supported: Fargate tasks use awsvpc (each task its own network namespace, its containers on localhost)", d.NetworkMode)
	}
	d.validatePlatform()
	d.validateVolumes()
	if len(d.ContainerDefinitions) == 0 {
		p.errorAt("containerDefinitions", "missing: a task definition has at least one container")
		return
	}
	d.validateContainers()
	if size, ok := d.validateSize(); ok {
		for _, e := range d.envelopeProblems(size) {
			p.errorAt(e.path, "%s", e.msg)
		}
	}
}

func (d *Definition) validatePlatform() {
	p := d.pos
	if rp := d.RuntimePlatform; rp != nil {
		if os := rp.OperatingSystemFamily; os != "" && os != "LINUX" {
			p.errorAt("runtimePlatform.operatingSystemFamily", "%q is not supported: lab runs Linux containers", os)
		}
		if a := rp.CPUArchitecture; a != "" && a != "X86_64" && a != "ARM64" {
			p.errorAt("runtimePlatform.cpuArchitecture", "%q: want X86_64 or ARM64", a)
		}
	}
	if es := d.EphemeralStorage; es != nil && (es.SizeInGiB < 21 || es.SizeInGiB > 200) {
		p.errorAt("ephemeralStorage.sizeInGiB", "%d: Fargate ephemeral storage is 21 to 200 GiB", es.SizeInGiB)
	}
	switch d.PIDMode {
	case "":
	case "task":
		p.warnAtKey("pidMode", "not emulated locally: each container has its own process namespace; kept on ECS")
	default:
		p.errorAt("pidMode", "%q is not supported: Fargate allows only \"task\"", d.PIDMode)
	}
}

// validateSize checks the task-level cpu and memory, and returns the size
// when the file gives a valid one.
func (d *Definition) validateSize() (fargate.Size, bool) {
	p := d.pos
	if d.CPU == "" && d.Memory == "" {
		return fargate.Size{}, false // the scenario gives the size
	}
	cpu, errCPU := parseCPU(d.CPU)
	mem, errMem := parseMemory(d.Memory)
	switch {
	case d.CPU == "":
		p.errorAt("cpu", "missing: give cpu with memory (a Fargate task has both)")
	case d.Memory == "":
		p.errorAt("memory", "missing: give memory with cpu (a Fargate task has both)")
	case errCPU != nil:
		p.errorAt("cpu", "%v", errCPU)
	case errMem != nil:
		p.errorAt("memory", "%v", errMem)
	default:
		if err := fargate.CheckSize(cpu, mem); err != nil {
			at := "memory"
			if !fargate.IsCPU(cpu) {
				at = "cpu"
			}
			p.errorAt(at, "%v", err)
			return fargate.Size{}, false
		}
		return fargate.Size{CPU: cpu, Memory: mem}, true
	}
	return fargate.Size{}, false
}

func (d *Definition) validateVolumes() {
	seen := map[string]bool{}
	for i, v := range d.Volumes {
		at := fmt.Sprintf("volumes[%d]", i)
		switch {
		case v.Name == "":
			d.pos.errorAt(at+".name", "missing: a volume has a name")
		case seen[v.Name]:
			d.pos.errorAt(at+".name", "volume %q is declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.Host != nil && v.Host.SourcePath != "" {
			d.pos.errorAtKey(at+".host.sourcePath", "a Fargate task cannot mount a host path: leave host empty for a volume the task's containers share")
		}
	}
}

func (d *Definition) validateContainers() {
	p := d.pos
	names := map[string]bool{}
	essential := false
	for i := range d.ContainerDefinitions {
		c := &d.ContainerDefinitions[i]
		at := fmt.Sprintf("containerDefinitions[%d]", i)
		switch {
		case c.Name == "":
			p.errorAt(at+".name", "missing: every container has a name")
		case !validName.MatchString(c.Name):
			p.errorAt(at+".name", "%q: a container name is 1 to 255 letters, digits, hyphens and underscores", c.Name)
		case names[c.Name]:
			p.errorAt(at+".name", "container %q is defined twice: names are unique in a task", c.Name)
		}
		names[c.Name] = true
		if c.Image == "" {
			p.errorAt(at+".image", "missing: every container has an image")
		}
		essential = essential || c.IsEssential()
		d.validateContainer(c, at)
	}
	if !essential {
		p.errorAt("containerDefinitions", "no container is essential: a task needs at least one (essential is true unless set to false)")
	}
	d.validateDependencies()
	d.validatePorts()
}

func (d *Definition) validateContainer(c *Container, at string) {
	p := d.pos
	if c.CPU < 0 {
		p.errorAt(at+".cpu", "%d: cpu units are 0 or more", c.CPU)
	}
	if c.Memory != nil && *c.Memory < 6 {
		p.errorAt(at+".memory", "%d MiB: a container's memory is at least 6 MiB", *c.Memory)
	}
	if r := c.MemoryReservation; r != nil {
		if *r < 6 {
			p.errorAt(at+".memoryReservation", "%d MiB: a container's memoryReservation is at least 6 MiB", *r)
		} else if c.Memory != nil && *r > *c.Memory {
			p.errorAt(at+".memoryReservation", "%d MiB is more than the container's memory (%d MiB): the reservation is at most the hard limit", *r, *c.Memory)
		}
	}
	if hc := c.HealthCheck; hc != nil {
		validateHealthCheck(p, hc, at+".healthCheck")
	}
	for i, e := range c.Environment {
		if e.Name == "" {
			p.errorAt(fmt.Sprintf("%s.environment[%d].name", at, i), "missing: an environment variable has a name")
		}
	}
	for i, s := range c.Secrets {
		sat := fmt.Sprintf("%s.secrets[%d]", at, i)
		if s.Name == "" {
			p.errorAt(sat+".name", "missing: a secret has the name of its environment variable")
		}
		if s.ValueFrom == "" {
			p.errorAt(sat+".valueFrom", "missing: a secret has valueFrom (a Secrets Manager or Parameter Store ARN or name)")
		}
	}
	for i, u := range c.Ulimits {
		uat := fmt.Sprintf("%s.ulimits[%d]", at, i)
		if u.Name == "" {
			p.errorAt(uat+".name", "missing: a ulimit has a name (nofile, nproc, ...)")
		}
		if u.SoftLimit > u.HardLimit {
			p.errorAt(uat+".softLimit", "%d is above the hard limit %d", u.SoftLimit, u.HardLimit)
		}
	}
	if t := c.StopTimeout; t != nil && (*t < 0 || *t > 120) {
		p.errorAt(at+".stopTimeout", "%d: Fargate's stopTimeout is 0 to 120 seconds", *t)
	}
	if t := c.StartTimeout; t != nil && *t < 0 {
		p.errorAt(at+".startTimeout", "%d: startTimeout is 0 or more seconds", *t)
	}
	if len(c.EnvironmentFiles) > 0 {
		p.errorAtKey(at+".environmentFiles", "environment files in S3 are not supported: lab cannot read the bucket as the task's execution role would; put the variables in environment, or secrets")
	}
	if c.LogConfiguration != nil && c.LogConfiguration.LogDriver != "" {
		p.warnAtKey(at+".logConfiguration", "the %s log driver is not emulated: lab keeps the container's output itself; kept on ECS", c.LogConfiguration.LogDriver)
	}
	d.validateMounts(c, at)
}

func validateHealthCheck(p positions, hc *HealthCheck, at string) {
	switch {
	case len(hc.Command) == 0:
		p.errorAt(at+".command", `missing: a health check has a command, ["CMD", "prog", "arg"] or ["CMD-SHELL", "shell command"]`)
	case hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL":
		p.errorAt(at+".command[0]", `%q: a health check command starts with "CMD" or "CMD-SHELL"`, hc.Command[0])
	case len(hc.Command) < 2:
		p.errorAt(at+".command", "%s with nothing to run", hc.Command[0])
	}
	for _, r := range []struct {
		field    string
		v        int
		min, max int
	}{
		{"interval", hc.Interval, 5, 300},
		{"timeout", hc.Timeout, 2, 60},
		{"retries", hc.Retries, 1, 10},
		{"startPeriod", hc.StartPeriod, 0, 300},
	} {
		if _, set := p.values[at+"."+r.field]; set && (r.v < r.min || r.v > r.max) {
			p.errorAt(at+"."+r.field, "%d: ECS allows %d to %d", r.v, r.min, r.max)
		}
	}
}

func (d *Definition) validateMounts(c *Container, at string) {
	p := d.pos
	for i, m := range c.MountPoints {
		mat := fmt.Sprintf("%s.mountPoints[%d]", at, i)
		if !d.hasVolume(m.SourceVolume) {
			p.errorAt(mat+".sourceVolume", "no volume %q in the task's volumes", m.SourceVolume)
		}
		if !path.IsAbs(m.ContainerPath) {
			p.errorAt(mat+".containerPath", "%q: want an absolute path", m.ContainerPath)
		}
	}
	for i, v := range c.VolumesFrom {
		vat := fmt.Sprintf("%s.volumesFrom[%d].sourceContainer", at, i)
		if v.SourceContainer == c.Name {
			p.errorAt(vat, "a container cannot take volumes from itself")
		} else if d.Container(v.SourceContainer) == nil {
			p.errorAt(vat, "no container %q in the task", v.SourceContainer)
		}
	}
}

func (d *Definition) hasVolume(name string) bool {
	for _, v := range d.Volumes {
		if v.Name == name {
			return true
		}
	}
	return false
}

// validateDependencies checks dependsOn: targets exist, conditions are
// ECS's, COMPLETE and SUCCESS wait only for non-essential containers,
// HEALTHY only for one with a health check, and no cycle.
func (d *Definition) validateDependencies() {
	for i, c := range d.ContainerDefinitions {
		for j, dep := range c.DependsOn {
			at := fmt.Sprintf("containerDefinitions[%d].dependsOn[%d]", i, j)
			target := d.Container(dep.ContainerName)
			switch {
			case dep.ContainerName == c.Name:
				d.pos.errorAt(at+".containerName", "a container cannot depend on itself")
				continue
			case target == nil:
				d.pos.errorAt(at+".containerName", "no container %q in the task (containers: %s)", dep.ContainerName, strings.Join(d.containerNames(), ", "))
				continue
			}
			switch dep.Condition {
			case Start:
			case Complete, Success:
				if target.IsEssential() {
					d.pos.errorAt(at+".condition", "%s waits for %q to exit, but it is essential (its exit stops the task): mark it \"essential\": false", dep.Condition, target.Name)
				}
			case Healthy:
				if target.HealthCheck == nil {
					d.pos.errorAt(at+".condition", "HEALTHY needs a health check on %q, and it has none", target.Name)
				}
			default:
				d.pos.errorAt(at+".condition", "%q: want START, COMPLETE, SUCCESS or HEALTHY", dep.Condition)
			}
		}
	}
	if cycle := d.dependencyCycle(); cycle != nil {
		d.pos.errorAt("containerDefinitions", "dependsOn has a cycle: %s", strings.Join(cycle, " -> "))
	}
}

// dependencyCycle is one cycle of dependsOn (its names, the first again at
// the end), or nil.
func (d *Definition) dependencyCycle() []string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string) []string
	visit = func(name string) []string {
		switch state[name] {
		case active:
			for i, n := range stack {
				if n == name {
					return append(append([]string{}, stack[i:]...), name)
				}
			}
		case done:
			return nil
		}
		state[name] = active
		stack = append(stack, name)
		if c := d.Container(name); c != nil {
			for _, dep := range c.DependsOn {
				if dep.ContainerName != name {
					if cyc := visit(dep.ContainerName); cyc != nil {
						return cyc
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		return nil
	}
	for _, c := range d.ContainerDefinitions {
		if cyc := visit(c.Name); cyc != nil {
			return cyc
		}
	}
	return nil
}

// validatePorts checks the port mappings: in awsvpc mode the containers
// share one network namespace, so a port is mapped once per task.
func (d *Definition) validatePorts() {
	owner := map[string]string{}
	for i, c := range d.ContainerDefinitions {
		for j, m := range c.PortMappings {
			at := fmt.Sprintf("containerDefinitions[%d].portMappings[%d]", i, j)
			if m.ContainerPort < 1 || m.ContainerPort > 65535 {
				d.pos.errorAt(at+".containerPort", "%d: want a port from 1 to 65535", m.ContainerPort)
				continue
			}
			if m.HostPort != 0 && m.HostPort != m.ContainerPort {
				d.pos.errorAt(at+".hostPort", "%d: in awsvpc mode hostPort is the containerPort (%d) or left out", m.HostPort, m.ContainerPort)
			}
			proto := m.ProtocolOrDefault()
			if proto != "tcp" && proto != "udp" {
				d.pos.errorAt(at+".protocol", "%q: want tcp or udp", m.Protocol)
			}
			key := strconv.Itoa(m.ContainerPort) + "/" + proto
			if prev, ok := owner[key]; ok {
				d.pos.errorAt(at+".containerPort", "port %s is already mapped by container %q: the containers of a task share localhost", key, prev)
			}
			owner[key] = c.Name
		}
	}
}
