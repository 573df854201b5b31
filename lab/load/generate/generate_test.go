package generate

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ecslab/lab/lab/load"
	"github.com/ecslab/lab/lab/load/wire"
)

// Two generators sharing one load write start, a window per second and
// done; merged, their windows hold the whole schedule.
func TestGeneratorsWriteWindowsThatMerge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	phases := []load.Phase{{Duration: 1200 * time.Millisecond, Rate: 100}}
	start := time.Now().Add(100 * time.Millisecond)
	outs := make([]bytes.Buffer, 2)
	var wg sync.WaitGroup
	for i := range outs {
		cfg := Config{Gen: i, Of: 2, Start: start, Phases: phases, Timeout: 5 * time.Second,
			Mix: []load.Request{{URL: srv.URL + "/", Weight: 3}, {URL: srv.URL + "/fail", Weight: 1}}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := Run(context.Background(), cfg, &outs[i]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	m := wire.NewMerger(2)
	for i := range outs {
		var types []string
		sc := bufio.NewScanner(&outs[i])
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l, err := wire.Decode(sc.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			types = append(types, l.Type)
			if l.Type == wire.TypeWindow {
				if _, err := m.Add(l); err != nil {
					t.Fatal(err)
				}
			}
			if l.Type == wire.TypeDone && l.Seconds != len(types)-2 {
				t.Errorf("generator %d: done says %d windows, wrote %d", i, l.Seconds, len(types)-2)
			}
		}
		if len(types) < 4 || types[0] != wire.TypeStart || types[len(types)-1] != wire.TypeDone {
			t.Errorf("generator %d wrote %v; want start, windows, done", i, types)
		}
	}
	want := load.NewSchedule(phases).Total()
	tot := m.Totals()
	if tot.Sent != want || tot.Requests != want || tot.Errors["503"] != want/4 {
		t.Errorf("merged: sent %d, requests %d, 503s %d; want %d, %d, %d", tot.Sent, tot.Requests, tot.Errors["503"], want, want, want/4)
	}
	if tot.Latency.Count != want {
		t.Errorf("latency over %d responses, want %d", tot.Latency.Count, want)
	}
}

// A generator that cannot run says why on its output.
func TestGeneratorReportsBadConfig(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), Config{Gen: 0, Of: 1}, &out)
	l, derr := wire.Decode(bytes.TrimSpace(out.Bytes()))
	if err == nil || derr != nil || l.Type != wire.TypeError || l.Error == "" {
		t.Errorf("Run = %v, wrote %q; want an error line", err, out.String())
	}
}

// A generator that begins 1.3 s after the common start (a Fargate task
// that came up late) sends nothing of the seconds it missed, not even as
// a burst: it says in its start line that it begins at second 2 and how
// late it was, and its windows begin there.
func TestLateGeneratorBeginsAtTheNextSecond(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	phases := []load.Phase{{Duration: 2500 * time.Millisecond, Rate: 40}}
	start := time.Now().Add(-1300 * time.Millisecond)
	var out bytes.Buffer
	cfg := Config{Gen: 0, Of: 1, Start: start, Phases: phases, Mix: []load.Request{{URL: srv.URL + "/", Weight: 1}}}
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	lines := decodeAll(t, out.Bytes())
	if s := lines[0]; s.Type != wire.TypeStart || s.From != 2 || time.Duration(s.LateNanos) < 1300*time.Millisecond || !s.Start.Equal(start.UTC()) {
		t.Fatalf("start line %+v: want the common start, from 2, late by 1.3 s or more", s)
	}
	var sent int64
	for _, l := range lines[1 : len(lines)-1] {
		if l.Type != wire.TypeWindow || l.Second < 2 {
			t.Errorf("line %+v: want windows of seconds 2 on", l)
		}
		sent += l.Sent
	}
	sched := load.NewSchedule(phases)
	if want := sched.Total() - sched.Due(2*time.Second-time.Nanosecond); sent != want {
		t.Errorf("sent %d, want the %d due from second 2 on", sent, want)
	}
	if done := lines[len(lines)-1]; done.Type != wire.TypeDone || done.Seconds != len(lines)-2 {
		t.Errorf("last line %+v: want done after %d windows", done, len(lines)-2)
	}
}

// On Fargate the start line carries what the task metadata endpoint says
// of the clock (ClockDrift, in the shape AWS documents); without an
// endpoint, or without ClockDrift, it carries nothing.
func TestStartLineCarriesTheHostClock(t *testing.T) {
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/synced/task":
			w.Write([]byte(`{"Cluster":"lab","TaskARN":"arn:aws:ecs:us-east-1:111122223333:task/lab/0123456789abcdef","ClockDrift":{"ClockErrorBound":0.5532,"ReferenceTimestamp":"2026-12-07T03:00:00Z","ClockSynchronizationStatus":"SYNCHRONIZED"}}`))
		case "/silent/task":
			w.Write([]byte(`{"Cluster":"lab"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer meta.Close()
	for _, tc := range []struct {
		path string
		want *wire.Clock
	}{
		{"/synced", &wire.Clock{ErrorBoundMS: 0.5532, Status: "SYNCHRONIZED"}},
		{"/silent", nil},
		{"/missing", nil},
	} {
		t.Setenv(EnvMetadata, meta.URL+tc.path)
		var out bytes.Buffer
		if err := Run(context.Background(), Config{Gen: 0, Of: 1, Phases: []load.Phase{{Duration: 100 * time.Millisecond, Workers: 1, WorkerRate: 1}},
			Mix: []load.Request{{URL: meta.URL + "/", Weight: 1}}}, &out); err != nil {
			t.Fatal(err)
		}
		got := decodeAll(t, out.Bytes())[0].Clock
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: start line's clock %+v, want %+v", tc.path, got, tc.want)
		}
	}
}

func decodeAll(t *testing.T, data []byte) []wire.Line {
	t.Helper()
	var lines []wire.Line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l, err := wire.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if len(lines) < 2 {
		t.Fatalf("%d lines, want start ... done", len(lines))
	}
	return lines
}
