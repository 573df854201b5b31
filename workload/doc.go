// Package workload is lab's built-in mock app and the code that packages
// it as a Docker image without a registry.
//
// The app re-implements the Flask app of the article lab reproduces
// (reference/experiments.md): `/` answers a health check,
// `/cpu_intensive` burns CPU, `/memory_leak` leaks memory and
// `/long_response_time` gets slower with every request, as a busy
// downstream would. Every answer is JSON {"result": "..."}. What each
// request costs is set by knobs read from the environment (see
// [ConfigFromEnv]); CPU work is spent on the thread's own CPU clock, so a
// container throttled by its CPU limit takes proportionally longer in wall
// time, as a Fargate task does.
//
// lab's own binary is the workload: [EnsureImage] copies the running
// executable into a scratch image whose entrypoint is `lab workload`, and
// that hidden command calls [RunFromEnv].
package workload
