package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// schema.json is the scenario file's JSON Schema, for editors (the YAML
// language server). These tests keep it from drifting from the loader:
// every mapping the loader reads has the same fields, and the same
// required ones, as the schema; every file the loader accepts here passes
// the schema; patterns agree with the parsers; defaults are the loader's.
// The schema is checked with the small validator at the end of this file,
// which refuses keywords it does not know.

const schemaFile = "schema.json"

// probeKey is a field no mapping of the language has, nor resembles.
const probeKey = "zz_probe"

func loadSchema(t *testing.T) *schemaValidator {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", schemaFile, err)
	}
	return &schemaValidator{root: root, patterns: map[string]*regexp.Regexp{}}
}

// TestSchemaMatchesLoaderFields walks every mapping the schema describes
// and asks the loader which fields it accepts there (its "unknown field"
// error lists them) and which it requires ("missing required field").
// Each property that the schema does not describe as a mapping is checked
// not to be one for the loader either.
func TestSchemaMatchesLoaderFields(t *testing.T) {
	v := loadSchema(t)
	base := yamlValue(t, "testdata/valid/full.yaml")
	sites := v.objectSites(t)
	if len(sites) < 15 {
		t.Fatalf("found %d mappings in the schema, want every mapping of the language", len(sites))
	}
	for _, s := range sites {
		name := strings.Join(s.path, ".")
		if name == "" {
			name = "(top level)"
		}
		t.Run(name, func(t *testing.T) {
			if s.schema["additionalProperties"] != false {
				t.Errorf("additionalProperties is not false: the loader refuses unknown fields")
			}
			want := slices.Sorted(maps.Keys(s.properties()))

			// Accepted fields: the loader lists them for an unknown one.
			doc, at := setPath(base, s.path, func(old any) any {
				m, _ := old.(map[string]any)
				m = maps.Clone(m)
				if m == nil {
					m = map[string]any{}
				}
				m[probeKey] = 1
				return m
			})
			probe := strictyaml.JoinPath(at, probeKey)
			e := findError(parseErrors(t, doc), probe, "unknown field")
			if e == nil {
				t.Fatalf("the loader does not read %s as a mapping with fixed fields (no unknown-field error at %s)", at, probe)
			}
			_, list, ok := strings.Cut(e.Message, "; expected ")
			if !ok {
				t.Fatalf("unknown-field error without the list of fields: %q", e.Message)
			}
			got := strings.Split(strings.ReplaceAll(list, " or ", ", "), ", ")
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields at %s: schema.json (-) and the loader (+) differ:\n%s", at, diff)
			}

			// Required fields: those the loader misses in a mapping
			// that has none of its fields.
			doc, at = setPath(base, s.path, func(any) any { return map[string]any{probeKey: 1} })
			var missing []string
			for _, e := range parseErrors(t, doc) {
				name, under := strings.CutPrefix(e.Field, strictyaml.JoinPath(at, ""))
				if e.Message == "missing required field" && under && !strings.ContainsAny(name, ".[") {
					missing = append(missing, name)
				}
			}
			slices.Sort(missing)
			var required []string
			for _, r := range asList(s.schema["required"]) {
				required = append(required, r.(string))
			}
			// The base scenario runs the built-in app: what the top
			// level's else requires of a section applies.
			required = append(required, v.elseRequired(s.path)...)
			slices.Sort(required)
			if diff := cmp.Diff(required, missing); diff != "" {
				t.Errorf("required fields at %s: schema.json (-) and the loader (+) differ:\n%s", at, diff)
			}

			// Leaves: a property the schema does not describe as a
			// mapping (or a list of them) must not be one for the loader.
			for _, p := range want {
				if v.describesMapping(s.properties()[p]) {
					continue
				}
				for _, value := range []any{map[string]any{probeKey: 1}, []any{map[string]any{probeKey: 1}}} {
					doc, at := setPath(base, append(slices.Clone(s.path), p), func(any) any { return value })
					for _, e := range parseErrors(t, doc) {
						if strings.HasPrefix(e.Message, "unknown field") && strings.HasPrefix(e.Field, at) {
							t.Errorf("the loader reads %s as a mapping (%s: %s); schema.json does not describe it", at, e.Field, e.Message)
						}
					}
				}
			}
		})
	}
}

