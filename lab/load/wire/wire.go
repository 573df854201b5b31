// Package wire is how a load generator running apart from lab (a
// container here, a Fargate task on ECS) reports to lab: one JSON line
// per second on its standard output, each a window of its load with the
// latency histogram encoded, so that lab can merge the windows of many
// generators exactly (Merger). docs/architecture.md describes the format.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ecslab/lab/lab/load"
)

// Version is the format's version, the v of every line. A reader
// rejects lines of another version rather than misread them.
const Version = 1

// Types of line.
const (
	TypeStart  = "start"  // the generator's load started; Start is the common start, by its clock
	TypeWindow = "window" // one second of load
	TypeDone   = "done"   // the load is over and every window was written
	TypeError  = "error"  // the generator could not run; Error says why
)

// Line is one line a generator writes. Second counts whole seconds
// since the load's start: window s holds what was sent and what
// completed in [s, s+1).
type Line struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Gen  int    `json:"gen"` // the generator's index, from 0

	Start time.Time `json:"start,omitzero"` // start
	// From is the first second a generator that began late sends in:
	// it sent nothing of the seconds before (start).
	From int `json:"from,omitempty"`
	// LateNanos is how long after Start the generator was ready (start;
	// absent when it was ready before).
	LateNanos int64 `json:"late_ns,omitempty"`
	// Clock is what the generator's host says of its clock (start;
	// absent where the host says nothing: containers here, which share
	// lab's clock).
	Clock *Clock `json:"clock,omitempty"`

	Second    int              `json:"second"`              // window
	Sent      int64            `json:"sent,omitempty"`      // window: requests sent
	OK        int64            `json:"ok,omitempty"`        // window: responses < 400 that completed
	Errors    map[string]int64 `json:"errors,omitempty"`    // window: by status code or kind (timeout, refused, reset, other)
	Cancelled int64            `json:"cancelled,omitempty"` // window
	InFlight  int64            `json:"in_flight,omitempty"` // window: sent and not completed at its end
	MaxNanos  int64            `json:"max_ns,omitempty"`    // window: the largest latency, exact
	Hist      string           `json:"hist,omitempty"`      // window: HdrHistogram V2 compressed, base64, of microseconds
	// The same over the OK responses only (Hist has every completed
	// request, failures at the time they failed); absent from lines of
	// generators that did not send it.
	MaxOKNanos int64  `json:"max_ok_ns,omitempty"`
	HistOK     string `json:"hist_ok,omitempty"`
	Partial    bool   `json:"partial,omitempty"` // window: the generator was stopped during this second

	Seconds int    `json:"seconds,omitempty"` // done: how many windows were written
	Error   string `json:"error,omitempty"`   // error
}

// Clock is how good a generator's clock is, as its host reports it:
// on Fargate, the task metadata endpoint's ClockDrift (Amazon Time Sync).
type Clock struct {
	// ErrorBoundMS bounds the clock's error against true time, in ms.
	ErrorBoundMS float64 `json:"error_bound_ms"`
	Status       string  `json:"status,omitempty"` // e.g. SYNCHRONIZED
}

// WindowLine is the line of generator gen's window number second.
func WindowLine(gen, second int, r load.Record) (Line, error) {
	enc, err := r.Hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Line{}, fmt.Errorf("encode histogram: %w", err)
	}
	l := Line{
		V: Version, Type: TypeWindow, Gen: gen, Second: second,
		Sent: r.Sent, OK: r.OK, Errors: r.Errors, Cancelled: r.Cancelled,
		InFlight: r.InFlight, MaxNanos: r.MaxNanos, Hist: string(enc),
		MaxOKNanos: r.MaxOKNanos,
	}
	if r.HistOK != nil {
		ok, err := r.HistOK.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return Line{}, fmt.Errorf("encode histogram: %w", err)
		}
		l.HistOK = string(ok)
	}
	return l, nil
}

// Record decodes a window line's counts and histogram.
func (l Line) Record() (load.Record, error) {
	r := load.Record{
		Sent: l.Sent, OK: l.OK, Errors: map[string]int64{}, Cancelled: l.Cancelled,
		InFlight: l.InFlight, MaxNanos: l.MaxNanos, Hist: load.NewHistogram(),
		MaxOKNanos: l.MaxOKNanos, HistOK: load.NewHistogram(),
	}
	for k, n := range l.Errors {
		r.Errors[k] = n
	}
	if err := decodeInto(r.Hist, l.Hist); err != nil {
		return load.Record{}, err
	}
	if err := decodeInto(r.HistOK, l.HistOK); err != nil {
		return load.Record{}, err
	}
	return r, nil
}

// decodeInto merges an encoded histogram into h; "" is an empty one.
func decodeInto(h *hdrhistogram.Histogram, enc string) error {
	if enc == "" {
		return nil
	}
	d, err := hdrhistogram.Decode([]byte(enc))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if dropped := h.Merge(d); dropped > 0 {
		return fmt.Errorf("histogram: %d values outside 1 µs to one hour", dropped)
	}
	return nil
}

// Encode is the line as written: JSON and a newline.
func (l Line) Encode() ([]byte, error) {
	data, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// ErrVersion is wrapped by Decode for a line of another version.
var ErrVersion = errors.New("wire: unknown version")

// Decode reads one line. A line that is not JSON, or of another
// version, or of no known type, is an error.
func Decode(data []byte) (Line, error) {
	var l Line
	if err := json.Unmarshal(data, &l); err != nil {
		return Line{}, fmt.Errorf("wire: not a window line: %w", err)
	}
	if l.V != Version {
		return Line{}, fmt.Errorf("%w %d (this lab reads %d)", ErrVersion, l.V, Version)
	}
	switch l.Type {
	case TypeStart, TypeWindow, TypeDone, TypeError:
	default:
		return Line{}, fmt.Errorf("wire: unknown line type %q", l.Type)
	}
	if l.Gen < 0 || l.Second < 0 || l.From < 0 {
		return Line{}, fmt.Errorf("wire: generator %d, second %d, from %d: want none negative", l.Gen, l.Second, l.From)
	}
	return l, nil
}
