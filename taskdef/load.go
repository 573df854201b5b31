package taskdef

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// MaxFileSize is the largest file the loader reads. ECS itself limits a
// task definition to 64 KiB; describe output with its wrapper is larger.
const MaxFileSize = 1 << 20

// Load reads and checks the task definition in the file at path.
func Load(path string) (*Definition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ErrorList{{File: path, Message: fmt.Sprintf("cannot read the task definition: %v", err), Err: err}}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, ErrorList{{File: path, Message: fmt.Sprintf("cannot read the task definition: %v", err), Err: err}}
	}
	return Parse(path, data)
}

// Parse reads and checks a task definition; name is the file name its
// errors carry. The error is an ErrorList of every problem found.
func Parse(name string, data []byte) (*Definition, error) {
	if len(data) > MaxFileSize {
		return nil, ErrorList{{File: name, Message: fmt.Sprintf("the file is larger than %d bytes: not a task definition", MaxFileSize)}}
	}
	src := &source{file: name, data: data}
	root, err := parseJSON(data)
	if err != nil {
		se := err.(*syntaxError)
		src.errs = ErrorList{src.at(se.off, "", "%s", se.msg)}
		src.finish()
		return nil, src.errs
	}
	n := unwrap(src, root)
	if n == nil {
		src.finish()
		return nil, src.errs
	}
	pos := positions{src: src, values: map[string]int{"": n.start}, keys: map[string]int{}}
	(&schema{src: src, pos: pos}).check(n, definitionType, "", "")
	if len(src.errs) > 0 {
		src.finish()
		return nil, src.errs
	}
	d := &Definition{Source: name, Raw: json.RawMessage(data[n.start:n.end]), pos: pos}
	if err := json.Unmarshal(d.Raw, d); err != nil {
		// The schema admits only what decodes; this is a bug, not bad input.
		return nil, fmt.Errorf("%s: decode the task definition: %w", name, err)
	}
	d.validate()
	src.finish()
	d.Warnings = src.warnings
	if len(src.errs) > 0 {
		return nil, src.errs
	}
	return d, nil
}

// unwrap is the definition object: root itself, or its "taskDefinition"
// member when root is describe-task-definition's output.
func unwrap(src *source, root *node) *node {
	if root.kind != kindObject {
		src.errorf(root.start, "", "want a task definition (a JSON object)")
		return nil
	}
	inner := root.get("taskDefinition")
	if inner == nil {
		return root
	}
	for _, f := range root.fields {
		if !describeWrapper[f.key] {
			src.errorf(f.keyOff, f.key, "unknown field %q beside taskDefinition (describe-task-definition prints taskDefinition and tags)", f.key)
		}
	}
	if inner.kind != kindObject {
		src.errorf(inner.start, "taskDefinition", "want an object")
		return nil
	}
	if len(src.errs) > 0 {
		return nil
	}
	return inner
}
