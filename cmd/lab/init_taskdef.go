package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/ecslab/lab/fargate"
	"github.com/ecslab/lab/taskdef"
)

// taskDefinitionScenario is the commented scenario `lab init
// --from-task-definition` writes around a task definition.
var taskDefinitionScenario = template.Must(template.New("scenario").Parse(`# A lab scenario around the ECS task definition {{.Family}}.
# Check it with ` + "`lab validate {{.File}}`" + `, run it with ` + "`lab run {{.File}}`" + `,
# and on ECS with ` + "`lab run --target ecs {{.File}}`" + `.
name: {{.Name}}
description: {{.Family}} ({{.Containers}}) under a rising load (1 entry x 2m).

workload:
  # The definition as ECS has it: its containers share the task's
  # localhost and its cpu/memory envelope; essential, dependsOn, health
  # checks, environment and secrets are honoured (docs/emulation.md).
  task_definition: {{.Path}}

service:
{{- if .SizeFromFile}}
  # The task size is the definition's ({{.Size}}); set both to run another:
  # cpu: {{.Size.CPU}}
  # memory: {{.Size.Memory}}
{{- else}}
  # The definition gives no task size: the smallest Fargate size that
  # holds its containers' cpu and memory.
  cpu: {{.Size.CPU}}
  memory: {{.Size.Memory}}
{{- end}}
  count: 1                 # tasks at start
  # Where the balancer sends, as ECS's loadBalancers block says it
  # (default: the first essential container's first port mapping).
  load_balancer: {container: {{.Target.Container}}, port: {{.Target.Port}}}
  # health_check: {path: /, interval: 2s, timeout: 1s, healthy_threshold: 2, unhealthy_threshold: 2}

load:
  path: /                  # GET this path through the balancer
  phases:
    - {duration: 30s, rate: 2}       # 2 new requests per second
    - {duration: 90s, ramp_to: 20}   # rising linearly to 20/s

# matrix:                  # run once per size, then compare
#   - {cpu: {{.Size.CPU}}, memory: {{.Size.Memory}}}
{{- with .Larger}}
#   - {cpu: {{.CPU}}, memory: {{.Memory}}}
{{- end}}

thresholds:                # pass/fail per entry: METRIC OP VALUE[UNIT]
  - p99 < 1s
  - error_rate < 1%

# Every container reads its task's metadata at ECS_CONTAINER_METADATA_URI_V4.
# AWS credentials at AWS_CONTAINER_CREDENTIALS_FULL_URI only if you say so:
# your own (use-my-credentials), or the definition's taskRoleArn assumed
# with STS (assume). Or, for one run: lab run --task-role.
# task_role: use-my-credentials
`))

// scenarioFromTaskDefinition writes the scenario for the definition at
// defPath, to be saved as file (its path to the definition is relative to
// file's directory), and the definition's warnings.
func scenarioFromTaskDefinition(defPath, name, file string) ([]byte, []*taskdef.Error, error) {
	d, err := taskdef.Load(defPath)
	if err != nil {
		return nil, nil, err
	}
	target, ok := d.DefaultTarget()
	if !ok {
		return nil, nil, usageError{fmt.Errorf("init: no essential container of task definition %s maps a port, and lab's balancer sends HTTP to one: add a portMappings entry", d.Family)}
	}
	size, fromFile := d.Size()
	if !fromFile {
		if size, ok = smallestHolding(d); !ok {
			return nil, nil, usageError{fmt.Errorf("init: no Fargate size holds the containers of %s", d.Family)}
		}
	}
	data := struct {
		Family, Name, File, Path, Containers string
		Size                                 fargate.Size
		SizeFromFile                         bool
		Target                               taskdef.Target
		Larger                               *fargate.Size
	}{d.Family, name, file, relativeTo(file, defPath), strings.Join(containerNames(d), ", "), size, fromFile, target, largerSize(size)}
	var b bytes.Buffer
	if err := taskDefinitionScenario.Execute(&b, data); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), d.Warnings, nil
}

// relativeTo is path as a file in file's directory names it.
func relativeTo(file, path string) string {
	if file == "-" {
		return path
	}
	absFile, err1 := filepath.Abs(file)
	absPath, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return path
	}
	// Relative when the definition is beside the scenario or below it.
	if rel, err := filepath.Rel(filepath.Dir(absFile), absPath); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return absPath
}

func containerNames(d *taskdef.Definition) []string {
	var names []string
	for _, c := range d.ContainerDefinitions {
		names = append(names, c.Name)
	}
	return names
}

// smallestHolding is the smallest Fargate size whose cpu and memory hold
// the containers' cpu units and memory reservations.
func smallestHolding(d *taskdef.Definition) (fargate.Size, bool) {
	for _, r := range fargate.Sizes() {
		for _, m := range r.Memory {
			s := fargate.Size{CPU: r.CPU, Memory: m}
			if d.CheckEnvelope(s) == nil {
				return s, true
			}
		}
	}
	return fargate.Size{}, false
}

// largerSize is the size with the next cpu and twice the memory, for the
// commented matrix, or nil when there is none.
func largerSize(s fargate.Size) *fargate.Size {
	next := fargate.Size{CPU: s.CPU * 2, Memory: s.Memory * 2}
	if !fargate.ValidSize(next) {
		return nil
	}
	return &next
}

// scenarioNameOf makes a task definition family a scenario name.
func scenarioNameOf(family string) string {
	name := strings.TrimLeft(family, "-_")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		return "my-scenario"
	}
	return name
}
