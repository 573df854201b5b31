// Package balancer is lab's Application Load Balancer: one listener in
// front of one target group, on 127.0.0.1. It knows nothing of Docker or
// of scenarios; whoever runs the targets registers them, feeds it their
// health and drains them.
//
// What it emulates of ALB:
//
//   - Routing to the healthy registered targets only, round robin or least
//     outstanding requests (ties rotate); when none is healthy, failing
//     open to every unhealthy one, as ALB does. A target still in its
//     initial checks gets no request.
//   - Target health checks (CheckHealth): GET of a path every interval,
//     success on a matching status code (ALB's matcher, 200 by default;
//     redirects are not followed) within the timeout, healthy after
//     HealthyThreshold and unhealthy after UnhealthyThreshold consecutive
//     results; a new target starts in ALB's initial state, and one passed
//     check makes it healthy.
//   - ALB's own answers: 503 when no target can be routed to, 502 when
//     the target refuses, resets or closes the connection or sends what is
//     not HTTP, 504 when the target's response head does not arrive within
//     the target timeout (a slow body is not cut).
//   - Deregistration with a delay (Drain): no new requests, in-flight
//     requests finish, up to the delay.
//   - The counters behind ALB's RequestCount and TargetResponseTime metrics,
//     per target and in total, and each target's outstanding requests.
//   - Keep-alive connections to the targets, with hop-by-hop fields removed
//     in both directions, as an HTTP/1.1 proxy does. An idle connection
//     is peeked at before it is reused: one the target closed, or with
//     bytes waiting (an unsolicited response, a body after a 204), is
//     closed instead.
//   - No request smuggling through Connection: a request whose Connection
//     field names Content-Length, Transfer-Encoding or Host is refused
//     with a 400, and such a response is a 502, since dropping those
//     fields as hop-by-hop would move where the message ends. ALB instead
//     classifies every request by its desync mitigation mode (defensive
//     by default); lab refuses these requests only.
//   - The fields ALB adds to a request: X-Forwarded-For, the client's
//     address appended to the list the client sent (ALB's default
//     "append" mode); X-Forwarded-Proto, http, and X-Forwarded-Port, the
//     listener's port, both replacing what the client sent. Other
//     X-Forwarded fields pass on untouched.
//   - ALB's idle timeout (Options.IdleTimeout, 60 s by default): a client
//     connection on which no request starts, or whose request body stops
//     arriving, or (on Linux) that takes none of its response for that
//     long, is closed; the target connection it held goes with it.
//   - No hold for slow clients: a request head must arrive within
//     Options.HeaderTimeout of its first byte, with its body when that
//     fits in the 8 KiB buffer, and no target is chosen before; a head is
//     at most 64 KiB, ALB's limit. A larger body streams to the target as
//     it arrives, each read within the idle timeout.
//
// What it does not:
//
//   - Listener rules, TLS, HTTP/2 and gRPC, sticky sessions, slow start,
//     weighted target groups, Availability Zones, access logs.
//   - X-Amzn-Trace-Id, and X-Forwarded-For modes other than ALB's
//     default (append).
//   - ALB's other limits on requests and its client-side codes (460, 463
//     and the like).
//   - ALB's scaling: an ALB has no fixed limit on client connections (it
//     scales, and bills them as capacity units); this balancer serves at
//     most Options.MaxConns (4096 by default) at once and accepts no more
//     until one closes, so that new ones wait in the listen queue.
//   - TargetResponseTime to the response head: it is measured until the
//     response has been relayed, which for small bodies is the same.
//
// It forwards HTTP/1.1 itself, on a lean path (proxy.go, proxy_head.go)
// that reuses its buffers and target connections, and leaves what that
// path does not handle (Upgrade, Expect, chunked or large request bodies,
// unusual request targets or heads) to httputil.ReverseProxy. Both paths
// count requests and map target failures to status codes in one place
// (route.go).
package balancer
