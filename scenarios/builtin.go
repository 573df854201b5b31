package scenarios

import (
	"embed"
	"fmt"
	"path"
	"strings"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

//go:embed builtin/*.yaml
var builtinFiles embed.FS

//go:embed starter.yaml
var starter []byte

// BuiltinInfo names a built-in scenario for `lab list`.
type BuiltinInfo struct {
	Name        string
	Description string // says which question it answers and its default length
}

// Builtins lists the built-in scenarios by name.
func Builtins() []BuiltinInfo {
	var out []BuiltinInfo
	for _, name := range builtinNames() {
		info := BuiltinInfo{Name: name}
		if s, err := Builtin(name); err == nil {
			info.Description = s.Description
		} else {
			info.Description = fmt.Sprintf("(does not load: %v)", err)
		}
		out = append(out, info)
	}
	return out
}

// Builtin loads the built-in scenario name. Each call returns a new
// Scenario, which the caller may change.
func Builtin(name string) (*Scenario, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("builtin:"+name, data)
}

// BuiltinSource is the text of the built-in scenario name, comments and
// all, for `lab init NAME` to copy.
func BuiltinSource(name string) ([]byte, error) {
	if !validName(name) {
		return nil, unknownBuiltin(name)
	}
	data, err := builtinFiles.ReadFile(path.Join("builtin", name+".yaml"))
	if err != nil {
		return nil, unknownBuiltin(name)
	}
	return data, nil
}

func unknownBuiltin(name string) error {
	names := builtinNames()
	msg := fmt.Sprintf("no such file, and no built-in scenario of that name (built-ins: %s)", strings.Join(names, ", "))
	if s := strictyaml.Suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return strictyaml.FileError(name, nil, "%s", msg)
}

func builtinNames() []string {
	entries, _ := builtinFiles.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	return names
}

// Starter is a commented starter scenario for `lab init` to write.
func Starter() []byte { return append([]byte(nil), starter...) }
