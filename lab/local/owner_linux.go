package local

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procIdentity is what makes pid one process on this host: its start
// time after boot, the boot's id and the pid namespace. Empty when /proc
// cannot say.
func procIdentity(pid int) (start, boot, pidNS string) {
	start, err := processStart(pid)
	if err != nil {
		return "", "", ""
	}
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", "", ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "", "", ""
	}
	return start, strings.TrimSpace(string(b)), ns
}

// hostIdentity is the boot id and pid namespace of the caller; empty
// where /proc cannot say.
func hostIdentity() (boot, pidNS string) {
	_, boot, pidNS = procIdentity(os.Getpid())
	return boot, pidNS
}

// processStart is field 22 of /proc/PID/stat, the process's start time in
// clock ticks after boot; an error wrapping fs.ErrNotExist when there is
// no such process (or the caller may not see it).
func processStart(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses: the fields after it start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields after the name, want 20", pid, len(f))
	}
	return f[19], nil // field 3 is f[0]
}
