// Package knobs defines the built-in app's knobs: the environment
// variables it reads, their defaults, how their values are read and the
// bounds they must keep. The app (package workload) reads its environment
// with it and scenario validation (package scenarios) checks a scenario's
// env with it, so that a value `lab validate` accepts is one the app
// starts with. It depends on the standard library only: scenarios must not
// pull the Docker client that package workload needs.
package knobs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The environment variables the built-in app reads.
const (
	CPUWork        = "CPU_WORK"
	LeakPerRequest = "LEAK_PER_REQUEST"
	DelayStep      = "DELAY_STEP"
	// Port is set by lab, not by a scenario: it is where the balancer
	// sends the task's traffic.
	Port = "PORT"
)

// The knobs' defaults and bounds.
const (
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
	// DefaultPort is the port the original Flask app listened on, and so
	// the port of the built-in app in every task.
	DefaultPort = 5000

	// MaxLeakPerRequest bounds LEAK_PER_REQUEST.
	MaxLeakPerRequest = 1 << 30
)

// Values are the knobs' values.
type Values struct {
	// CPUWork is the CPU time each /cpu_intensive and /memory_leak request
	// spends.
	CPUWork time.Duration
	// LeakPerRequest is the number of bytes each /memory_leak request
	// keeps for the life of the process.
	LeakPerRequest int64
	// DelayStep is the delay /long_response_time adds per request served
	// so far.
	DelayStep time.Duration
	// Port is the TCP port the app listens on.
	Port int
}

// Defaults returns the knobs that reproduce the article's experiments.
func Defaults() Values {
	return Values{
		CPUWork:        DefaultCPUWork,
		LeakPerRequest: DefaultLeakPerRequest,
		DelayStep:      DefaultDelayStep,
		Port:           DefaultPort,
	}
}

// knob reads one variable's value into Values; its error says what is
// wrong with the value and what would be valid.
type knob struct {
	name string
	set  func(v *Values, s string) error
}

// all lists the knobs in the order they are read and reported.
var all = []knob{
	{CPUWork, func(v *Values, s string) (err error) {
		v.CPUWork, err = nonNegativeDuration(s, "80ms")
		return err
	}},
	{LeakPerRequest, func(v *Values, s string) error {
		n, err := ParseSize(s)
		if err != nil {
			return fmt.Errorf("%v; want a size such as 1MiB, 512KiB or 1048576", err)
		}
		if n > MaxLeakPerRequest {
			return fmt.Errorf("at most %s per request", FormatSize(MaxLeakPerRequest))
		}
		v.LeakPerRequest = n
		return nil
	}},
	{DelayStep, func(v *Values, s string) (err error) {
		v.DelayStep, err = nonNegativeDuration(s, "2ms")
		return err
	}},
	{Port, func(v *Values, s string) error {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("want a TCP port between 1 and 65535, such as %d", DefaultPort)
		}
		v.Port = p
		return nil
	}},
}

// Settable lists the knobs a scenario sets in its env (PORT is lab's).
func Settable() []string {
	return []string{CPUWork, LeakPerRequest, DelayStep}
}

// Error is a knob whose value the app refuses.
type Error struct {
	Name  string // the variable, e.g. CPU_WORK
	Value string // its value, without surrounding spaces
	// Reason says what is wrong and what would be valid, e.g. "at most
	// 1GiB per request".
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Reason) }

// FromEnv reads the knobs from getenv (os.Getenv in the container),
// starting from Defaults; an unset or empty variable keeps its default.
//
//	CPU_WORK          Go duration, >= 0 (e.g. 80ms, 1.5s)
//	LEAK_PER_REQUEST  bytes, 0 to 1GiB, with an optional binary unit
//	                  (1048576, 512KiB, 1MiB, 4MiB; KB/MB/GB count as KiB/MiB/GiB)
//	DELAY_STEP        Go duration, >= 0 (e.g. 2ms)
//	PORT              1-65535
//
// The error, an *Error, is the first invalid knob in that order.
func FromEnv(getenv func(string) string) (Values, error) {
	v := Defaults()
	for _, k := range all {
		if err := k.read(&v, getenv(k.name)); err != nil {
			return Values{}, err
		}
	}
	return v, nil
}

// Check reports, as an *Error, whether the app would refuse value for the
// variable name. Other names, which the app does not read, pass.
func Check(name, value string) error {
	for _, k := range all {
		if k.name == name {
			v := Defaults()
			return k.read(&v, value)
		}
	}
	return nil
}

func (k knob) read(v *Values, value string) error {
	s := strings.TrimSpace(value)
	if s == "" {
		return nil
	}
	if err := k.set(v, s); err != nil {
		return &Error{Name: k.name, Value: s, Reason: err.Error()}
	}
	return nil
}

func nonNegativeDuration(s, example string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as %s (units ns, us, ms, s, m, h)", example)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}
