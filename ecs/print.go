package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Print writes the plan for people: a header (scenario, region, cluster,
// warnings, missing values and how to give them), then every call in
// order as "N. service:Operation" and its input as indented JSON, with
// the member names of the service's API (camelCase for ECS and CloudWatch
// Logs, PascalCase for the others) and unset fields left out.
func (p *Plan) Print(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "ECS plan for scenario %s", p.Scenario)
	if p.Source != "" {
		fmt.Fprintf(&b, " (%s)", p.Source)
	}
	b.WriteString(" (dry run: nothing is sent to AWS)\n")
	fmt.Fprintf(&b, "  region:    %s\n", p.Region)
	fmt.Fprintf(&b, "  cluster:   %s\n", p.Cluster)
	fmt.Fprintf(&b, "  service:   %s\n", p.Service)
	fmt.Fprintf(&b, "  family:    %s\n", p.Family)
	fmt.Fprintf(&b, "  log group: %s\n", p.LogGroup)
	if p.GeneratorFamily != "" {
		fmt.Fprintf(&b, "  load from: %d generator tasks of %s (%s each), windows in log group %s\n", p.cost.generators, p.GeneratorFamily, GeneratorSize, p.GeneratorLogGroup)
	}
	fmt.Fprintf(&b, "  owner:     %s (the lab.owner tag; every name ends in it)\n", p.Names.Owner)
	fmt.Fprintf(&b, "  platform:  %s\n", p.Platform)
	labels := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		labels[i] = e.Label
	}
	fmt.Fprintf(&b, "  entries:   %d (%s)\n", len(p.Entries), strings.Join(labels, ", "))
	if len(p.Warnings) > 0 {
		b.WriteString("\nwarnings:\n")
		for _, s := range p.Warnings {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	if len(p.Errors) > 0 {
		b.WriteString("\nerrors (the plan cannot be applied as it is):\n")
		for _, s := range p.Errors {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	if len(p.missing) > 0 {
		b.WriteString("\nmissing values (shown as <field> below):\n")
		for _, m := range p.missing {
			fmt.Fprintf(&b, "  - %s: %s\n", m.field, m.purpose)
		}
		b.WriteString("give them in the scenario's ecs: section, or in a YAML file with these fields at its top level passed with --ecs FILE (the file wins), e.g.:\n")
		for _, m := range p.missing {
			fmt.Fprintf(&b, "  %s: %s\n", m.field, example[m.field])
		}
	}
	b.WriteString("\nreferences such as <TargetGroupArn from step 5> are filled in from that step's response when the plan is applied.\n")
	fmt.Fprintf(&b, "\n%d API calls, in order:\n", len(p.Steps))
	for i, s := range p.Steps {
		js, err := MarshalInput(s.Service, p.printable(s.Input))
		if err != nil {
			return fmt.Errorf("ecs plan: step %d %s:%s: %w", i+1, s.Service, s.Operation, err)
		}
		fmt.Fprintf(&b, "\n%d. %s:%s\n", i+1, s.Service, s.Operation)
		if s.Note != "" {
			fmt.Fprintf(&b, "   # %s\n", s.Note)
		}
		b.WriteString("   ")
		b.Write(js)
		b.WriteByte('\n')
	}
	printCalls(&b, "while each entry runs, every few seconds (the entry's observation)", p.Polls)
	printCalls(&b, "at the end, on Ctrl-C and on failure (lab ecs down)", p.Teardown)
	_, err := w.Write(b.Bytes())
	return err
}

func printCalls(b *bytes.Buffer, when string, calls []Call) {
	if len(calls) == 0 {
		return
	}
	fmt.Fprintf(b, "\nand %s:\n", when)
	for _, c := range calls {
		fmt.Fprintf(b, "  - %s:%s", c.Service, c.Operation)
		if c.Note != "" {
			fmt.Fprintf(b, ": %s", c.Note)
		}
		b.WriteByte('\n')
	}
}

var example = map[string]string{
	"region":             "eu-central-1",
	"cluster":            "lab",
	"subnets":            "[subnet-0123456789abcdef0, subnet-0fedcba9876543210]",
	"alb_subnets":        "[subnet-0123456789abcdef0, subnet-0fedcba9876543210]",
	"task_subnets":       "[subnet-0a1b2c3d4e5f60718]",
	"alb_ingress_cidrs":  "[203.0.113.7/32]",
	"name_suffix":        "alice",
	"image":              "123456789012.dkr.ecr.eu-central-1.amazonaws.com/lab-workload:latest",
	"generator_image":    "123456789012.dkr.ecr.eu-central-1.amazonaws.com/lab-workload:latest",
	"execution_role_arn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
}

// MarshalInput renders an SDK input struct as indented JSON the way the
// service's API names its members: lowerCamel for the JSON APIs that use
// it (ecs, logs), the Go field names (the API's PascalCase) for the
// others. Nil pointers, empty slices and maps, and zero non-pointer values
// (which the SDK does not send either) are left out; a pointer to a zero
// value is kept.
func MarshalInput(service string, input any) ([]byte, error) {
	lower := service == ServiceECS || service == ServiceLogs
	v, _ := render(reflect.ValueOf(input), lower)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // placeholders are <field>
	enc.SetIndent("   ", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// object is a JSON object that keeps its keys in struct field order.
type object []member

type member struct {
	key string
	val any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// render converts v to plain values for encoding/json; ok is false when
// v is unset (nil, empty, or a zero non-pointer value).
func render(v reflect.Value, lower bool) (any, bool) {
	switch v.Kind() {
	case reflect.Invalid:
		return nil, false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		out, _ := render(v.Elem(), lower)
		return out, true // set, even to a zero value
	case reflect.Struct:
		var o object
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if val, ok := render(v.Field(i), lower); ok {
				o = append(o, member{fieldName(f.Name, lower), val})
			}
		}
		if o == nil {
			o = object{}
		}
		return o, true
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			return nil, false
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i], _ = render(v.Index(i), lower)
		}
		return out, true
	case reflect.Map:
		if v.Len() == 0 {
			return nil, false
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())], _ = render(iter.Value(), lower)
		}
		return out, true
	default:
		if v.IsZero() {
			return v.Interface(), false
		}
		return v.Interface(), true
	}
}

func fieldName(name string, lower bool) string {
	if !lower {
		return name
	}
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[n:]
}
