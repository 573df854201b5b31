package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// urlErr wraps err the way http.Client.Do does.
func urlErr(err error) error {
	return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: err}
}

func opErr(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"context deadline", urlErr(context.DeadlineExceeded), KindTimeout},
		{"net timeout", urlErr(&net.OpError{Op: "read", Err: timeoutErr{}}), KindTimeout},
		{"client timeout", urlErr(fmt.Errorf("wrapped: %w", timeoutErr{})), KindTimeout},
		{"connection refused", urlErr(opErr("dial", syscall.ECONNREFUSED)), KindRefused},
		{"connection reset", urlErr(opErr("read", syscall.ECONNRESET)), KindReset},
		{"broken pipe", urlErr(opErr("write", syscall.EPIPE)), KindReset},
		{"EOF", urlErr(io.EOF), KindReset},
		{"unexpected EOF in the body", io.ErrUnexpectedEOF, KindReset},
		{"net/http: server closed the connection", urlErr(errors.New("http: server closed idle connection")), KindReset},
		{"no such host", urlErr(&net.DNSError{Err: "no such host", Name: "nowhere.invalid"}), KindOther},
		{"anything else", urlErr(errors.New("tls: bad certificate")), KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeName(errorCode(tt.err)); got != tt.want {
				t.Errorf("errorCode(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

// classify tells the per-request timeout apart from an interrupt by the
// cause the request's context was cancelled with.
func TestClassifyByContext(t *testing.T) {
	live := context.Background()

	timedOut, cancel := context.WithCancelCause(context.Background())
	cancel(errRequestTimeout)

	interrupted, cancelRun := context.WithCancel(context.Background())
	cancelRun()
	child, cancelChild := context.WithTimeoutCause(interrupted, time.Hour, errRequestTimeout)
	defer cancelChild()

	runDeadline, cancelDeadline := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelDeadline()

	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"live context: the error decides", live, urlErr(opErr("dial", syscall.ECONNREFUSED)), KindRefused},
		{"request timeout", timedOut, urlErr(context.Canceled), KindTimeout},
		{"run interrupted", child, urlErr(context.Canceled), "cancelled"},
		{"run's own deadline is an interrupt, not a request timeout", runDeadline, urlErr(context.DeadlineExceeded), "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeName(classify(tt.ctx, tt.err)); got != tt.want {
				t.Errorf("classify = %s, want %s", got, tt.want)
			}
		})
	}
}

func codeName(code int) string {
	switch {
	case code > 0:
		return fmt.Sprint(code)
	case code == codeCancelled:
		return "cancelled"
	default:
		return kindNames[-code-1]
	}
}

func TestRecorderWindowCountsAndResets(t *testing.T) {
	r := newRecorder()
	a, b := r.shard(0), r.shard(1)
	for range 5 {
		r.sent(a)
	}
	r.sent(b)
	r.done(a, 200, 10*ms)
	r.done(a, 302, 20*ms) // a redirect is a response below 400: OK
	r.done(a, 404, 30*ms)
	r.done(b, 503, 40*ms)
	r.done(a, codeRefused, 50*ms) // a failure counts in Latency when it failed
	// one request of a still in flight

	got := r.window()
	want := Window{
		Sent:      6,
		OK:        2,
		Errors:    map[string]int{"404": 1, "503": 1, KindRefused: 1},
		Latency:   Percentiles{P50: 30, P90: 50, P95: 50, P99: 50, Max: 50, Count: 5},
		LatencyOK: Percentiles{P50: 10, P90: 20, P95: 20, P99: 20, Max: 20, Count: 2},
		InFlight:  1,
	}
	if diff := cmp.Diff(want, got, approxLatency); diff != "" {
		t.Errorf("first window (-want +got):\n%s", diff)
	}

	got = r.window()
	want = Window{Errors: map[string]int{}, InFlight: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("second window is not empty (-want +got):\n%s", diff)
	}

	r.done(a, 504, 1500*ms)
	got = r.window()
	want = Window{
		Errors:  map[string]int{"504": 1},
		Latency: Percentiles{P50: 1500, P90: 1500, P95: 1500, P99: 1500, Max: 1500, Count: 1},
	}
	if diff := cmp.Diff(want, got, approxLatency); diff != "" {
		t.Errorf("third window (-want +got):\n%s", diff)
	}
}

// approxLatency compares latencies at the histogram's precision (3 digits).
var approxLatency = cmp.Comparer(func(x, y float64) bool {
	return math.Abs(x-y) <= 0.001*math.Max(math.Abs(x), math.Abs(y))+1e-9
})

