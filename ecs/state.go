package ecs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ecslab/lab/internal/atomicfile"
)

// State is what lab created on AWS for one scenario in one region, kept
// in a small JSON file so that `lab ecs down` (and any failed apply) can
// remove exactly that. It is written after every create, so a failure
// half-way leaves a state that names everything made so far. down also
// looks resources up by name and tag, for when the file is gone.
type State struct {
	Scenario string `json:"scenario"`
	Owner    string `json:"owner"`
	Region   string `json:"region"`
	Cluster  string `json:"cluster"`
	Service  string `json:"service"`

	ClusterCreated  bool     `json:"cluster_created,omitempty"`
	LogGroup        string   `json:"log_group,omitempty"`
	LoadBalancerARN string   `json:"load_balancer_arn,omitempty"`
	TargetGroupARN  string   `json:"target_group_arn,omitempty"`
	ListenerARN     string   `json:"listener_arn,omitempty"`
	TaskDefinitions []string `json:"task_definitions,omitempty"`
	ServiceARN      string   `json:"service_arn,omitempty"`
	ScalableTarget  string   `json:"scalable_target,omitempty"` // resource id, service/CLUSTER/SERVICE
	Policies        []string `json:"policies,omitempty"`
	Alarms          []string `json:"alarms,omitempty"`
	SecurityGroups  []string `json:"security_groups,omitempty"` // IDs: the tasks' first, then the ALB's

	path string
}

// StateDir is where state files live: $LAB_STATE_DIR, else
// $XDG_STATE_HOME/lab/ecs, else ~/.local/state/lab/ecs.
func StateDir() (string, error) {
	if d := os.Getenv("LAB_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "lab", "ecs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ecs state: no home directory: set LAB_STATE_DIR (%w)", err)
	}
	return filepath.Join(home, ".local", "state", "lab", "ecs"), nil
}

// StatePath is the state file of a scenario and owner in a region.
func StatePath(region string, n Names) (string, error) {
	dir, err := StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, sanitize(region, "-"), sanitize(n.Scenario, "-_.")+"."+sanitize(n.Owner, "")+".json"), nil
}

// LoadState reads the state of the scenario and owner n in the region, or
// returns an empty one (bound to its file) when there is none yet.
func LoadState(region string, n Names) (*State, error) {
	path, err := StatePath(region, n)
	if err != nil {
		return nil, err
	}
	st := &State{Scenario: n.Scenario, Owner: n.Owner, Region: region, path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ecs state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("ecs state %s: %w (remove the file; `lab ecs down` then finds the resources by their tags)", path, err)
	}
	st.path = path
	return st, nil
}

// Path is the state's file.
func (s *State) Path() string { return s.path }

// Save writes the state atomically and durably (see atomicfile), so a
// crash, of lab or of the machine, never leaves half a file.
func (s *State) Save() error {
	if s.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("ecs state: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("ecs state: %w", err)
	}
	return nil
}

// Remove deletes the state file once everything in it is gone.
func (s *State) Remove() error {
	if s.path == "" {
		return nil
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ecs state: %w", err)
	}
	return nil
}

// Empty reports whether the state names no resource.
func (s *State) Empty() bool {
	return !s.ClusterCreated && s.LogGroup == "" && s.LoadBalancerARN == "" && s.TargetGroupARN == "" &&
		s.ListenerARN == "" && len(s.TaskDefinitions) == 0 && s.ServiceARN == "" && s.ScalableTarget == "" &&
		len(s.Policies) == 0 && len(s.Alarms) == 0 && len(s.SecurityGroups) == 0
}

func addUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
