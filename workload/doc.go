// Package workload packages lab's built-in app (package app) as a Docker
// image without a registry, and finds the static linux program to put in
// it for the daemon's architecture ([FindBinary]).
//
// The image is FROM scratch with the program as /lab and `/lab workload`
// as its entrypoint: cmd/lab-workload, or lab itself when it is a static
// linux build (its hidden `lab workload` verb serves the same app).
package workload
