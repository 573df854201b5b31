//go:build unix

package mototest

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own: moto_server may be
// a script that starts Python, and both must go at the end.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killGroup kills cmd's process group.
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
