package balancer

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Balancing algorithms, as ALB names them.
const (
	RoundRobin               = "round_robin"
	LeastOutstandingRequests = "least_outstanding_requests"
)

// Balancer is lab's ALB: it routes each request to a healthy target, or
// fails open to the unhealthy ones when none is healthy, and answers
// with ALB's own status codes when it cannot: 503 when no target can
// take the request, 502 when the target resets or closes the
// connection, 504 when the target does not answer within the timeout.
//
// It forwards HTTP/1.1 itself, over kept-alive connections to each target
// (proxy.go), and leaves the rare requests that path does not handle
// (Upgrade, Expect, chunked or large uploads) to httputil.ReverseProxy.
type Balancer struct {
	algorithm     string
	targetTimeout time.Duration
	idleTimeout   time.Duration
	headerTimeout time.Duration
	transport     *http.Transport

	mu      sync.Mutex
	targets []*backend // registered, in registration order
	// routable is the subset of targets that gets requests, rebuilt on
	// every change so that picking a target takes no lock.
	routable atomic.Pointer[[]*backend]
	next     atomic.Uint64

	total counters // over all targets, ever

	listener net.Listener
	extra    []net.Listener // Listen's, guarded by connMu
	// server serves, through ReverseProxy, the connections that the lean
	// path (proxy.go) hands over.
	server   *http.Server
	handoffs *handoffListener

	closed atomic.Bool
	connMu sync.Mutex
	conns  map[*proxyConn]struct{} // client connections on the lean path
	// slots holds a token per open client connection, on either path:
	// at most Options.MaxConns.
	slots chan struct{}
}

// backend is one registered target.
type backend struct {
	id      string
	addr    string
	pool    pool                   // idle connections, for the lean path
	proxy   *httputil.ReverseProxy // for the net/http path
	healthy atomic.Bool
	// judged: a verdict came (SetHealthy); until then the target is in
	// ALB's initial state and gets no request, not even failing open.
	judged      atomic.Bool
	outstanding atomic.Int64
	counters
}

// TargetState is a registered target as the balancer sees it.
type TargetState struct {
	ID          string
	Healthy     bool
	Outstanding int64
	Requests    int64
	// ResponseTime is the summed response time of Responses responses.
	ResponseTime time.Duration
	Responses    int64
}

// New makes a balancer with the default Options but for its algorithm and
// target timeout; Start makes it listen.
func New(algorithm string, targetTimeout time.Duration) *Balancer {
	return NewWithOptions(Options{Algorithm: algorithm, TargetTimeout: targetTimeout})
}

// NewWithOptions makes a balancer; Start makes it listen.
func NewWithOptions(o Options) *Balancer {
	o = o.withDefaults()
	return &Balancer{
		algorithm:     o.Algorithm,
		targetTimeout: o.TargetTimeout,
		idleTimeout:   o.IdleTimeout,
		headerTimeout: o.HeaderTimeout,
		slots:         make(chan struct{}, o.MaxConns),
		transport: &http.Transport{
			Proxy:                 nil, // never an environment proxy between lab and its own tasks
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			MaxIdleConns:          0,
			MaxIdleConnsPerHost:   1024,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: o.TargetTimeout,
			DisableCompression:    true,
		},
	}
}

// Start listens on addr (e.g. 127.0.0.1:0) and serves in the background.
func (b *Balancer) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	b.listener = ln
	b.handoffs = newHandoffListener(ln.Addr())
	b.server = &http.Server{
		Handler:           b,
		ReadHeaderTimeout: b.headerTimeout,
		IdleTimeout:       b.idleTimeout,
		MaxHeaderBytes:    maxRequestHead,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go b.server.Serve(b.handoffs)
	go b.serveLean(ln)
	return nil
}

// Listen accepts clients on addr as well, in the background: e.g. on
// the gateway of a Docker network, where load generators in containers
// reach the balancer. It returns the address it listens at; Close stops
// it.
func (b *Balancer) Listen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	b.connMu.Lock()
	if b.closed.Load() {
		b.connMu.Unlock()
		ln.Close()
		return "", net.ErrClosed
	}
	b.extra = append(b.extra, ln)
	b.connMu.Unlock()
	go b.serveLean(ln)
	return ln.Addr().String(), nil
}

// URL is the balancer's base URL.
func (b *Balancer) URL() string { return "http://" + b.listener.Addr().String() }

// Close stops listening and closes every connection, client's and
// target's, in flight or idle.
func (b *Balancer) Close() error {
	b.closed.Store(true)
	var err error
	if b.listener != nil {
		err = b.listener.Close()
	}
	if b.server != nil {
		b.server.Close()
	}
	b.connMu.Lock()
	for _, ln := range b.extra {
		ln.Close()
	}
	for pc := range b.conns {
		pc.c.Close()
		if up := pc.up.Load(); up != nil {
			up.close()
		}
	}
	b.connMu.Unlock()
	b.mu.Lock()
	for _, t := range b.targets {
		t.pool.close()
	}
	b.mu.Unlock()
	b.transport.CloseIdleConnections()
	return err
}

