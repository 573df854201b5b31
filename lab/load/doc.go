// Package load is lab's load generator: it sends HTTP requests at one URL
// (the balancer in front of the tasks) following a list of phases, and
// records what happened per window (the runner closes one per second) and
// in total.
//
// # Two models
//
// An open-model phase sets an arrival rate: requests are sent at the times
// a schedule fixes in advance, whatever the server does, like users who
// arrive independently of one another. A phase has a constant rate (request
// i of the phase at i/rate) or a ramp whose rate changes linearly; a ramp
// sends the integral of its rate (0 -> 20 req/s over 60s is 600 requests).
// Consecutive open phases continue one schedule, with neither a gap nor a
// burst at their boundary. The schedule is pure arithmetic (see Schedule and
// Curve): the sender asks it how many requests are due now, sends them all,
// and sleeps until the next one is due, so high rates are reached exactly
// without sleeping once per request. Due requests go into a queue that a
// pool of goroutines, one connection each, takes from. The pool grows when
// requests wait in the queue (for a millisecond) and it is smaller than
// twice what the rate and the time a request takes call for (Little's
// law), at most doubling at once: a slow or stalled server gets a
// connection per request in flight within milliseconds, while a hiccup of
// the machine does not open thousands. If requests would pile up,
// MaxInFlight caps the pool (default 10000) and the sender waits for a
// free slot.
//
// A closed-model phase sets a number of workers: each sends a request,
// waits for its response, and sends the next one at most 1/WorkerRate
// seconds after the previous send, or as soon as the response arrives if
// that is later (see NextSend); this is `hey -c Workers -q WorkerRate`. With
// WorkerRate 0 the workers send as fast as the server answers. The server's
// speed sets the load: a slow server receives fewer requests.
//
// # Why the open model measures latency from the intended time
//
// In the closed model a request waits for nothing before it is sent, so its
// latency runs from the actual send. In the open model each request has a
// time at which it was due, and its latency runs from then. If the server
// stalls for a second, or the generator falls behind (its scheduler, the
// MaxInFlight cap), the requests that should have gone out meanwhile went
// out late; a user arriving at the intended time would have waited that
// long. Measuring from the actual send would hide exactly the seconds that
// matter ("coordinated omission"): a p99 of milliseconds during a one-second
// stall. Measuring from the intended time makes the stall show in the
// percentiles of its window.
//
// # Sending
//
// Each closed-model worker, and each goroutine of the pool that sends the
// open model's requests, owns one connection and reuses it, reading every
// response body to its end. For plain http URLs (the lab's balancer) the
// generator speaks HTTP/1.1 itself over that connection: the request is
// serialised once, and a request costs one write and one read system call
// on the sending goroutine, as in wrk, instead of net/http's hand-offs
// between goroutines. https URLs, or a Config.Client, go through net/http.
// A kept-alive connection that the server closed while idle is retried once
// on a fresh one, as net/http does; a failure on a fresh connection is an
// error.
//
// # Recording
//
// Latencies go into HDR histograms (1 µs to one hour, three significant
// digits): one per shard for the current window, merged into one for the
// totals when the window closes. Memory does not grow with the number of
// requests, and no request is ever kept. Outcomes are counted in arrays by
// status code and error kind (see the Kind constants) and only turned into
// maps by Window and Totals.
//
// A request that got an HTTP response counts as OK when its status is below
// 400 and as an error keyed by its code otherwise; one that got none counts
// as an error of a transport kind. A request cancelled because Run's context
// was cancelled is neither: it is counted in Cancelled, so that
// Requests == OK + errors holds after an interrupt too.
package load
