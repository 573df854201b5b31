// Package app is lab's built-in mock app: what runs inside the workload
// image.
//
// It re-implements the Flask app of the article lab reproduces: `/`
// answers a health check, `/cpu_intensive` burns CPU, `/memory_leak`
// leaks memory and `/long_response_time` gets slower with every request,
// as a busy downstream would. Every answer is JSON {"result": "..."}.
// What each request costs is set by knobs read from the environment (see
// [ConfigFromEnv]); CPU work is spent on the thread's own CPU clock, so a
// container throttled by its CPU limit takes proportionally longer in wall
// time, as a Fargate task does.
//
// The package imports nothing of Docker or AWS: cmd/lab-workload, the
// small static program in the image, is this package and a main.
package app
