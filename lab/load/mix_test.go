package load

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestMixOrderIsSmooth(t *testing.T) {
	m := newMix([]int{3, 1})
	var got []int
	for range 8 {
		got = append(got, m.pick())
	}
	if want := []int{0, 0, 1, 0, 0, 0, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("3:1 picks %v, want %v", got, want)
	}
	if one := newMix([]int{5}); one.pick() != 0 || one.pick() != 0 {
		t.Error("a single kind is always picked")
	}
}

// A weighted mix sends each kind in its share, with its method, headers
// and body, through both senders.
func TestMixSendsEachKindInItsShare(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{{"raw sender", nil}, {"net/http sender", &http.Client{}}} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen[r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Kind")+" "+string(body)]++
				mu.Unlock()
			}))
			defer srv.Close()
			g, err := New(Config{
				Client: tc.client,
				Mix: []Request{
					{URL: srv.URL + "/read", Weight: 3, Header: http.Header{"X-Kind": {"r"}}},
					{Method: http.MethodPost, URL: srv.URL + "/write", Body: "hello"},
				},
				Phases: []Phase{{Duration: time.Second, Rate: 200}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen["GET /read r "] != 150 || seen["POST /write  hello"] != 50 || len(seen) != 2 {
				t.Errorf("requests by kind: %v, want 150 GET /read and 50 POST /write with its body", seen)
			}
		})
	}
}

func TestMixMustGoToOneHost(t *testing.T) {
	_, err := New(Config{
		Mix:    []Request{{URL: "http://127.0.0.1:1/a"}, {URL: "http://127.0.0.2:1/b"}},
		Phases: []Phase{{Duration: time.Second, Rate: 1}},
	})
	if err == nil {
		t.Error("a mix over two hosts was accepted")
	}
}
