// Package secrets resolves a scenario's secrets for a local run: from
// this machine's environment variables and files or, for a secret that
// ECS reads from Secrets Manager or Parameter Store, from the command
// line (--secret NAME=env:VAR|file:PATH). Values go to the tasks'
// environment only; no error says one.
package secrets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ecslab/lab/scenarios"
)

// MaxSize is the largest secret a file may hold: Secrets Manager's limit.
const MaxSize = 64 << 10

// Flag is the command-line flag that gives a secret's value locally.
const Flag = "--secret"

// Sources are where a local run reads values from; the zero value reads
// the process's environment and files.
type Sources struct {
	// LookupEnv reads an environment variable (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ScenarioDir is what a relative file: path of the scenario is
	// relative to: the scenario file's directory. Paths given with --secret
	// are relative to the working directory.
	ScenarioDir string
}

// ParseFlags reads --secret values, NAME=env:VAR or NAME=file:PATH, into
// a map by name.
func ParseFlags(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		name, source, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%s %s: want NAME=env:VAR or NAME=file:PATH", Flag, name)
		}
		kind, _, err := scenarios.SecretSource(source)
		if err != nil || kind == scenarios.SourceARN {
			return nil, fmt.Errorf("%s %s: want NAME=env:VAR or NAME=file:PATH (the value comes from this machine)", Flag, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s %s is given twice", Flag, name)
		}
		out[name] = source
	}
	return out, nil
}

// Resolve reads the value of each of the scenario's secrets: from the
// --secret flag naming it, else from its value_from. A secret that ECS
// reads (an ARN) needs the flag locally.
func Resolve(list []scenarios.Secret, flags map[string]string, src Sources) (map[string]string, error) {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	for name := range flags {
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("%s %s: the scenario has no secret %s (its secrets: %s)", Flag, name, name, orNone(names))
		}
	}
	out := make(map[string]string, len(list))
	var errs []error
	for _, s := range list {
		source, dir := s.ValueFrom, src.ScenarioDir
		if f, ok := flags[s.Name]; ok {
			source, dir = f, ""
		}
		v, err := src.read(s.Name, source, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[s.Name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (src Sources) read(name, source, dir string) (string, error) {
	kind, ref, err := scenarios.SecretSource(source)
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", name, err)
	}
	switch kind {
	case scenarios.SourceEnv:
		lookup := src.LookupEnv
		if lookup == nil {
			lookup = os.LookupEnv
		}
		v, ok := lookup(ref)
		if !ok {
			return "", fmt.Errorf("secret %s: environment variable %s is not set", name, ref)
		}
		return v, nil
	case scenarios.SourceFile:
		if dir != "" && !filepath.IsAbs(ref) {
			ref = filepath.Join(dir, ref)
		}
		return readFile(name, ref)
	}
	return "", fmt.Errorf("secret %s comes from %s, which ECS reads and a local run cannot: give its value with %s %s=env:VAR or %s %s=file:PATH", name, ref, Flag, name, Flag, name)
}

// readFile reads a secret from a file: at most MaxSize bytes, without
// the one line end an editor or echo adds.
func readFile(name, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return "", fmt.Errorf("secret %s: read %s: %w", name, path, err)
	}
	if len(data) > MaxSize {
		return "", fmt.Errorf("secret %s: %s is larger than %d bytes (64 KiB, as Secrets Manager allows)", name, path, MaxSize)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