// TestSchemaAcceptsValidScenarios validates every built-in, the starter
// and every valid testdata file against the schema.
func TestSchemaAcceptsValidScenarios(t *testing.T) {
	v := loadSchema(t)
	files := map[string][]byte{"starter.yaml": Starter()}
	for _, name := range builtinNames() {
		data, err := BuiltinSource(name)
		if err != nil {
			t.Fatal(err)
		}
		files["builtin/"+name+".yaml"] = data
	}
	paths, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
	if len(files) < 10 {
		t.Fatalf("only %d files to validate", len(files))
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(name, data); err != nil {
				t.Fatalf("the loader refuses it:\n%v", err)
			}
			var doc any
			if err := yaml.Unmarshal(stripBOM(data), &doc); err != nil {
				t.Fatal(err)
			}
			for _, p := range v.validate(normalize(doc)) {
				t.Error(p)
			}
		})
	}
}

// TestSchemaAgreesWithLoader gives small scenarios to both: each must be
// accepted by both or refused by both. (Some mistakes only the loader can
// see, such as a cpu/memory pair outside the Fargate table or an action
// after the load; they are not here.)
func TestSchemaAgreesWithLoader(t *testing.T) {
	v := loadSchema(t)
	minimal := map[string]string{
		"name":     "t",
		"workload": "{builtin: true}",
		"service":  "{cpu: 256, memory: 512}",
		"load":     "{path: /, phases: [{duration: 10s, rate: 1}]}",
	}
	for _, tc := range []struct {
		name   string
		change map[string]string // top-level fields to replace ("" removes)
	}{
		{"minimal", nil},
		{"units", map[string]string{"service": "{cpu: 0.25vCPU, memory: 1GB}"}},
		{"units with spaces", map[string]string{"service": `{cpu: "0.5 vCPU", memory: "1024 MiB"}`}},
		{"cpu not Fargate", map[string]string{"service": "{cpu: 300, memory: 512}"}},
		{"memory not a multiple", map[string]string{"service": "{cpu: 256, memory: 700}"}},
		{"memory bad unit", map[string]string{"service": "{cpu: 256, memory: 512KB}"}},
		{"count 0", map[string]string{"service": "{cpu: 256, memory: 512, count: 0}"}},
		{"misspelled field", map[string]string{"service": "{cpu: 256, memory: 512, cuont: 2}"}},
		{"misspelled section", map[string]string{"servcie": "{cpu: 256, memory: 512}", "service": ""}},
		{"missing name", map[string]string{"name": ""}},
		{"name not a string", map[string]string{"name": "123"}},
		{"name with a space", map[string]string{"name": `"my scenario"`}},
		{"description a number", map[string]string{"description": "5"}},
		{"health check", map[string]string{"service": "{cpu: 256, memory: 512, health_check: {path: /health, interval: 5s, timeout: 2s, healthy_threshold: 3, grace_period: 0}}"}},
		{"health threshold 0", map[string]string{"service": "{cpu: 256, memory: 512, health_check: {healthy_threshold: 0}}"}},
		{"health interval 0", map[string]string{"service": "{cpu: 256, memory: 512, health_check: {interval: 0}}"}},
		{"health path no slash", map[string]string{"service": "{cpu: 256, memory: 512, health_check: {path: health}}"}},
		{"image", map[string]string{"workload": "{image: myorg/api:1.4, port: 8080, command: [/api], env: {A: 1, B: x, C: true}}"}},
		{"image without port", map[string]string{"workload": "{image: myorg/api:1.4}"}},
		{"image and builtin", map[string]string{"workload": "{builtin: true, image: myorg/api:1.4, port: 8080}"}},
		{"builtin with command", map[string]string{"workload": "{builtin: true, command: [x]}"}},
		{"workload empty", map[string]string{"workload": "{}"}},
		{"port too large", map[string]string{"workload": "{image: a, port: 70000}"}},
		{"env bad name", map[string]string{"workload": "{builtin: true, env: {1X: a}}"}},
		{"env null value", map[string]string{"workload": "{builtin: true, env: {X: null}}"}},
		{"balancer", map[string]string{"balancer": "{algorithm: least_outstanding_requests, target_timeout: 30s, idle_timeout: 120s, deregistration_delay: 0s}"}},
		{"balancer algorithm", map[string]string{"balancer": "{algorithm: random}"}},
		{"task role", map[string]string{"task_role": "use-my-credentials"}},
		{"task role assume", map[string]string{"task_role": "assume"}},
		{"task role unknown", map[string]string{"task_role": "mine"}},
		{"requests", map[string]string{"load": "{requests: [{path: /a}, {method: POST, path: /b, weight: 2, headers: {X-A: 1}, body: x}], phases: [{duration: 1s, rate: 1}]}"}},
		{"path and requests", map[string]string{"load": "{path: /, requests: [{path: /a}], phases: [{duration: 1s, rate: 1}]}"}},
		{"neither path nor requests", map[string]string{"load": "{phases: [{duration: 1s, rate: 1}]}"}},
		{"method lower case", map[string]string{"load": "{requests: [{method: get, path: /a}], phases: [{duration: 1s, rate: 1}]}"}},
		{"no phases", map[string]string{"load": "{path: /, phases: []}"}},
		{"phase of nothing", map[string]string{"load": "{path: /, phases: [{duration: 1s}]}"}},
		{"phase open and closed", map[string]string{"load": "{path: /, phases: [{duration: 1s, rate: 1, workers: 2}]}"}},
		{"phase rate and ramp", map[string]string{"load": "{path: /, phases: [{duration: 1s, rate: 1, ramp_to: 2}]}"}},
		{"phase worker_rate alone", map[string]string{"load": "{path: /, phases: [{duration: 1s, worker_rate: 1}]}"}},
		{"phase closed", map[string]string{"load": "{path: /, timeout: 2s, phases: [{duration: 1s, workers: 2, worker_rate: 0.5}, {duration: 1s, workers: 1}]}"}},
		{"phase zero rate", map[string]string{"load": "{path: /, phases: [{duration: 1s, rate: 0}]}"}},
		{"phase duration without unit", map[string]string{"load": "{path: /, phases: [{duration: 10, rate: 1}]}"}},
		{"phase duration 0s", map[string]string{"load": "{path: /, phases: [{duration: 0s, rate: 1}]}"}},
		{"phase duration negative", map[string]string{"load": "{path: /, phases: [{duration: -1s, rate: 1}]}"}},
		{"actions", map[string]string{"actions": "[{at: 1s, scale: 2}, {at: 2s, resize: 512/1024}, {at: 0, resize: {cpu: 1vCPU, memory: 2GB}}, {at: 3s, kill_task: 1}]"}},
		{"action of nothing", map[string]string{"actions": "[{at: 1s}]"}},
		{"action of two", map[string]string{"actions": "[{at: 1s, scale: 2, kill_task: 1}]"}},
		{"action resize text", map[string]string{"actions": "[{at: 1s, resize: 512}]"}},
		{"matrix", map[string]string{"matrix": "[512/1024, {cpu: 1024, memory: 2048}, {label: x, count: 2}, {env: {CPU_WORK: 1ms}}]"}},
		{"matrix empty entry", map[string]string{"matrix": "[{}]"}},
		{"matrix bad label", map[string]string{"matrix": `[{label: "a b", count: 2}]`}},
		{"autoscaling", map[string]string{"autoscaling": "{min: 1, max: 3, metric_period: 10s, high_datapoints: 2, low_datapoints: 5, policies: [{target_tracking: {metric: cpu, target: 60%}}, {name: rt, target_tracking: {metric: response_time, target: 2s, disable_scale_in: true}}]}"}},
		{"autoscaling no policies", map[string]string{"autoscaling": "{min: 1, max: 3, policies: []}"}},
		{"policy of nothing", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{name: x}]}"}},
		{"policy of two", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{target_tracking: {metric: cpu, target: 60}, step_scaling: {metric: cpu, comparison: '>', threshold: 80, steps: [{lower: 0, adjustment: 1}]}}]}"}},
		{"cpu target as text", map[string]string{"autoscaling": `{min: 1, max: 3, policies: [{target_tracking: {metric: cpu, target: "60"}}]}`}},
		{"response time target a number", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{target_tracking: {metric: response_time, target: 2}}]}"}},
		{"requests target as text", map[string]string{"autoscaling": `{min: 1, max: 3, policies: [{target_tracking: {metric: requests_per_target, target: "600"}}]}`}},
		{"metric typo", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{target_tracking: {metric: cpu_utilization, target: 60}}]}"}},
		{"step scaling", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{step_scaling: {metric: response_time, comparison: '>=', threshold: 2s, datapoints: 2, cooldown: 30s, steps: [{lower: 0s, upper: 500ms, adjustment: 1}, {lower: 500ms, adjustment: 2}]}}]}"}},
		{"step scaling percent", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{step_scaling: {metric: memory, comparison: '<', threshold: 30%, adjustment_type: exact_capacity, steps: [{upper: -10, adjustment: 1}, {lower: -10, upper: 0%, adjustment: 2}]}}]}"}},
		{"step bound a number for response time", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{step_scaling: {metric: response_time, comparison: '>', threshold: 2s, steps: [{lower: 0, adjustment: 1}]}}]}"}},
		{"step comparison", map[string]string{"autoscaling": "{min: 1, max: 3, policies: [{step_scaling: {metric: cpu, comparison: '=>', threshold: 80, steps: [{lower: 0, adjustment: 1}]}}]}"}},
		{"thresholds", map[string]string{"thresholds": `["p99 < 500ms", "error_rate<1%", "cpu_avg <= 80", "memory_utilization.max < 90%", "achieved_rps >= 4.9", "tasks_stopped == 0", "latency_ms.p50 < 1.5 s"]`}},
		{"threshold without unit", map[string]string{"thresholds": `["p99 < 500"]`}},
		{"threshold error rate bare", map[string]string{"thresholds": `["error_rate < 0.01"]`}},
		{"threshold unknown metric", map[string]string{"thresholds": `["p98 < 1s"]`}},
		{"threshold not a list", map[string]string{"thresholds": `"p99 < 1s"`}},
		{"count at the limit", map[string]string{"service": "{cpu: 256, memory: 512, count: 50}"}},
		{"count over the limit", map[string]string{"service": "{cpu: 256, memory: 512, count: 51}"}},
		{"scale over the limit", map[string]string{"actions": "[{at: 1s, scale: 51}]"}},
		{"autoscaling max over the limit", map[string]string{"autoscaling": "{min: 1, max: 51, policies: [{target_tracking: {metric: cpu, target: 60}}]}"}},
		{"workers at the limit", map[string]string{"load": "{path: /, phases: [{duration: 1s, workers: 1000}]}"}},
		{"workers over the limit", map[string]string{"load": "{path: /, phases: [{duration: 1s, workers: 1001}]}"}},
		{"header Host", map[string]string{"load": "{requests: [{path: /a, headers: {host: x}}], phases: [{duration: 1s, rate: 1}]}"}},
		{"header Content-Length", map[string]string{"load": "{requests: [{path: /a, headers: {Content-Length: 1}}], phases: [{duration: 1s, rate: 1}]}"}},
		{"header Connection", map[string]string{"load": "{requests: [{path: /a, headers: {CONNECTION: close}}], phases: [{duration: 1s, rate: 1}]}"}},
		{"header name with a space", map[string]string{"load": `{requests: [{path: /a, headers: {"X A": 1}}], phases: [{duration: 1s, rate: 1}]}`}},
		{"header value with CRLF", map[string]string{"load": `{requests: [{path: /a, headers: {X-A: "1\r\nX-B: 2"}}], phases: [{duration: 1s, rate: 1}]}`}},
		{"header value with a tab", map[string]string{"load": `{requests: [{path: /a, headers: {X-A: "1\t2"}}], phases: [{duration: 1s, rate: 1}]}`}},
		{"privileged", map[string]string{"workload": "{builtin: true, privileged: true}"}},
		{"task definition file", map[string]string{"workload": "{task_definition: testdata/taskdefs/shop-api.json}", "service": "{count: 2, load_balancer: {container: app}}"}},
		{"task definition by family", map[string]string{"workload": "{task_definition: shop-api:3}", "service": "{count: 1}"}},
		{"task definition and image", map[string]string{"workload": "{task_definition: shop-api:3, image: a, port: 80}"}},
		{"task definition and env", map[string]string{"workload": "{task_definition: shop-api:3, env: {A: 1}}"}},
		{"builtin without a size", map[string]string{"service": "{count: 1}"}},
		{"load balancer without a container", map[string]string{"workload": "{task_definition: shop-api:3}", "service": "{load_balancer: {port: 80}}"}},
		{"ecs", map[string]string{"ecs": "{region: eu-west-1, cluster: lab, subnets: [subnet-1], security_groups: [sg-1], assign_public_ip: true, alb_subnets: [subnet-2], task_subnets: [subnet-3], alb_ingress_cidrs: [203.0.113.0/24], internal: true, runtime_platform: ARM64, name_suffix: alice, image: x, execution_role_arn: 'arn:aws:iam::1:role/x', target_group_arn: 'arn:aws:elasticloadbalancing:x'}"}},
		{"ecs bad subnet", map[string]string{"ecs": "{subnets: [net-1]}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := maps.Clone(minimal)
			maps.Copy(fields, tc.change)
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				if fields[k] != "" {
					fmt.Fprintf(&b, "%s: %s\n", k, fields[k])
				}
			}
			src := b.String()
			_, loadErr := Parse("t.yaml", []byte(src))
			var doc any
			if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
				t.Fatal(err)
			}
			problems := v.validate(normalize(doc))
			if (loadErr == nil) != (len(problems) == 0) {
				t.Errorf("the loader and the schema disagree on\n%s\nloader: %v\nschema: %v", src, loadErr, problems)
			}
		})
	}
}

