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
