package load

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The shares of n generators partition the schedule's request numbers,
// each taking every n-th, and the workers of a closed phase add up.
func TestSharesPartitionTheLoad(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7} {
		seen := make([]int, 100)
		for i := range n {
			s := Share{Index: i, Of: n}
			for j := s.mine(0); j < int64(len(seen)); j += int64(s.of()) {
				seen[j]++
			}
		}
		for j, c := range seen {
			if c != 1 {
				t.Fatalf("%d generators: request %d sent %d times, want once", n, j, c)
			}
		}
		for _, w := range []int{0, 1, 5, 9, 1000} {
			sum, lo, hi := 0, w, 0
			for i := range n {
				k := Share{Index: i, Of: n}.workers(w)
				sum, lo, hi = sum+k, min(lo, k), max(hi, k)
			}
			if sum != w || hi-lo > 1 {
				t.Errorf("%d workers over %d generators: sum %d, from %d to %d per generator", w, n, sum, lo, hi)
			}
		}
	}
	if err := (Share{Index: 2, Of: 2}).validate(); err == nil {
		t.Error("share 2 of 2 validated")
	}
}

// Three generators sharing one ramp send what one generator would, each
// about a third of it, at interleaved times.
func TestSharedRampSendsTheWhole(t *testing.T) {
	ts := newTestServer(t, nil)
	phases := []Phase{{Duration: 600 * time.Millisecond, Ramp: true, From: 100, To: 300}}
	want := NewSchedule(phases).Total()
	ts.begin()
	var wg sync.WaitGroup
	sent := make([]int64, 3)
	for i := range sent {
		g, err := New(Config{URL: ts.URL + "/work", Phases: phases, Share: Share{Index: i, Of: 3}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Run(context.Background()); err != nil {
				t.Error(err)
			}
			sent[i] = g.Totals().Sent
		}()
	}
	wg.Wait()
	if got := int64(len(ts.times())); got != want {
		t.Errorf("server got %d requests, want the schedule's %d", got, want)
	}
	for i, n := range sent {
		if n < want/3 || n > want/3+1 {
			t.Errorf("generator %d sent %d, want %d or %d", i, n, want/3, want/3+1)
		}
	}
}

// A generator that takes up the schedule late (From) sends none of what
// came due before From, not even as a burst when it begins, and the
// rest exactly: open phases from their next request due, closed-model
// workers from From.
func TestLateGeneratorSkipsWhatCameDue(t *testing.T) {
	const from = 400 * time.Millisecond
	const ago = 250 * time.Millisecond // the schedule began that long before RunAt
	open := []Phase{
		{Duration: 300 * time.Millisecond, Rate: 100}, // over before from
		{Duration: 300 * time.Millisecond, Rate: 100}, // from falls inside it
	}
	closed := []Phase{{Duration: 600 * time.Millisecond, Workers: 1, WorkerRate: 20}}
	for _, tc := range []struct {
		name   string
		phases []Phase
		want   int64 // requests, or -1 for some
	}{
		{"open", open, NewSchedule(open).Total() - NewSchedule(open).Due(from-time.Nanosecond)},
		{"closed", closed, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			g, err := New(Config{URL: ts.URL + "/work", Phases: tc.phases, From: from})
			if err != nil {
				t.Fatal(err)
			}
			ts.begin()
			if err := g.RunAt(context.Background(), time.Now().Add(-ago)); err != nil {
				t.Fatal(err)
			}
			times := ts.times()
			if len(times) == 0 {
				t.Fatal("nothing sent")
			}
			if first := times[0] + ago; first < from-5*time.Millisecond {
				t.Errorf("first request at %v of the schedule, before from (%v)", first, from)
			}
			if got := int64(len(times)); tc.want >= 0 && got != tc.want {
				t.Errorf("%d requests, want the %d due from %v on", got, tc.want, from)
			}
		})
	}
}