// TestSchemaThresholdPattern checks the thresholds pattern against
// ParseThreshold on a grid of expressions, right and wrong.
func TestSchemaThresholdPattern(t *testing.T) {
	v := loadSchema(t)
	items := v.resolve(v.root["properties"].(map[string]any)["thresholds"]).(map[string]any)["items"]
	re := regexp.MustCompile(v.resolve(items).(map[string]any)["pattern"].(string))
	metrics := append(ThresholdMetrics(), "p98", "cpu", "error", "P99", "")
	metrics = append(metrics, slices.Sorted(maps.Keys(metricAliases))...)
	ops := append(slices.Clone(thresholdOps), "=", "=>", "<>", "")
	values := []string{"1", "0", "0.5", "1.", ".5", "1.0", ".0", "-1", "1.2.3", ".", ""}
	units := []string{"", "ms", "s", "%", " ms", "\t%", "x", "m", "ms%"}
	n := 0
	for _, m := range metrics {
		for _, op := range ops {
			for _, val := range values {
				for _, u := range units {
					for _, sp := range []string{"", " "} {
						expr := sp + m + sp + op + sp + val + u + sp
						_, err := ParseThreshold(expr)
						if re.MatchString(expr) != (err == nil) {
							t.Errorf("%q: pattern matches: %v; ParseThreshold: %v", expr, re.MatchString(expr), err)
						}
						if err == nil {
							n++
						}
					}
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d valid expressions in the grid", n)
	}
}

// TestSchemaDurationPatterns checks the duration patterns against the
// loader, for a field that takes any duration and one that needs it
// longer than 0.
func TestSchemaDurationPatterns(t *testing.T) {
	v := loadSchema(t)
	pattern := func(def string) *regexp.Regexp {
		d := v.root["definitions"].(map[string]any)[def].(map[string]any)
		if p, ok := d["pattern"]; ok {
			return regexp.MustCompile(p.(string))
		}
		return regexp.MustCompile(asList(d["anyOf"])[0].(map[string]any)["pattern"].(string))
	}
	anyDur, posDur := pattern("duration"), pattern("positiveDuration")
	for _, s := range []string{
		"60s", "1m30s", "500ms", "1.5h", "1h2m3s4ms5us6ns", "0", "+0", "0s", "0.0s", "00m", "+5s", "-1s", "60", " 60s ",
		"1µs", "1μs", "1us", "1ns", "s", "1d", "1h1h", "1.s", ".5s", ".s", "5.s", "1e3s", "", " ", "1 s", "1s ", "2m-1s", "++1s",
	} {
		quoted, _ := json.Marshal(s)
		doc := fmt.Sprintf("name: t\nworkload: {builtin: true}\nservice: {cpu: 256, memory: 512, health_check: {grace_period: %s}}\nload: {path: /, phases: [{duration: %s, rate: 1}]}\n", quoted, quoted)
		var anyOK, posOK = true, true
		if _, err := Parse("t.yaml", []byte(doc)); err != nil {
			var list ErrorList
			errors.As(err, &list)
			for _, e := range list {
				anyOK = anyOK && e.Field != "service.health_check.grace_period"
				posOK = posOK && e.Field != "load.phases[0].duration"
			}
		}
		if anyDur.MatchString(s) != anyOK {
			t.Errorf("duration %q: pattern matches: %v; loader accepts: %v", s, anyDur.MatchString(s), anyOK)
		}
		if posDur.MatchString(s) != posOK {
			t.Errorf("positive duration %q: pattern matches: %v; loader accepts: %v", s, posDur.MatchString(s), posOK)
		}
	}
}

// TestSchemaDefaults checks each default the schema states: writing it
// in a scenario that leaves the field out changes nothing.
func TestSchemaDefaults(t *testing.T) {
	v := loadSchema(t)
	// Every section whose fields have defaults, each without them.
	const base = `name: defaults
workload: {builtin: true}
service: {cpu: 256, memory: 512, health_check: {}}
balancer: {}
load:
  requests: [{path: /}]
  phases: [{duration: 10s, rate: 1}]
autoscaling:
  min: 1
  max: 2
  policies:
    - target_tracking: {metric: cpu, target: 50}
    - step_scaling: {metric: cpu, comparison: ">", threshold: 80, steps: [{lower: 0, adjustment: 1}]}
`
	var raw any
	if err := yaml.Unmarshal([]byte(base), &raw); err != nil {
		t.Fatal(err)
	}
	doc := normalize(raw)
	want, err := Parse("base.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range v.objectSites(t) {
		for name, p := range s.properties() {
			def, ok := p.(map[string]any)["default"]
			if !ok {
				continue
			}
			n++
			path := append(slices.Clone(s.path), name)
			t.Run(strings.Join(path, "."), func(t *testing.T) {
				with, at := setPath(doc, path, func(old any) any {
					if old != nil {
						t.Fatalf("the base scenario sets %v; leave it out", path)
					}
					return def
				})
				got, err := Parse("with-default.yaml", marshalJSON(t, with))
				if err != nil {
					t.Fatalf("with %s: %v: %v", at, def, err)
				}
				if diff := cmp.Diff(want, got, ignoreSource); diff != "" {
					t.Errorf("%s: %v, the schema's default, is not the loader's (-without +with):\n%s", at, def, diff)
				}
			})
		}
	}
	if n < 15 {
		t.Errorf("only %d defaults in the schema", n)
	}
}

// TestSchemaDefinitionsUsed keeps the schema free of dead definitions.
func TestSchemaDefinitionsUsed(t *testing.T) {
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	v := loadSchema(t)
	for name := range v.root["definitions"].(map[string]any) {
		if !bytes.Contains(data, []byte(`"#/definitions/`+name+`"`)) {
			t.Errorf("definition %s is not used", name)
		}
	}
}

// site is a mapping the schema describes, at a path of field names
// ("[]" for an item of a list).
type site struct {
	path   []string
	schema map[string]any
}

func (s site) properties() map[string]any { return s.schema["properties"].(map[string]any) }

// objectSites lists the mappings the schema describes, from the top.
func (v *schemaValidator) objectSites(t *testing.T) []site {
	var out []site
	var visit func(s any, path []string)
	visit = func(s any, path []string) {
		var objects []map[string]any
		for _, b := range v.shapes(s) {
			switch {
			case b["type"] == "object" && b["properties"] != nil:
				objects = append(objects, b)
			case b["type"] == "array" && b["items"] != nil:
				visit(b["items"], append(slices.Clone(path), "[]"))
			}
		}
		if len(objects) > 1 {
			t.Fatalf("%v: the schema describes %d different mappings here; the loader reads one", path, len(objects))
		}
		if len(objects) == 1 {
			st := site{path: path, schema: objects[0]}
			out = append(out, st)
			for _, name := range slices.Sorted(maps.Keys(st.properties())) {
				visit(st.properties()[name], append(slices.Clone(path), name))
			}
		}
	}
	visit(v.root, nil)
	return out
}

// shapes is a schema and the alternatives (anyOf, oneOf) it allows, each
// resolved.
func (v *schemaValidator) shapes(s any) []map[string]any {
	m, ok := v.resolve(s).(map[string]any)
	if !ok {
		return nil
	}
	out := []map[string]any{m}
	for _, k := range []string{"anyOf", "oneOf"} {
		for _, b := range asList(m[k]) {
			out = append(out, v.shapes(b)...)
		}
	}
	return out
}

// describesMapping reports whether schema s describes a mapping with
// fixed fields, or a list of them.
func (v *schemaValidator) describesMapping(s any) bool {
	for _, b := range v.shapes(s) {
		if b["type"] == "object" && b["properties"] != nil || b["type"] == "array" && v.describesMapping(b["items"]) {
			return true
		}
	}
	return false
}

// setPath returns a copy of doc with the value at path replaced by
// set(old), creating what is missing, and the field path as the loader
// names it ("load.phases[1].rate"). An item of a list ("[]") is the first
// mapping that has the next field, else the first mapping, else a new one.
func setPath(doc any, path []string, set func(old any) any) (any, string) {
	if len(path) == 0 {
		return set(doc), ""
	}
	next := ""
	if len(path) > 1 {
		next = path[1]
	}
	if path[0] == "[]" {
		list := slices.Clone(asList(doc))
		i := slices.IndexFunc(list, func(item any) bool {
			m, ok := item.(map[string]any)
			_, has := m[next]
			return ok && (next == "" || has)
		})
		if i < 0 {
			i = slices.IndexFunc(list, func(item any) bool { _, ok := item.(map[string]any); return ok })
		}
		if i < 0 {
			i = len(list)
			list = append(list, map[string]any{})
		}
		v, sub := setPath(list[i], path[1:], set)
		list[i] = v
		return list, fmt.Sprintf("[%d]", i) + dotted(sub)
	}
	m, _ := doc.(map[string]any)
	m = maps.Clone(m)
	if m == nil {
		m = map[string]any{}
	}
	v, sub := setPath(m[path[0]], path[1:], set)
	m[path[0]] = v
	return m, path[0] + dotted(sub)
}

// dotted is the rest of a field path as it follows a name: ".rate", "[1]".
func dotted(sub string) string {
	if sub == "" || sub[0] == '[' {
		return sub
	}
	return "." + sub
}

// parseErrors loads doc, written as JSON (which YAML reads), and returns
// its errors.
func parseErrors(t *testing.T, doc any) ErrorList {
	t.Helper()
	_, err := Parse("probe.yaml", marshalJSON(t, doc))
	var list ErrorList
	if err != nil && !errors.As(err, &list) {
		t.Fatalf("Parse: %v", err)
	}
	return list
}

func findError(list ErrorList, field, prefix string) *Error {
	for _, e := range list {
		if e.Field == field && strings.HasPrefix(e.Message, prefix) {
			return e
		}
	}
	return nil
}

func marshalJSON(t *testing.T, doc any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func yamlValue(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return normalize(doc)
}

// normalize turns a decoded YAML value into what encoding/json would
// decode from its JSON: map[string]any, []any, float64, string, bool, nil.
func normalize(x any) any {
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[fmt.Sprint(it.Key().Interface())] = normalize(it.Value().Interface())
		}
		return m
	case reflect.Slice:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = normalize(rv.Index(i).Interface())
		}
		return l
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	}
	return x
}

func asList(x any) []any {
	l, _ := x.([]any)
	return l
}

// schemaValidator checks a value against the JSON Schema (draft-07)
// subset that schema.json uses; a keyword outside it is a problem, so
// that the schema cannot say more than this test checks.
type schemaValidator struct {
	root     map[string]any
	patterns map[string]*regexp.Regexp
}

// annotations are keywords that do not constrain a value.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"default": true, "examples": true, "definitions": true,
}

