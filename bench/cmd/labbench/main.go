// Command labbench is the driver of `make bench` (see bench/run.sh): a
// trivial hello server, lab's load generator in the closed and open models,
// and lab's balancer on one core, each as a subcommand so that the script
// can pair them with the peers (hey, wrk, haproxy) on the same machine.
//
//	labbench server   -addr 127.0.0.1:PORT [-procs N]
//	labbench load     -url URL -c 32 -d 5s
//	labbench open     -url URL -rate 1000 -d 5s [-v] [-cpuprofile FILE]
//	labbench balancer -addr 127.0.0.1:PORT -backend URL [-procs 1]
//	labbench soak     -url URL -rate 2000 -d 10m (see soak.go)
//
// load and open print one line of key=value pairs for the script to parse.
// Every address must be on 127.0.0.1: the benchmarks never leave the host.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/ecslab/lab/lab/balancer"
	"github.com/ecslab/lab/lab/load"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "server":
		err = server(args)
	case "load":
		err = closed(args)
	case "open":
		err = open(args)
	case "balancer":
		err = serveBalancer(args)
	case "soak":
		err = soak(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labbench server|load|open|balancer|soak [flags] (-h for the flags of each)")
	os.Exit(2)
}

// loopback refuses an address or URL host that is not 127.0.0.1.
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if host != "127.0.0.1" {
		return fmt.Errorf("%s: only 127.0.0.1 is allowed", hostport)
	}
	return nil
}

func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: want an http URL", raw)
	}
	return loopback(u.Host)
}

// untilSignal blocks until SIGINT or SIGTERM.
func untilSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
}

func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18080", "listen address (127.0.0.1 only)")
	procs := fs.Int("procs", 0, "GOMAXPROCS (0: Go's default)")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hello := []byte("hello\n")
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Write(hello)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	untilSignal()
	return srv.Close()
}

// generate runs one phase at url and prints the totals. Windows are closed
// once per second, as lab's runner does; over the whole seconds of the
// phase, phase_ok and phase_sent are the responses completed and the
// requests sent, phase_s the time those windows span, and sec_min and
// sec_max the lowest and highest count sent in one of them.
func generate(u string, ph load.Phase, extra func(ws windows) string) error {
	if err := loopbackURL(u); err != nil {
		return err
	}
	g, err := load.New(load.Config{URL: u, Phases: []load.Phase{ph}, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	whole := int(ph.Duration / time.Second)
	done := make(chan struct{})
	out := make(chan windows, 1)
	start := time.Now()
	go func() {
		ws := windows{secMin: math.MaxInt}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		n := 0
		add := func(now time.Time) {
			w := g.Window()
			if verbose {
				fmt.Fprintf(os.Stderr, "window %d: sent %d ok %d errors %d in flight %d p50 %.3fms p99 %.3fms max %.3fms\n",
					n+1, w.Sent, w.OK, w.ErrorCount(), w.InFlight, w.Latency.P50, w.Latency.P99, w.Latency.Max)
			}
			if n < whole {
				ws.ok += int64(w.OK)
				ws.sent += int64(w.Sent)
				ws.secMin, ws.secMax = min(ws.secMin, w.Sent), max(ws.secMax, w.Sent)
				ws.span = now.Sub(start)
			}
			n++
		}
		for {
			select {
			case <-done:
				// Run may return just before the last whole second's
				// tick: that window then ends when Run did.
				if n < whole {
					add(time.Now())
				}
				out <- ws
				return
			case now := <-tick.C:
				add(now)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), ph.Duration+30*time.Second)
	defer cancel()
	err = g.Run(ctx)
	elapsed := time.Since(start)
	close(done)
	ws := <-out
	if err != nil {
		return err
	}
	if ws.secMin == math.MaxInt {
		ws.secMin = 0
	}
	t := g.Totals()
	fmt.Printf("requests=%d ok=%d errors=%d elapsed=%.3f rps=%.1f p50_ms=%.4f p99_ms=%.4f phase_ok=%d phase_sent=%d phase_s=%.4f sec_min=%d sec_max=%d%s\n",
		t.Requests, t.OK, t.ErrorCount(), elapsed.Seconds(), float64(t.OK)/elapsed.Seconds(),
		t.Latency.P50, t.Latency.P99, ws.ok, ws.sent, ws.span.Seconds(), ws.secMin, ws.secMax, extra(ws))
	if t.ErrorCount() > 0 {
		return fmt.Errorf("%d errors: %v", t.ErrorCount(), t.Errors)
	}
	return nil
}

// verbose prints every window on stderr (-v).
var verbose bool

// windows sums the one-second windows that fall within a phase.
type windows struct {
	ok, sent       int64
	span           time.Duration
	secMin, secMax int
}

func closed(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	u := fs.String("url", "http://127.0.0.1:18080/", "URL (127.0.0.1 only)")
	c := fs.Int("c", 32, "workers (connections)")
	d := fs.Duration("d", 5*time.Second, "duration")
	fs.Parse(args)
	return generate(*u, load.Phase{Duration: *d, Workers: *c}, func(windows) string { return "" })
}

func open(args []string) error {
	fs := flag.NewFlagSet("open", flag.ExitOnError)
	u := fs.String("url", "http://127.0.0.1:18080/", "URL (127.0.0.1 only)")
	rate := fs.Float64("rate", 1000, "target arrival rate, req/s")
	d := fs.Duration("d", 5*time.Second, "duration")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	fs.BoolVar(&verbose, "v", false, "print every one-second window on stderr")
	fs.Parse(args)
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *rate <= 0 {
		return fmt.Errorf("rate %v must be positive", *rate)
	}
	return generate(*u, load.Phase{Duration: *d, Rate: *rate}, func(ws windows) string {
		// The achieved rate: responses completed during the whole seconds
		// of the phase, over the time they span (about d).
		if ws.span <= 0 {
			return fmt.Sprintf(" target=%.0f achieved=0 err_pct=-100", *rate)
		}
		// sent is the same for the requests sent: below the target, the
		// generator fell behind; at the target with achieved below, the
		// server (or the machine) did not answer in time.
		got := float64(ws.ok) / ws.span.Seconds()
		sent := float64(ws.sent) / ws.span.Seconds()
		return fmt.Sprintf(" target=%.0f achieved=%.1f err_pct=%.4f sent=%.1f", *rate, got, 100*(got-*rate)/(*rate), sent)
	})
}

func serveBalancer(args []string) error {
	fs := flag.NewFlagSet("balancer", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:18081", "listen address (127.0.0.1 only)")
	backend := fs.String("backend", "http://127.0.0.1:18080", "backend URL (127.0.0.1 only)")
	procs := fs.Int("procs", 1, "GOMAXPROCS")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	if err := loopbackURL(*backend); err != nil {
		return err
	}
	u, _ := url.Parse(*backend)
	runtime.GOMAXPROCS(*procs)
	b := balancer.New(balancer.RoundRobin, 10*time.Second)
	if err := b.Start(*addr); err != nil {
		return err
	}
	b.Register("backend", u.Host)
	b.SetHealthy("backend", true)
	fmt.Println("balancer", b.URL(), "->", u.Host, "GOMAXPROCS", runtime.GOMAXPROCS(0))
	untilSignal()
	return b.Close()
}
