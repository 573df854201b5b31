package envelope

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RemoveRun removes the envelopes a run left behind: the parent cgroups
// of its tasks, which the runtime does not remove with their containers.
// A run that ends normally removes each task's; `lab gc` calls this for a
// run that died. Its containers must be gone. With the systemd driver it
// stops the run's slice, which holds its tasks' slices.
func (h Host) RemoveRun(run string) error {
	if !validComponent(run) {
		return fmt.Errorf("run %q: not a run id", run)
	}
	if h.Driver == DriverSystemd {
		return h.Systemctl("stop", "lab-"+run+".slice")
	}
	roots := []string{h.Root}
	if h.Version == 1 {
		entries, err := os.ReadDir(h.Root)
		if err != nil {
			return fmt.Errorf("task envelopes of run %s: %w", run, err)
		}
		roots = roots[:0]
		for _, e := range entries {
			if e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
				roots = append(roots, filepath.Join(h.Root, e.Name()))
			}
		}
	}
	var errs []error
	for _, root := range roots {
		tasks, err := os.ReadDir(filepath.Join(root, "lab", run))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, task := range tasks {
			if !task.IsDir() || !validComponent(task.Name()) {
				continue
			}
			p := &Parent{host: h, rel: []string{"lab", run, task.Name()}}
			errs = append(errs, p.removeTree(root))
		}
	}
	return errors.Join(errs...)
}
