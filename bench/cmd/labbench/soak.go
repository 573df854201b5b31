package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ecslab/lab/lab/load"
)

// soak runs lab's generator for a long time at a constant rate, as a run
// does (a window closed every second and kept as a row, the way a run
// writes its timeseries), and samples its own resident memory (VmRSS) every
// -every. It prints one line per sample, then the range after -warmup and a
// key=value line for bench/run.sh, and fails when the RSS after the warm-up
// moves by more than -tolerance-mb, or ever exceeds -max-mb: lab's
// recording must grow with seconds, not with requests.
func soak(args []string) error {
	fs := flag.NewFlagSet("soak", flag.ExitOnError)
	u := fs.String("url", "http://127.0.0.1:18080/", "URL (127.0.0.1 only)")
	rate := fs.Float64("rate", 2000, "arrival rate, req/s (open model)")
	d := fs.Duration("d", 10*time.Minute, "duration")
	every := fs.Duration("every", 10*time.Second, "RSS sampling period (whole seconds)")
	warmup := fs.Duration("warmup", time.Minute, "samples before this are not held to the tolerance (at most d/2)")
	tolerance := fs.Float64("tolerance-mb", 10, "largest RSS range (max - min) allowed after the warm-up, MB")
	maxMB := fs.Float64("max-mb", 150, "largest RSS allowed at any sample, MB")
	fs.Parse(args)
	if err := loopbackURL(*u); err != nil {
		return err
	}
	if *rate <= 0 || *d < 2*time.Second || *every < time.Second || *every%time.Second != 0 {
		return errors.New("want -rate > 0, -d >= 2s and -every a whole number of seconds")
	}
	*warmup = min(*warmup, *d/2)
	g, err := load.New(load.Config{URL: *u, Phases: []load.Phase{{Duration: *d, Rate: *rate}}, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *d+30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- g.Run(ctx) }()

	// The rows a run keeps: one per second.
	type row struct {
		t                  float64
		sent, ok, errs     int
		p50, p90, p99, max float64
	}
	var rows []row
	var samples []sample
	fmt.Printf("%8s %8s %8s %8s %10s %10s %10s %8s\n", "t", "rss_MB", "heap_MB", "gorout", "sent/s", "ok/s", "p99_ms", "errors")
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n, per := 0, int(*every/time.Second)
	var runErr error
	for running := true; running; {
		select {
		case <-tick.C:
		case runErr = <-done:
			running = false
		}
		w := g.Window()
		n++
		rows = append(rows, row{time.Since(start).Seconds(), w.Sent, w.OK, w.ErrorCount(),
			w.Latency.P50, w.Latency.P90, w.Latency.P99, w.Latency.Max})
		if n%per != 0 || !running {
			continue
		}
		rss, err := vmKB("VmRSS")
		if err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		last := rows[len(rows)-per:]
		var sent, ok, errs int
		var p99 float64
		for _, r := range last {
			sent, ok, errs, p99 = sent+r.sent, ok+r.ok, errs+r.errs, max(p99, r.p99)
		}
		el := time.Duration(n) * time.Second
		samples = append(samples, sample{el, float64(rss) / 1024})
		fmt.Printf("%8s %8.1f %8.1f %8d %10.1f %10.1f %10.3f %8d\n", el, float64(rss)/1024,
			float64(ms.HeapAlloc)/(1<<20), runtime.NumGoroutine(), float64(sent)/float64(per), float64(ok)/float64(per), p99, errs)
	}
	if runErr != nil {
		return runErr
	}
	t := g.Totals()
	hwm, err := vmKB("VmHWM")
	if err != nil {
		return err
	}
	lo, hi, first, k := rssAfter(samples, *warmup)
	if k < 2 {
		return fmt.Errorf("%d samples after the warm-up of %v: run longer", k, *warmup)
	}
	peak := float64(hwm) / 1024
	elapsed := time.Since(start).Seconds()
	fmt.Printf("after %v: RSS min %.1f MB, max %.1f MB, range %.1f MB (tolerance %.0f MB); peak (VmHWM) %.1f MB (limit %.0f MB); %d requests, %d errors, %.1f req/s, p99 %.3f ms; %d rows kept\n",
		*warmup, lo, hi, hi-lo, *tolerance, peak, *maxMB, t.Requests, t.ErrorCount(), float64(t.OK)/elapsed, t.Latency.P99, len(rows))
	pass := hi-lo <= *tolerance && peak <= *maxMB && t.ErrorCount() == 0
	fmt.Printf("soak rate=%.0f d=%s samples=%d rss_first_mb=%.1f rss_min_mb=%.1f rss_max_mb=%.1f rss_range_mb=%.1f peak_mb=%.1f requests=%d errors=%d achieved=%.1f p99_ms=%.3f pass=%t\n",
		*rate, *d, k, first, lo, hi, hi-lo, peak, t.Requests, t.ErrorCount(), float64(t.OK)/elapsed, t.Latency.P99, pass)
	switch {
	case hi-lo > *tolerance:
		return fmt.Errorf("RSS moved by %.1f MB after %v, more than %.0f MB", hi-lo, *warmup, *tolerance)
	case peak > *maxMB:
		return fmt.Errorf("RSS peaked at %.1f MB, over %.0f MB", peak, *maxMB)
	case t.ErrorCount() > 0:
		return fmt.Errorf("%d errors: %v", t.ErrorCount(), t.Errors)
	}
	return nil
}

// rssAfter is the range of the samples taken after warmup, the first of
// them, and how many there are.
func rssAfter(samples []sample, warmup time.Duration) (lo, hi, first float64, k int) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range samples {
		if s.at < warmup {
			continue
		}
		if k == 0 {
			first = s.mb
		}
		k++
		lo, hi = min(lo, s.mb), max(hi, s.mb)
	}
	return lo, hi, first, k
}

// sample is the RSS at one time of a soak.
type sample struct {
	at time.Duration
	mb float64
}

// vmKB reads a field of /proc/self/status, in kB.
func vmKB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/status: no %s", field)
}
