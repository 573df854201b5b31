package scenarios

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecslab/lab/scenarios/internal/strictyaml"
)

// Parse reads a scenario from data, strictly: unknown fields, duplicate
// keys, wrong types, missing fields and invalid values are all reported,
// in one pass, as an ErrorList whose errors carry name:line:column. The
// scenario returned has every default filled in.
func Parse(name string, data []byte) (*Scenario, error) {
	data = stripBOM(data)
	r := newReader(name, data)
	body := r.Document(data)
	if body == nil {
		return nil, r.Err()
	}
	s := r.scenario(body)
	r.validate(s)
	if err := r.Err(); err != nil {
		return nil, err
	}
	s.Source = name
	return s, nil
}

// Load reads the scenario file at path (see Parse).
func Load(path string) (*Scenario, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Resolve finds a scenario as `lab run` names it: a file when arg names an
// existing file, contains a path separator or ends in .yaml or .yml, else
// a built-in scenario.
func Resolve(arg string) (*Scenario, error) {
	if looksLikeFile(arg) {
		return Load(arg)
	}
	return Builtin(arg)
}

func looksLikeFile(arg string) bool {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return true
	}
	ext := strings.ToLower(filepath.Ext(arg))
	return strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) || ext == ".yaml" || ext == ".yml"
}

// ParseECS reads an ECS settings file (--ecs FILE): the fields of a
// scenario's ecs section, at the top level.
func ParseECS(name string, data []byte) (*ECS, error) {
	data = stripBOM(data)
	r := newReader(name, data)
	body := r.Document(data)
	if body == nil {
		return nil, r.Err()
	}
	e := &ECS{}
	r.object(body, "", ecsFields(r, e))
	if err := r.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// LoadECS reads the ECS settings file at path (see ParseECS).
func LoadECS(path string) (*ECS, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseECS(path, data)
}

// stripBOM drops a UTF-8 byte order mark, which some Windows editors
// write at the start of a file; YAML allows it there.
func stripBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, []byte("\ufeff"))
}

// readFile reads at most MaxFileSize bytes of path; a larger file is
// refused without being read whole.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, strictyaml.FileError(path, err, "cannot read: %v", pathErrorCause(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, strictyaml.FileError(path, nil, "is a directory, not a scenario file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, strictyaml.FileError(path, err, "cannot read: %v", pathErrorCause(err))
	}
	if len(data) > MaxFileSize {
		return nil, strictyaml.FileError(path, nil, "file is larger than %d bytes (1 MiB); a scenario file is not", MaxFileSize)
	}
	return data, nil
}

// pathErrorCause drops the operation and path that the error's position
// already names: "no such file or directory".
func pathErrorCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
