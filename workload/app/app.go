package app

import (
	"encoding/json"
	"math"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// App is the mock app: its handlers and the state the original kept in
// module globals (the leaked buffers, the request counter of
// /long_response_time). A container runs one App, so that state lives as
// long as the process, and a new task starts again from zero.
type App struct {
	cfg Config
	mux *http.ServeMux

	mu          sync.Mutex
	leaked      [][]byte // never read: keeping them is the point
	leakedBytes int64

	slowRequests atomic.Int64 // requests /long_response_time has received
}

// New returns the app with the knobs of cfg.
func New(cfg Config) *App {
	a := &App{cfg: cfg, mux: http.NewServeMux()}
	// As Flask routes: GET (and HEAD) only, other methods get 405, any
	// other path 404.
	a.mux.HandleFunc("GET /{$}", a.hello)
	a.mux.HandleFunc("GET /cpu_intensive", a.cpuIntensive)
	a.mux.HandleFunc("GET /memory_leak", a.memoryLeak)
	a.mux.HandleFunc("GET /long_response_time", a.longResponseTime)
	return a
}

// Handler returns the app's HTTP handler.
func (a *App) Handler() http.Handler { return a.mux }

func (a *App) hello(w http.ResponseWriter, _ *http.Request) {
	writeResult(w, helloBody)
}

// cpuIntensive spends the configured CPU time, then answers the square
// root the original computed.
func (a *App) cpuIntensive(w http.ResponseWriter, _ *http.Request) {
	burnCPU(a.cfg.CPUWork)
	writeResult(w, sqrtBody)
}

// memoryLeak keeps a buffer of LeakPerRequest bytes for the life of the
// process, then does what /cpu_intensive does.
func (a *App) memoryLeak(w http.ResponseWriter, _ *http.Request) {
	a.leak(a.cfg.LeakPerRequest)
	burnCPU(a.cfg.CPUWork)
	writeResult(w, sqrtBody)
}

// longResponseTime sleeps n x DelayStep for its n-th request, as a
// downstream that gets busier with every request would. It spends no CPU
// work: the time goes to waiting. A client that goes away ends the wait.
func (a *App) longResponseTime(w http.ResponseWriter, r *http.Request) {
	n := a.slowRequests.Add(1)
	t := time.NewTimer(time.Duration(n) * a.cfg.DelayStep)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	writeResult(w, sqrtBody)
}

var pageSize = os.Getpagesize()

// leak allocates n bytes, writes one byte per page so that every page is
// resident (counted by the kernel, the cgroup and so the OOM killer), and
// keeps the buffer.
func (a *App) leak(n int64) {
	if n <= 0 {
		return
	}
	buf := make([]byte, n)
	for i := 0; i < len(buf); i += pageSize {
		buf[i] = 1
	}
	a.mu.Lock()
	a.leaked = append(a.leaked, buf)
	a.leakedBytes += n
	a.mu.Unlock()
}

// leakedTotal returns the number of bytes leaked so far.
func (a *App) leakedTotal() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.leakedBytes
}

func writeResult(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body) // the client went away: nothing to do
}

// The answers, computed once. The original app wrote
// json.dumps({"result": f"{value}"}), hence the space after the colon.
var (
	sqrtResult = pythonFloatRepr(originalSqrt())
	helloBody  = resultBody("hello world")
	sqrtBody   = resultBody(sqrtResult)
)

func resultBody(s string) []byte {
	q, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return []byte(`{"result": ` + string(q) + `}`)
}

// originalSqrt is the original's sqrt(64 * 64 * 64 * 64 * 64 * 64**64):
// Python's math.sqrt converts the integer 64**69 = 2**414 to the nearest
// float (exact here) and takes its square root, 2**207.
func originalSqrt() float64 {
	n := new(big.Int).Exp(big.NewInt(64), big.NewInt(64), nil)
	for range 5 {
		n.Mul(n, big.NewInt(64))
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return math.Sqrt(f)
}

// pythonFloatRepr formats f as Python's str(float) and repr(float) do: the
// shortest digits that round-trip, in positional notation when the decimal
// exponent is in [-4, 16) (always with a fractional part, "100.0") and in
// scientific notation otherwise ("1e+16", "2.0568806966515076e+62").
func pythonFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, err := strconv.Atoi(sci[strings.LastIndexByte(sci, 'e')+1:])
	if err != nil {
		panic(err) // FormatFloat always writes an exponent
	}
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
