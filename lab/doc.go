// Package lab runs one scenario: for each matrix entry it deploys the
// service on a Target, drives the load generator at the target's endpoint,
// and once a second publishes an immutable Snapshot to its observers,
// together with Events as they happen. Observers (the TUI, headless
// progress, the results writer) only read what a run publishes.
//
// The run owns the clock; the target, the generator and the thresholds are
// parts it drives.
package lab