// validate returns the problems of x, one line each.
func (v *schemaValidator) validate(x any) []string {
	var problems []string
	v.check(v.root, x, "", &problems)
	return problems
}

// resolve follows $ref to the schema it names.
func (v *schemaValidator) resolve(s any) any {
	for range 10 {
		m, ok := s.(map[string]any)
		if !ok {
			return s
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return s
		}
		name, _ := strings.CutPrefix(ref, "#/definitions/")
		s = v.root["definitions"].(map[string]any)[name]
	}
	return s
}

func (v *schemaValidator) check(s any, x any, at string, problems *[]string) {
	fail := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s: %s", cmpOr(at, "(top level)"), fmt.Sprintf(format, args...)))
	}
	switch s {
	case true:
		return
	case false:
		fail("not allowed")
		return
	}
	m, ok := s.(map[string]any)
	if !ok {
		fail("schema %v is not an object", s)
		return
	}
	if ref, ok := m["$ref"].(string); ok {
		for k := range m {
			if k != "$ref" && !annotations[k] {
				fail("schema keyword %s beside $ref (draft-07 ignores it)", k)
			}
		}
		target := v.resolve(m)
		if target == nil {
			fail("$ref %s names no definition", ref)
			return
		}
		v.check(target, x, at, problems)
		return
	}
	sub := func(s any, x any) bool {
		var p []string
		v.check(s, x, at, &p)
		return len(p) == 0
	}
	obj, isObj := x.(map[string]any)
	list, isList := x.([]any)
	num, isNum := x.(float64)
	str, isStr := x.(string)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		val := m[k]
		switch k {
		case "type":
			types := []any{val}
			if l, ok := val.([]any); ok {
				types = l
			}
			if !slices.ContainsFunc(types, func(t any) bool { return hasType(x, t.(string)) }) {
				fail("%v is not of type %v", x, val)
			}
		case "enum":
			if !slices.ContainsFunc(asList(val), func(e any) bool { return reflect.DeepEqual(e, x) }) {
				fail("%v is not one of %v", x, val)
			}
		case "const":
			if !reflect.DeepEqual(val, x) {
				fail("%v is not %v", x, val)
			}
		case "pattern":
			if isStr && !v.regexp(val.(string)).MatchString(str) {
				fail("%q does not match %s", str, val)
			}
		case "minimum":
			if isNum && num < val.(float64) {
				fail("%v is below %v", num, val)
			}
		case "maximum":
			if isNum && num > val.(float64) {
				fail("%v is above %v", num, val)
			}
		case "exclusiveMinimum":
			if isNum && num <= val.(float64) {
				fail("%v is not above %v", num, val)
			}
		case "multipleOf":
			if isNum && math.Mod(num, val.(float64)) != 0 {
				fail("%v is not a multiple of %v", num, val)
			}
		case "properties":
			for name, ps := range val.(map[string]any) {
				if pv, ok := obj[name]; ok && isObj {
					v.check(ps, pv, strictyaml.JoinPath(at, name), problems)
				}
			}
		case "required":
			for _, name := range asList(val) {
				if _, ok := obj[name.(string)]; isObj && !ok {
					fail("missing required %s", name)
				}
			}
		case "additionalProperties":
			props, _ := m["properties"].(map[string]any)
			for name, pv := range obj {
				if _, ok := props[name]; !ok {
					v.check(val, pv, strictyaml.JoinPath(at, name), problems)
				}
			}
		case "propertyNames":
			for name := range obj {
				v.check(val, name, strictyaml.JoinPath(at, name), problems)
			}
		case "minProperties":
			if isObj && float64(len(obj)) < val.(float64) {
				fail("fewer than %v fields", val)
			}
		case "items":
			for i, item := range list {
				v.check(val, item, fmt.Sprintf("%s[%d]", at, i), problems)
			}
		case "minItems":
			if isList && float64(len(list)) < val.(float64) {
				fail("fewer than %v items", val)
			}
		case "allOf":
			for _, b := range asList(val) {
				v.check(b, x, at, problems)
			}
		case "anyOf":
			if !slices.ContainsFunc(asList(val), func(b any) bool { return sub(b, x) }) {
				fail("%v matches none of anyOf", x)
			}
		case "oneOf":
			n := 0
			for _, b := range asList(val) {
				if sub(b, x) {
					n++
				}
			}
			if n != 1 {
				fail("%v matches %d of oneOf, want exactly 1", x, n)
			}
		case "not":
			if sub(val, x) {
				fail("%v matches a not", x)
			}
		case "if":
			if sub(val, x) {
				if then, ok := m["then"]; ok {
					v.check(then, x, at, problems)
				}
			} else if els, ok := m["else"]; ok {
				v.check(els, x, at, problems)
			}
		case "then", "else":
		default:
			if !annotations[k] {
				fail("schema keyword %s is not known to this test's validator", k)
			}
		}
	}
}

func (v *schemaValidator) regexp(p string) *regexp.Regexp {
	re, ok := v.patterns[p]
	if !ok {
		re = regexp.MustCompile(p)
		v.patterns[p] = re
	}
	return re
}

func hasType(x any, t string) bool {
	switch t {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "number":
		_, ok := x.(float64)
		return ok
	case "integer":
		n, ok := x.(float64)
		return ok && n == math.Trunc(n)
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	}
	return false
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// elseRequired is what the schema's top-level else (taken when the
// workload has no task definition) requires of the mapping at path.
func (v *schemaValidator) elseRequired(path []string) []string {
	els, _ := v.root["else"].(map[string]any)
	if els == nil || len(path) != 1 {
		return nil
	}
	props, _ := els["properties"].(map[string]any)
	sec, _ := props[path[0]].(map[string]any)
	var out []string
	for _, r := range asList(sec["required"]) {
		out = append(out, r.(string))
	}
	return out
}
