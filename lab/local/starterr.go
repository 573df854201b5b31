package local

import (
	"fmt"
	"regexp"
	"strconv"
)

// rlimitRE is runc's words when the kernel refuses a container's ulimit:
// the daemon (whose limits its containers inherit as a ceiling) may not
// raise it that high.
var rlimitRE = regexp.MustCompile(`error setting rlimit type (\d+): operation not permitted`)

// rlimitNames are Linux's resource numbers, as ECS names the limits.
var rlimitNames = map[int]string{
	0: "cpu", 1: "fsize", 2: "data", 3: "stack", 4: "core", 5: "rss", 6: "nproc", 7: "nofile",
	8: "memlock", 9: "as", 10: "locks", 11: "sigpending", 12: "msgqueue", 13: "nice", 14: "rtprio", 15: "rttime",
}

// explainStart says, for a container's start error whose cause is its
// task definition, which field to change. Other errors are returned as
// they are.
func explainStart(err error, def *ContainerDef) error {
	m := rlimitRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	name := rlimitNames[n]
	for _, u := range def.Ulimits {
		if u.Name == name {
			return fmt.Errorf("the task definition's ulimits %s of container %s (soft %d, hard %d) is above what this Docker daemon may give its containers, its own limit: lower it, or raise the daemon's (LimitNOFILE and the like in its service unit): %w",
				name, def.Name, u.Soft, u.Hard, err)
		}
	}
	return err
}
