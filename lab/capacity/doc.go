// Package capacity is `lab capacity`: for each task size, the highest
// arrival rate one task sustains under an SLO, what a million requests
// cost at that rate, and the cheapest fleet for a peak.
//
// The search itself is arithmetic (package search: a state machine that
// picks the next rate from the last verdict). This package runs it: it
// deploys one task of each size on a lab.Target, and for each step drives
// an open-model load (lab/load) at the step's rate, discards a warm-up,
// judges the SLO over a steady window (Judge, Decided: pure functions of
// what was measured), cools down until the task is idle again, and hands
// the verdict to the search. Sizes run one after another, so that each
// task has the host's CPU to itself. capacity.json is rewritten after
// every step, atomically, so an interrupted search leaves what it found.
//
// The run publishes what lab.Run publishes (lab.Observer: a snapshot a
// second, task events, a summary per size) so that the results writer and
// the dashboard work unchanged; a size is an entry, a step a phase.
package capacity
