// Package chaos holds lab's fault tests: lab is run as
// a user runs it, and something goes wrong on purpose: Ctrl-C or SIGKILL
// at random moments, Docker going away, workload containers killed,
// paused or cut off, results that cannot be written, ports already taken,
// and many runs in a row.
//
// The fast cases run in `make test`; the slow ones carry the build tag
// chaos and run with `make chaos`, which ends with the line
// "chaos: N fault cases ran, N passed". Every case is bounded in time and
// touches only containers its own runs started (DOCKER_HOST or the
// default socket, and 127.0.0.1).
package chaos