// Register adds a target at addr (host:port). It gets no traffic until
// SetHealthy gives it a verdict: healthy, or unhealthy while no target is
// healthy (failing open).
func (b *Balancer) Register(id, addr string) {
	u := &url.URL{Scheme: "http", Host: addr}
	be := &backend{id: id, addr: addr}
	be.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
			setForwarded(r)
		},
		Transport:    b.transport,
		ErrorLog:     log.New(io.Discard, "", 0),
		ErrorHandler: answerTargetError,
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.targets = append(b.targets, be)
	b.rebuild()
}

// rebuild recomputes the routable set; b.mu must be held. It is the
// healthy targets; when none is healthy, ALB fails open and routes to
// every unhealthy one. Targets still in their initial checks get no
// request either way (ALB: a target must pass the initial health checks
// before it receives requests), so a group of new targets answers 503.
func (b *Balancer) rebuild() {
	var healthy, unhealthy []*backend
	for _, t := range b.targets {
		switch {
		case t.healthy.Load():
			healthy = append(healthy, t)
		case t.judged.Load():
			unhealthy = append(unhealthy, t)
		}
	}
	if len(healthy) == 0 {
		healthy = unhealthy
	}
	b.routable.Store(&healthy)
}

// Deregister removes a target: it gets no new requests. Requests in
// flight go on.
func (b *Balancer) Deregister(id string) {
	b.deregister(id)
}

func (b *Balancer) deregister(id string) *backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, t := range b.targets {
		if t.id == id {
			b.targets = append(b.targets[:i:i], b.targets[i+1:]...)
			b.rebuild()
			t.pool.close() // in-flight requests close their connections when done
			return t
		}
	}
	return nil
}

// Drain deregisters a target and waits until its in-flight requests are
// done or the deregistration delay has passed, as ALB does before it lets
// ECS stop the task.
func (b *Balancer) Drain(ctx context.Context, id string, delay time.Duration) {
	be := b.deregister(id)
	if be == nil {
		return
	}
	deadline := time.NewTimer(delay)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for be.outstanding.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}

// SetHealthy records a health-check verdict for a target.
func (b *Balancer) SetHealthy(id string, healthy bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.targets {
		if t.id == id {
			t.healthy.Store(healthy)
			t.judged.Store(true)
		}
	}
	b.rebuild()
}

// Targets returns the registered targets' state.
func (b *Balancer) Targets() []TargetState {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]TargetState, len(b.targets))
	for i, t := range b.targets {
		out[i] = t.state()
	}
	return out
}

// Totals are the balancer's counters since it started, over every target
// it ever had: requests routed to targets, and their summed response time.
func (b *Balancer) Totals() (requests int64, responseTime time.Duration, responses int64) {
	return b.total.requests.Load(), time.Duration(b.total.respNanos.Load()), b.total.responses.Load()
}

// setForwarded sets the X-Forwarded fields on the net/http path as the
// lean path does (proxyConn.writeForwarded), for the listener the client
// reached. Rewrite starts without them:
// X-Forwarded-Host, which ALB passes on untouched, is put back.
func setForwarded(r *httputil.ProxyRequest) {
	addr := r.In.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	var prior []string
	for _, v := range r.In.Header["X-Forwarded-For"] {
		if v = strings.TrimSpace(v); v != "" {
			prior = append(prior, v)
		}
	}
	h := r.Out.Header
	h["X-Forwarded-For"] = []string{strings.Join(append(prior, addr), ", ")}
	h["X-Forwarded-Proto"] = []string{"http"}
	if la, ok := r.In.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		h["X-Forwarded-Port"] = []string{portOf(la)}
	}
	if v := r.In.Header["X-Forwarded-Host"]; len(v) > 0 {
		h["X-Forwarded-Host"] = v
	}
}

// connectionNamesFraming is the net/http path's head.framingToken.
func connectionNamesFraming(h http.Header) bool {
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if isFramingField([]byte(strings.TrimSpace(tok))) {
				return true
			}
		}
	}
	return false
}

func (be *backend) state() TargetState {
	return TargetState{
		ID:           be.id,
		Healthy:      be.healthy.Load(),
		Outstanding:  be.outstanding.Load(),
		Requests:     be.requests.Load(),
		ResponseTime: time.Duration(be.respNanos.Load()),
		Responses:    be.responses.Load(),
	}
}

// ServeHTTP forwards a request through ReverseProxy: the path of the
// requests that the lean path leaves to net/http.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if connectionNamesFraming(r.Header) {
		w.Header().Set("Connection", "close")
		writeFailure(w, errBadRequest)
		return
	}
	be := b.pick()
	if be == nil {
		writeFailure(w, errNoTarget)
		return
	}
	rc := http.NewResponseController(w)
	if r.ContentLength != 0 && r.Body != nil {
		r.Body = &idleBody{ReadCloser: r.Body, rc: rc, idle: b.idleTimeout}
	}
	start := b.begin(be)
	// Deferred: ReverseProxy panics (http.ErrAbortHandler) when the
	// client stops taking the response.
	defer b.end(be, start)
	be.proxy.ServeHTTP(&idleWriter{ResponseWriter: w, rc: rc, idle: b.idleTimeout}, r)
}