func TestRecorderTotalsSpanWindows(t *testing.T) {
	r := newRecorder()
	s := r.shard(0)
	record := func(code int, latency time.Duration) {
		r.sent(s)
		r.done(s, code, latency)
	}
	for i := 1; i <= 100; i++ {
		record(200, time.Duration(i)*ms)
	}
	r.window()
	record(500, 1000*ms)
	record(kindCode(KindTimeout), 2000*ms) // at the timeout
	r.window()
	record(700, 5*ms) // an unusual status code is still an error keyed by its code
	r.sent(s)         // in flight
	r.sent(s)
	r.done(s, codeCancelled, 0) // cancelled by an interrupt: neither OK nor error

	got := r.totals()
	want := Totals{
		Sent:      105,
		Requests:  103,
		OK:        100,
		Errors:    map[string]int64{"500": 1, "700": 1, KindTimeout: 1},
		Cancelled: 1,
		Latency:   Percentiles{P50: 51, P90: 92, P95: 97, P99: 1000, Max: 2000, Count: 103},
		LatencyOK: Percentiles{P50: 50, P90: 90, P95: 95, P99: 99, Max: 100, Count: 100},
		InFlight:  1,
	}
	if diff := cmp.Diff(want, got, approxLatency); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if got.Requests != got.OK+got.ErrorCount() {
		t.Errorf("Requests %d != OK %d + errors %d", got.Requests, got.OK, got.ErrorCount())
	}
	if rate := got.ErrorRate(); math.Abs(rate-3.0/103) > 1e-12 {
		t.Errorf("ErrorRate = %v, want 3/103", rate)
	}
	// Totals does not close the window.
	if w := r.window(); w.Sent != 3 || w.ErrorCount() != 1 || w.Cancelled != 1 {
		t.Errorf("window after Totals = %+v, want the 3 sends, 1 error and 1 cancel since the last window", w)
	}
	if again := r.totals(); !cmp.Equal(again, got, approxLatency) {
		t.Errorf("totals changed by closing a window:\n%s", cmp.Diff(got, again, approxLatency))
	}
}

// kindCode is the outcome code of a transport error kind.
func kindCode(kind string) int {
	for i, k := range kindNames {
		if k == kind {
			return -i - 1
		}
	}
	panic(kind)
}

func TestTotalsZero(t *testing.T) {
	got := newRecorder().totals()
	want := Totals{Errors: map[string]int64{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got.ErrorRate() != 0 {
		t.Errorf("ErrorRate of nothing = %v, want 0", got.ErrorRate())
	}
}

// Latencies beyond the histogram's range are clamped, not lost.
func TestRecorderClampsLatency(t *testing.T) {
	r := newRecorder()
	s := r.shard(0)
	r.sent(s)
	r.done(s, 200, 2*time.Hour)
	r.sent(s)
	r.done(s, 200, 0)
	w := r.window()
	if w.Latency.Count != 2 || w.OK != 2 {
		t.Fatalf("window = %+v, want 2 responses recorded", w)
	}
	if w.Latency.Max != float64(2*time.Hour/ms) {
		t.Errorf("Max = %v ms, want the exact 2h", w.Latency.Max)
	}
}

func BenchmarkRecorderDone(b *testing.B) {
	r := newRecorder()
	b.RunParallel(func(pb *testing.PB) {
		s := r.pick()
		for pb.Next() {
			r.sent(s)
			r.done(s, 200, 3*ms)
		}
	})
}

// SinceMark counts what completed after Mark, apart from the totals.
func TestRecorderSinceMark(t *testing.T) {
	r := newRecorder()
	s := r.shard(0)
	record := func(code int, latency time.Duration) {
		r.sent(s)
		r.done(s, code, latency)
	}
	if got := r.sinceMark(); got.Requests != 0 || got.Sent != 0 {
		t.Errorf("since no mark, nothing recorded: %+v", got)
	}
	for range 10 {
		record(200, 1000*ms) // the warm-up, slow
	}
	r.sent(s) // sent in the warm-up, completes after the mark
	if w := r.mark(); w.Sent != 11 || w.OK != 10 {
		t.Errorf("mark returned window %+v, want the warm-up's 11 sends and 10 OK", w)
	}
	r.done(s, 200, 30*ms)
	for i := 1; i <= 4; i++ {
		record(200, time.Duration(i)*10*ms)
	}
	r.window()
	record(503, 5*ms)

	got := r.sinceMark()
	want := Totals{
		Sent:      5,
		Requests:  6,
		OK:        5,
		Errors:    map[string]int64{"503": 1},
		Latency:   Percentiles{P50: 20, P90: 30, P95: 40, P99: 40, Max: 40, Count: 6},
		LatencyOK: Percentiles{P50: 30, P90: 40, P95: 40, P99: 40, Max: 40, Count: 5},
	}
	if diff := cmp.Diff(want, got, approxLatency); diff != "" {
		t.Errorf("since mark (-want +got):\n%s", diff)
	}
	if tot := r.totals(); tot.Requests != 16 || tot.Latency.Max != 1000 {
		t.Errorf("totals %+v, want all 16 requests, max 1s", tot)
	}
	r.mark()
	if got := r.sinceMark(); got.Requests != 0 || got.Sent != 0 {
		t.Errorf("after a second mark: %+v, want nothing", got)
	}
}
