package local

import (
	"fmt"
	"os"
	"runtime"
)

// NetworkPath is how the balancer and the health checks reach a task.
type NetworkPath string

const (
	// PathAuto dials container addresses when this machine routes to
	// them (Linux, with the daemon on this machine), else the ports
	// published on 127.0.0.1. The default.
	PathAuto NetworkPath = "auto"
	// PathDirect always dials container addresses; a task whose address
	// does not answer fails to start.
	PathDirect NetworkPath = "direct"
	// PathPublished always dials the ports Docker publishes on
	// 127.0.0.1, as on Docker Desktop, OrbStack or colima, where the
	// containers live in a VM.
	PathPublished NetworkPath = "published"
)

// EnvContainerNetwork forces a NetworkPath: auto, direct or published.
const EnvContainerNetwork = "LAB_CONTAINER_NETWORK"

// NetworkPathFromEnv reads LAB_CONTAINER_NETWORK; unset is PathAuto.
func NetworkPathFromEnv() (NetworkPath, error) {
	switch v := NetworkPath(os.Getenv(EnvContainerNetwork)); v {
	case "":
		return PathAuto, nil
	case PathAuto, PathDirect, PathPublished:
		return v, nil
	default:
		return "", fmt.Errorf("%s=%s: want auto, direct or published", EnvContainerNetwork, v)
	}
}

// TriesDirect says whether tasks are first tried at their container
// addresses: unless published ports are forced, on Linux (elsewhere the
// daemon runs in a VM whose bridge this machine does not route to) or
// when direct is forced.
func (p NetworkPath) TriesDirect() bool {
	switch p {
	case PathPublished:
		return false
	case PathDirect:
		return true
	}
	return runtime.GOOS == "linux"
}

// Describe says, for people, how tasks are reached on this path.
func (p NetworkPath) Describe() string {
	switch {
	case p == PathPublished:
		return "tasks reached on ports published on 127.0.0.1 (" + EnvContainerNetwork + "=published)"
	case p == PathDirect:
		return "tasks reached at their container addresses (" + EnvContainerNetwork + "=direct)"
	case p.TriesDirect():
		return "tasks reached at their container addresses, else on ports published on 127.0.0.1"
	}
	return "tasks reached on ports published on 127.0.0.1"
}
