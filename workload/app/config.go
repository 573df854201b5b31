package app

import (
	"fmt"
	"time"

	"github.com/ecslab/lab/workload/knobs"
)

// DefaultShutdownTimeout bounds a graceful shutdown: in-flight requests
// get this long to finish before their connections are closed.
const DefaultShutdownTimeout = 5 * time.Second

// Config holds the app's knobs (package knobs defines them) and how it
// shuts down.
type Config struct {
	// CPUWork is the CPU time each /cpu_intensive and /memory_leak request
	// spends, measured on the serving thread's CPU clock.
	CPUWork time.Duration
	// LeakPerRequest is the number of bytes each /memory_leak request
	// allocates, touches and keeps for the life of the process.
	LeakPerRequest int64
	// DelayStep is the delay /long_response_time adds per request served
	// so far: the n-th request sleeps n x DelayStep.
	DelayStep time.Duration
	// Port is the TCP port RunFromEnv listens on.
	Port int
	// ShutdownTimeout bounds Serve's graceful shutdown.
	ShutdownTimeout time.Duration
}

// DefaultConfig returns the knobs that reproduce the article's experiments.
func DefaultConfig() Config {
	return configOf(knobs.Defaults())
}

func configOf(v knobs.Values) Config {
	return Config{
		CPUWork:         v.CPUWork,
		LeakPerRequest:  v.LeakPerRequest,
		DelayStep:       v.DelayStep,
		Port:            v.Port,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// ConfigFromEnv reads the knobs from getenv (os.Getenv in the container)
// as knobs.FromEnv does, starting from DefaultConfig; an unset or empty
// variable keeps its default. The error of an invalid value names the
// variable, its value and what would be valid.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	v, err := knobs.FromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	return configOf(v), nil
}

// String lists the knobs as the environment would set them.
func (c Config) String() string {
	return fmt.Sprintf("%s=%s %s=%s %s=%s %s=%d",
		knobs.CPUWork, c.CPUWork, knobs.LeakPerRequest, knobs.FormatSize(c.LeakPerRequest),
		knobs.DelayStep, c.DelayStep, knobs.Port, c.Port)
}
