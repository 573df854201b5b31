package workload

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The environment variables the app reads, and their defaults.
const (
	EnvCPUWork        = "CPU_WORK"
	EnvLeakPerRequest = "LEAK_PER_REQUEST"
	EnvDelayStep      = "DELAY_STEP"
	EnvPort           = "PORT"

	// DefaultCPUWork is the CPU time of one /cpu_intensive request. At
	// 0.25 vCPU a task then serves at most 0.25/0.080 = 3.125 req/s, the
	// 3.13 req/s the article measured on Fargate.
	DefaultCPUWork = 80 * time.Millisecond
	// DefaultLeakPerRequest is what one /memory_leak request keeps, as the
	// original's bytearray(1024 * 1024).
	DefaultLeakPerRequest = 1 << 20
	// DefaultDelayStep is what each /long_response_time request adds to
	// the delay of the next ones, as the original's 2 ms.
	DefaultDelayStep = 2 * time.Millisecond
	// DefaultPort is the port the original Flask app listened on.
	DefaultPort = 5000
	// DefaultShutdownTimeout bounds a graceful shutdown: in-flight
	// requests get this long to finish before their connections are closed.
	DefaultShutdownTimeout = 5 * time.Second

	// MaxLeakPerRequest bounds LEAK_PER_REQUEST.
	MaxLeakPerRequest = 1 << 30
)

// Config holds the app's knobs.
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
	return Config{
		CPUWork:         DefaultCPUWork,
		LeakPerRequest:  DefaultLeakPerRequest,
		DelayStep:       DefaultDelayStep,
		Port:            DefaultPort,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// ConfigFromEnv reads the knobs from getenv (os.Getenv in the container),
// starting from DefaultConfig; an unset or empty variable keeps its default.
//
//	CPU_WORK          Go duration, >= 0 (e.g. 80ms, 1.5s)
//	LEAK_PER_REQUEST  bytes, >= 0, with an optional binary unit
//	                  (1048576, 512KiB, 1MiB, 4MiB; KB/MB/GB count as KiB/MiB/GiB)
//	DELAY_STEP        Go duration, >= 0 (e.g. 2ms)
//	PORT              1-65535
//
// The error of an invalid value names the variable, its value and what
// would be valid.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if v := strings.TrimSpace(getenv(EnvCPUWork)); v != "" {
		d, err := parseNonNegativeDuration(EnvCPUWork, v, "80ms")
		if err != nil {
			return Config{}, err
		}
		cfg.CPUWork = d
	}
	if v := strings.TrimSpace(getenv(EnvLeakPerRequest)); v != "" {
		n, err := ParseSize(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s=%q: %v; want a size such as 1MiB, 512KiB or 1048576", EnvLeakPerRequest, v, err)
		}
		if n > MaxLeakPerRequest {
			return Config{}, fmt.Errorf("%s=%q: at most %s per request", EnvLeakPerRequest, v, FormatSize(MaxLeakPerRequest))
		}
		cfg.LeakPerRequest = n
	}
	if v := strings.TrimSpace(getenv(EnvDelayStep)); v != "" {
		d, err := parseNonNegativeDuration(EnvDelayStep, v, "2ms")
		if err != nil {
			return Config{}, err
		}
		cfg.DelayStep = d
	}
	if v := strings.TrimSpace(getenv(EnvPort)); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return Config{}, fmt.Errorf("%s=%q: want a TCP port between 1 and 65535, such as 5000", EnvPort, v)
		}
		cfg.Port = p
	}
	return cfg, nil
}

func parseNonNegativeDuration(name, v, example string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as %s (units ns, us, ms, s, m, h)", name, v, example)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s=%q: must not be negative", name, v)
	}
	return d, nil
}

// String lists the knobs as the environment would set them.
func (c Config) String() string {
	return fmt.Sprintf("%s=%s %s=%s %s=%s %s=%d",
		EnvCPUWork, c.CPUWork, EnvLeakPerRequest, FormatSize(c.LeakPerRequest),
		EnvDelayStep, c.DelayStep, EnvPort, c.Port)
}

// sizeUnits are the units ParseSize accepts, in bytes. Decimal-looking
// units count in powers of 1024, as Fargate and Docker count memory.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// ParseSize parses a byte count such as "1048576", "512KiB", "1MiB",
// "1.5MiB" or "1GB" (units are case-insensitive and count in powers of
// 1024). The result is rounded down to a whole byte and must not be
// negative.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	if num == "" {
		if strings.HasPrefix(s, "-") {
			return 0, fmt.Errorf("must not be negative")
		}
		return 0, fmt.Errorf("not a number")
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", s[i:])
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("too large")
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	b := math.Floor(f * float64(mult))
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("too large")
	}
	return int64(b), nil
}

// FormatSize writes n bytes in the largest binary unit that divides it
// exactly: 1048576 is "1MiB", 4096 is "4KiB", 1536 is "1536B".
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
