package taskdef

import (
	"errors"
	"strings"
	"testing"

	"github.com/ecslab/lab/fargate"
	"github.com/google/go-cmp/cmp"
)

// shape is what a test compares of a loaded definition.
type shape struct {
	Family, ARN string
	Revision    int
	Size        fargate.Size
	Containers  []string
	Essential   []bool
	Target      Target
	Warnings    []string
}

func shapeOf(d *Definition) shape {
	s := shape{Family: d.Family, ARN: d.TaskDefinitionARN, Revision: d.Revision}
	s.Size, _ = d.Size()
	for _, c := range d.ContainerDefinitions {
		s.Containers = append(s.Containers, c.Name)
		s.Essential = append(s.Essential, c.IsEssential())
	}
	s.Target, _ = d.DefaultTarget()
	for _, w := range d.Warnings {
		s.Warnings = append(s.Warnings, w.Headline())
	}
	return s
}

func TestLoadDescribeOutput(t *testing.T) {
	for _, tc := range []struct {
		file string
		want shape
	}{
		{"testdata/sidecar-proxy.json", shape{
			Family: "shop-api", ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-api:14", Revision: 14,
			Size: fargate.Size{CPU: 256, Memory: 512}, Containers: []string{"envoy", "app"}, Essential: []bool{true, true},
			Target: Target{Container: "envoy", Port: 8000},
			Warnings: []string{
				"testdata/sidecar-proxy.json:35:17: containerDefinitions[0].logConfiguration: the awslogs log driver is not emulated: lab keeps the container's output itself; kept on ECS",
				"testdata/sidecar-proxy.json:88:17: containerDefinitions[1].logConfiguration: the awslogs log driver is not emulated: lab keeps the container's output itself; kept on ECS",
			},
		}},
		{"testdata/init-container.json", shape{
			Family: "orders-worker", ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-worker:3", Revision: 3,
			Size: fargate.Size{CPU: 512, Memory: 1024}, Containers: []string{"migrate", "app"}, Essential: []bool{false, true},
			Target: Target{Container: "app", Port: 8080},
		}},
		{"testdata/health-check.json", shape{
			Family: "catalog", ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/catalog:27", Revision: 27,
			Size: fargate.Size{CPU: 256, Memory: 512}, Containers: []string{"catalog"}, Essential: []bool{true},
			Target: Target{Container: "catalog", Port: 8080},
			Warnings: []string{
				"testdata/health-check.json:40:17: containerDefinitions[0].logConfiguration: the awslogs log driver is not emulated: lab keeps the container's output itself; kept on ECS",
			},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			d, err := Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shapeOf(d)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadKeepsContainerFields(t *testing.T) {
	d, err := Load("testdata/init-container.json")
	if err != nil {
		t.Fatal(err)
	}
	app := d.Container("app")
	want := Container{
		Name: "app", Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:2.0.1", Essential: ptr(true),
		PortMappings: []PortMapping{{ContainerPort: 8080, HostPort: 8080, Protocol: "tcp", Name: "orders-8080-tcp", AppProtocol: "http"}},
		EntryPoint:   []string{"/app/orders"}, Command: []string{"serve"},
		Environment: []KeyValue{{Name: "PORT", Value: "8080"}},
		MountPoints: []MountPoint{{SourceVolume: "shared", ContainerPath: "/shared", ReadOnly: ptr(true)}},
		VolumesFrom: []VolumeFrom{}, DependsOn: []Dependency{{ContainerName: "migrate", Condition: Complete}},
		WorkingDirectory: "/app", User: "1000:1000", DockerLabels: map[string]string{"com.example.team": "orders"},
	}
	if diff := cmp.Diff(want, *app); diff != "" {
		t.Errorf("app (-want +got):\n%s", diff)
	}
	hc, err := Load("testdata/health-check.json")
	if err != nil {
		t.Fatal(err)
	}
	h := hc.ContainerDefinitions[0].HealthCheck
	if h.Command[0] != "CMD-SHELL" || h.IntervalOrDefault().Seconds() != 5 || h.TimeoutOrDefault().Seconds() != 3 || h.RetriesOrDefault() != 2 || h.StartPeriodDuration().Seconds() != 10 {
		t.Errorf("health check = %+v", h)
	}
	if (HealthCheck{}).IntervalOrDefault() != DefaultHealthInterval || (HealthCheck{}).RetriesOrDefault() != 3 {
		t.Error("an empty health check does not take ECS's defaults")
	}
}

func ptr[T any](v T) *T { return &v }

// minimal is a RegisterTaskDefinition input (no wrapper) that loads.
const minimal = `{
  "family": "web",
  "networkMode": "awsvpc",
  "cpu": "256",
  "memory": "512",
  "containerDefinitions": [
    {"name": "app", "image": "web:1", "portMappings": [{"containerPort": 80}]}
  ]
}`

func TestParseRegisterInput(t *testing.T) {
	d, err := Parse("web.json", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.DefaultTarget(); got != (Target{"app", 80}) || !strings.HasPrefix(string(d.Raw), `{`) || len(d.Warnings) != 0 {
		t.Errorf("target %v, raw %q, warnings %v", got, d.Raw, d.Warnings)
	}
	// vCPU and GB as the console writes them.
	d, err = Parse("web.json", []byte(strings.Replace(strings.Replace(minimal, `"256"`, `"1 vCPU"`, 1), `"512"`, `"2 GB"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := d.Size(); !ok || s != (fargate.Size{CPU: 1024, Memory: 2048}) {
		t.Errorf("size of 1 vCPU / 2 GB = %v, %v", s, ok)
	}
}

// TestParseErrors checks that each problem is reported at its line,
// column and field, with ECS's rule in the message.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []string
	}{
		{"syntax", "{\n  \"family\": \"web\",\n  \"cpu\": 256,,\n}", []string{
			"t.json:3:14: invalid JSON: invalid character ',' looking for beginning of object key string"}},
		{"duplicate key", "{\"family\": \"a\",\n \"family\": \"b\"}", []string{`t.json:2:2: duplicate key "family"`}},
		{"not an object", `[1]`, []string{"t.json:1:1: want a task definition (a JSON object)"}},
		{"unknown and case", replace(minimal, `"family": "web",`, `"family": "web", "Cpu": "256", "colour": 1,`), []string{
			`t.json:2:20: Cpu: unknown field "Cpu"; did you mean "cpu"? (ECS field names are case-sensitive)`,
			`t.json:2:34: colour: unknown field "colour"`}},
		{"types", replace(minimal, `"memory": "512",`, `"memory": 512, "ephemeralStorage": {"sizeInGiB": "30"},`), []string{
			`t.json:5:13: memory: want a string (ECS writes it as a string: "512")`,
			`t.json:5:52: ephemeralStorage.sizeInGiB: want a whole number`}},
		{"wrapper sibling", `{"taskDefinition": {}, "ResponseMetadata": {}}`, []string{
			`t.json:1:24: ResponseMetadata: unknown field "ResponseMetadata" beside taskDefinition (describe-task-definition prints taskDefinition and tags)`}},
		{"network mode and size", replace(replace(minimal, `"awsvpc"`, `"bridge"`), `"512"`, `"4096"`), []string{
			`t.json:3:18: networkMode: "bridge" is not supported: Fargate tasks use awsvpc (each task its own network namespace, its containers on localhost)`,
			`t.json:5:13: memory: memory 4096 is not valid with cpu 256 (valid: 512, 1024, 2048); nearest valid size: 256/2048; smallest size with at least 4096 MiB: 512/4096`}},
		{"missing", `{"containerDefinitions": []}`, []string{
			`t.json:1:1: family: missing: every task definition has a family`,
			`t.json:1:1: networkMode: missing: a Fargate task definition has "networkMode": "awsvpc"`,
			`t.json:1:26: containerDefinitions: missing: a task definition has at least one container`}},
		{"efs", replace(minimal, `"cpu": "256",`, `"cpu": "256", "volumes": [{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],`), []string{
			`t.json:4:46: volumes[0].efsVolumeConfiguration: EFS volumes are not supported: lab cannot mount your file system locally; use a bind volume (a name only) shared by the containers`}},
		{"environment files", replace(minimal, `"image": "web:1",`, `"image": "web:1", "environmentFiles": [{"value": "arn:aws:s3:::b/app.env", "type": "s3"}],`), []string{
			`t.json:7:39: containerDefinitions[0].environmentFiles: environment files in S3 are not supported: lab cannot read the bucket as the task's execution role would; put the variables in environment, or secrets`}},
		{"empty refused fields are fine", replace(minimal, `"cpu": "256",`, `"cpu": "256", "placementConstraints": [], "proxyConfiguration": null,`), nil},
		{"links", replace(minimal, `"image": "web:1",`, `"image": "web:1", "links": ["db"],`), []string{
			`t.json:7:39: containerDefinitions[0].links: links need bridge networking; in awsvpc mode containers reach each other on localhost`}},
		{"envelope", replace(minimal, `{"name": "app", "image": "web:1", "portMappings": [{"containerPort": 80}]}`,
			`{"name": "app", "image": "a", "cpu": 200, "memory": 600},
    {"name": "log", "image": "b", "cpu": 100, "memoryReservation": 100, "essential": false}`), []string{
			`t.json:6:27: containerDefinitions: the containers' cpu sums to 300 units, more than the task's 256 (app 200, log 100)`,
			`t.json:6:27: containerDefinitions: the containers' memory reservations sum to 700 MiB, more than the task's 512 MiB (app 600, log 100)`,
			`t.json:7:57: containerDefinitions[0].memory: container "app" has 600 MiB of memory, more than the task's 512 MiB`}},
		{"names and ports", replace(minimal, `{"name": "app", "image": "web:1", "portMappings": [{"containerPort": 80}]}`,
			`{"name": "app", "image": "a", "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
    {"name": "app", "image": "b", "portMappings": [{"containerPort": 80}]}`), []string{
			`t.json:7:86: containerDefinitions[0].portMappings[0].hostPort: 8080: in awsvpc mode hostPort is the containerPort (80) or left out`,
			`t.json:8:14: containerDefinitions[1].name: container "app" is defined twice: names are unique in a task`,
			`t.json:8:70: containerDefinitions[1].portMappings[0].containerPort: port 80/tcp is already mapped by container "app": the containers of a task share localhost`}},
		{"dependsOn", replace(minimal, `{"name": "app", "image": "web:1", "portMappings": [{"containerPort": 80}]}`,
			`{"name": "app", "image": "a", "dependsOn": [{"containerName": "db", "condition": "START"}, {"containerName": "init", "condition": "COMPLETE"}, {"containerName": "init", "condition": "HEALTHY"}, {"containerName": "side", "condition": "READY"}]},
    {"name": "init", "image": "b", "dependsOn": [{"containerName": "side", "condition": "START"}]},
    {"name": "side", "image": "c", "essential": false, "dependsOn": [{"containerName": "init", "condition": "START"}]}`), []string{
			`t.json:6:27: containerDefinitions: dependsOn has a cycle: init -> side -> init`,
			`t.json:7:67: containerDefinitions[0].dependsOn[0].containerName: no container "db" in the task (containers: app, init, side)`,
			`t.json:7:135: containerDefinitions[0].dependsOn[1].condition: COMPLETE waits for "init" to exit, but it is essential (its exit stops the task): mark it "essential": false`,
			`t.json:7:187: containerDefinitions[0].dependsOn[2].condition: HEALTHY needs a health check on "init", and it has none`,
			`t.json:7:238: containerDefinitions[0].dependsOn[3].condition: "READY": want START, COMPLETE, SUCCESS or HEALTHY`}},
		{"health check", replace(minimal, `"image": "web:1",`, `"image": "web:1", "healthCheck": {"command": ["curl", "-f", "http://localhost/"], "interval": 1},`), []string{
			`t.json:7:67: containerDefinitions[0].healthCheck.command[0]: "curl": a health check command starts with "CMD" or "CMD-SHELL"`,
			`t.json:7:115: containerDefinitions[0].healthCheck.interval: 1: ECS allows 5 to 300`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.json", []byte(tc.json))
			var got []string
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					got = append(got, e.Headline())
				}
			} else if err != nil {
				t.Fatalf("error %v is not an ErrorList", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nin\n%s", diff, tc.json)
			}
		})
	}
}

func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("no " + old)
	}
	return strings.Replace(s, old, new, 1)
}

// TestErrorsMaskEnvironmentValues: an environment value (often a token in
// plain text) is not shown in the source line of an error on its line.
func TestErrorsMaskEnvironmentValues(t *testing.T) {
	in := `{"family": "web", "networkMode": "awsvpc", "containerDefinitions": [{"name": "app", "image": "a", "environment": [{"name": "TOKEN", "value": "hunter2-secret"}], "bogus": 1}]}`
	_, err := Parse("t.json", []byte(in))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), `"**************"`) {
		t.Errorf("error shows the environment value or does not mask it:\n%v", err)
	}
}

func TestCheckTargetAndEnvelope(t *testing.T) {
	d, err := Load("testdata/sidecar-proxy.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target Target
		want   string
	}{
		{Target{"app", 8080}, ""},
		{Target{"web", 80}, `task definition shop-api has no container "web" (containers: envoy, app)`},
		{Target{"app", 80}, `container "app" maps no port 80 (it maps 8080)`},
	} {
		if got := errText(d.CheckTarget(tc.target)); got != tc.want {
			t.Errorf("CheckTarget(%v) = %q, want %q", tc.target, got, tc.want)
		}
	}
	if err := d.CheckEnvelope(fargate.Size{CPU: 1024, Memory: 2048}); err != nil {
		t.Errorf("a larger task: %v", err)
	}
	want := "the containers' cpu sums to 256 units, more than the task's 128 (envoy 64, app 192)"
	if got := errText(d.CheckEnvelope(fargate.Size{CPU: 128, Memory: 512})); got != want {
		t.Errorf("CheckEnvelope at 128 cpu = %q, want %q", got, want)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestWarnings: fields kept for ECS that lab does not emulate load, each
// with a positioned warning; fields with no local meaning load silently.
func TestWarnings(t *testing.T) {
	in := replace(replace(minimal, `"cpu": "256",`, `"cpu": "256", "pidMode": "task", "tags": [{"key": "team", "value": "a"}],`),
		`"image": "web:1",`, `"image": "web:1", "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:eu-west-1:1:secret:x"}, "systemControls": [],`)
	d, err := Parse("t.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range d.Warnings {
		got = append(got, w.Headline())
	}
	want := []string{
		"t.json:4:17: pidMode: not emulated locally: each container has its own process namespace; kept on ECS",
		"t.json:7:39: containerDefinitions[0].repositoryCredentials: not used locally (lab runs the image the daemon has); kept on ECS",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
