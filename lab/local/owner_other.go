//go:build !linux

package local

import "errors"

// Without /proc, a run's liveness is its lock file's (LabelLock).
func procIdentity(int) (start, boot, pidNS string) { return "", "", "" }

func hostIdentity() (boot, pidNS string) { return "", "" }

func processStart(int) (string, error) { return "", errors.ErrUnsupported }
