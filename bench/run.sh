#!/usr/bin/env bash
# bench/run.sh: `make bench`. Measures lab's load generator and balancer
# against their peers (hey, wrk, haproxy) on this machine and writes
# BENCHMARKS.md at the repository root. Every request goes to 127.0.0.1.
# Figures against a peer are the median ratio of RUNS paired runs (lab,
# peer, lab, peer, ...), with the range. About 8 minutes with the defaults.
#
# Knobs (environment): RUNS (default 5, at least 5), SECS (seconds per run,
# default 5), PORT (first of three consecutive local ports, default 18080).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
SECS=${SECS:-5}
PORT=${PORT:-18080}
(( RUNS >= 5 )) || { echo "bench: RUNS must be at least 5" >&2; exit 2; }
(( SECS >= 1 && SECS <= 60 )) || { echo "bench: SECS must be 1..60" >&2; exit 2; }
SRV_PORT=$PORT LAB_PORT=$((PORT + 1)) HAP_PORT=$((PORT + 2))
DIRECT=http://127.0.0.1:$SRV_PORT/
VIA_LAB=http://127.0.0.1:$LAB_PORT/
VIA_HAP=http://127.0.0.1:$HAP_PORT/
OUT=$ROOT/BENCHMARKS.md
WORK=$(mktemp -d /tmp/labbench.XXXXXX)
BIN=$WORK/labbench
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# --- peers -----------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v hey >/dev/null || need+=(hey)
command -v haproxy >/dev/null || need+=(haproxy)
if ((${#need[@]})); then
	log "installing ${need[*]} from Debian's packages"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	for p in "${need[@]}"; do
		apt-cache show "$p" >/dev/null 2>&1 || { $SUDO apt-get update -qq || true; break; }
	done
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
for t in wrk hey haproxy taskset; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }
done

# --- build and start ---------------------------------------------------------
log "building labbench"
go build -trimpath -o "$BIN" ./bench/cmd/labbench

for p in $SRV_PORT $LAB_PORT $HAP_PORT; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		echo "bench: port $p is taken on 127.0.0.1; set PORT to another base" >&2
		exit 1
	fi
done

# start NAME PORT CMD...: run CMD in the background and wait (at most 5 s)
# until it accepts connections on 127.0.0.1:PORT.
start() {
	local name=$1 port=$2 i
	shift 2
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	for i in $(seq 1 50); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "bench: $name did not start:" >&2
	cat "$WORK/$name.log" >&2
	exit 1
}

# The hello server is the backend of every figure. It is not pinned: on 2
# cores it and the client share both. The balancers are pinned to the last
# core (taskset), so that "one core" is strict for both of them.
LAST_CPU=$(($(nproc) - 1))
start server "$SRV_PORT" "$BIN" server -addr "127.0.0.1:$SRV_PORT"
start lab-balancer "$LAB_PORT" taskset -c "$LAST_CPU" "$BIN" balancer -addr "127.0.0.1:$LAB_PORT" -backend "http://127.0.0.1:$SRV_PORT" -procs 1
LAB_PID=${PIDS[-1]}
cat >"$WORK/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:$HAP_PORT
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:$SRV_PORT
CFG
start haproxy "$HAP_PORT" taskset -c "$LAST_CPU" haproxy -f "$WORK/haproxy.cfg" -db
HAP_PID=${PIDS[-1]}

# --- measuring helpers -------------------------------------------------------
T=${SECS}s
# Every client run is bounded by its own duration and by timeout.
TO=$((SECS + 30))
lab_load() { timeout $TO "$BIN" load -url "$1" -c 32 -d "$T"; }
lab_open() { timeout $TO "$BIN" open -url "$1" -rate "$2" -d "$T"; }
run_hey() { timeout $TO hey -z "$T" -c 32 "$1"; }
run_wrk() { timeout $TO wrk -t2 -c32 -d"$T" "$1"; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; } # value of key=value on stdin
hey_rps() { awk '/Requests\/sec/ {print $2}'; }
wrk_rps() { awk '/^Requests\/sec/ {print $2}'; }
wrk_errors() { awk '/Non-2xx|Socket errors/ {print}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", a / b}'; }
# stats [FORMAT]: numbers one a line on stdin -> "median min max", each
# printed with FORMAT (default %.3f).
stats() {
	sort -g | awk -v f="${1:-%.3f}" '{v[NR] = $1} END {
		if (NR == 0) { print "nan nan nan"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf f " " f " " f "\n", m, v[1], v[NR] }'
}
# cpu_ticks PID: utime+stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
pass() { awk -v v="$1" -v op="$2" -v f="$3" 'BEGIN {
	ok = (op == ">=") ? v >= f : (op == "<") ? v < f : (op == "<=") ? v <= f : 0
	print ok ? "**pass**" : "**FAIL**" }'; }

warmup() { timeout 10 wrk -t2 -c32 -d1s "$1" >/dev/null; }
warmup "$DIRECT"; warmup "$VIA_LAB"; warmup "$VIA_HAP"

# --- (a) closed model, 32 connections: lab vs hey, lab vs wrk --------------
log "closed model: lab vs hey, $RUNS pairs of $T"
: >"$WORK/a_hey"; : >"$WORK/a_lab1"; : >"$WORK/a_r_hey"
for i in $(seq 1 "$RUNS"); do
	l=$(lab_load "$DIRECT" | kv rps)
	h=$(run_hey "$DIRECT" | hey_rps)
	echo "$l" >>"$WORK/a_lab1"; echo "$h" >>"$WORK/a_hey"; div "$l" "$h" >>"$WORK/a_r_hey"; echo >>"$WORK/a_r_hey"
	log "  pair $i: lab $l hey $h"
done
log "closed model: lab vs wrk, $RUNS pairs of $T"
: >"$WORK/a_wrk"; : >"$WORK/a_lab2"; : >"$WORK/a_r_wrk"
for i in $(seq 1 "$RUNS"); do
	l=$(lab_load "$DIRECT" | kv rps)
	w=$(run_wrk "$DIRECT" | wrk_rps)
	echo "$l" >>"$WORK/a_lab2"; echo "$w" >>"$WORK/a_wrk"; div "$l" "$w" >>"$WORK/a_r_wrk"; echo >>"$WORK/a_r_wrk"
	log "  pair $i: lab $l wrk $w"
done

# --- (b) open model: achieved rate vs target ---------------------------------
: >"$WORK/b_rows"
for rate in 1000 5000 10000; do
	log "open model at $rate req/s, $RUNS runs of $T"
	: >"$WORK/b_err"; : >"$WORK/b_ach"; : >"$WORK/b_p99"
	for i in $(seq 1 "$RUNS"); do
		line=$(lab_open "$DIRECT" "$rate")
		echo "$line" | kv achieved >>"$WORK/b_ach"
		echo "$line" | kv err_pct | awk '{print ($1 < 0) ? -$1 : $1}' >>"$WORK/b_err"
		echo "$line" | kv p99_ms >>"$WORK/b_p99"
		log "  run $i: $(echo "$line" | kv achieved) req/s, error $(echo "$line" | kv err_pct)%"
	done
	read -r am amin amax < <(stats %.1f <"$WORK/b_ach")
	read -r em emin emax < <(stats %.4f <"$WORK/b_err")
	read -r pm _ _ < <(stats <"$WORK/b_p99")
	echo "| $rate | $am ($amin – $amax) | $em% ($emin – $emax) | $pm | $(pass "$emax" "<=" 1) |" >>"$WORK/b_rows"
done

# --- (c) balancer: wrk through lab (1 core) vs haproxy (1 thread) vs direct ---
log "balancer: wrk via lab, via haproxy, direct; $RUNS triples of $T"
: >"$WORK/c_lab"; : >"$WORK/c_hap"; : >"$WORK/c_dir"; : >"$WORK/c_r_lh"; : >"$WORK/c_r_hd"; : >"$WORK/c_r_ld"; : >"$WORK/c_cpu"
for i in $(seq 1 "$RUNS"); do
	c0=$(cpu_ticks "$LAB_PID")
	out=$(run_wrk "$VIA_LAB")
	c1=$(cpu_ticks "$LAB_PID")
	l=$(echo "$out" | wrk_rps)
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	e=$(echo "$out" | wrk_errors)
	[ -z "$e" ] || log "  lab balancer errors: $e"
	awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.4f\n", t / hz / (n / 1000)}' >>"$WORK/c_cpu"
	h=$(run_wrk "$VIA_HAP" | wrk_rps)
	d=$(run_wrk "$DIRECT" | wrk_rps)
	echo "$l" >>"$WORK/c_lab"; echo "$h" >>"$WORK/c_hap"; echo "$d" >>"$WORK/c_dir"
	{ div "$l" "$h"; echo; } >>"$WORK/c_r_lh"
	{ div "$h" "$d"; echo; } >>"$WORK/c_r_hd"
	{ div "$l" "$d"; echo; } >>"$WORK/c_r_ld"
	log "  triple $i: lab $l haproxy $h direct $d"
done
log "balancer: p50 at 1000 req/s (lab's open model), $RUNS pairs of $T"
: >"$WORK/c_add"; : >"$WORK/c_p50l"; : >"$WORK/c_p50d"; : >"$WORK/c_addh"
for i in $(seq 1 "$RUNS"); do
	pl=$(lab_open "$VIA_LAB" 1000 | kv p50_ms)
	pd=$(lab_open "$DIRECT" 1000 | kv p50_ms)
	ph=$(lab_open "$VIA_HAP" 1000 | kv p50_ms)
	echo "$pl" >>"$WORK/c_p50l"; echo "$pd" >>"$WORK/c_p50d"
	awk -v a="$pl" -v b="$pd" 'BEGIN {printf "%.1f\n", (a - b) * 1000}' >>"$WORK/c_add"
	awk -v a="$ph" -v b="$pd" 'BEGIN {printf "%.1f\n", (a - b) * 1000}' >>"$WORK/c_addh"
	log "  run $i: p50 via lab $pl ms, direct $pd ms, via haproxy $ph ms"
done

# --- report ----------------------------------------------------------------------
read -r rh rhmin rhmax < <(stats <"$WORK/a_r_hey")
read -r rw rwmin rwmax < <(stats <"$WORK/a_r_wrk")
read -r lab1 _ _ < <(stats %.0f <"$WORK/a_lab1")
read -r hey1 _ _ < <(stats %.0f <"$WORK/a_hey")
read -r lab2 _ _ < <(stats %.0f <"$WORK/a_lab2")
read -r wrk2 _ _ < <(stats %.0f <"$WORK/a_wrk")
read -r rlh rlhmin rlhmax < <(stats <"$WORK/c_r_lh")
read -r rhd rhdmin rhdmax < <(stats <"$WORK/c_r_hd")
read -r rld rldmin rldmax < <(stats <"$WORK/c_r_ld")
read -r clab _ _ < <(stats %.0f <"$WORK/c_lab")
read -r chap _ _ < <(stats %.0f <"$WORK/c_hap")
read -r cdir _ _ < <(stats %.0f <"$WORK/c_dir")
read -r cpu cpumin cpumax < <(stats %.4f <"$WORK/c_cpu")
read -r add addmin addmax < <(stats %.0f <"$WORK/c_add")
read -r addh addhmin addhmax < <(stats %.0f <"$WORK/c_addh")
read -r p50l _ _ < <(stats <"$WORK/c_p50l")
read -r p50d _ _ < <(stats <"$WORK/c_p50d")

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
tmp=$OUT.tmp
cat >"$tmp" <<MD
# Benchmarks

Written by \`make bench\` (bench/run.sh); do not edit by hand, re-run it.
Figures against a peer are the **median ratio of $RUNS paired runs** (lab,
peer, lab, peer, ...) of ${SECS} s each, with the range (min – max) in
brackets; figures without a peer are absolute, on this machine. The
floors are those of issue 9 ("Performance").

## Machine

| | |
|---|---|
| cores (nproc) | $(nproc) |
| CPU | ${CPU_MODEL:-unknown} |
| kernel | $(uname -srm) |
| Go | $(go version | awk '{print $3}') |
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| peers | $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null || echo '?'), $(haproxy -v | head -1 | awk '{print $1, $3}') |

The backend is \`labbench server\` (bench/cmd/labbench), a Go hello server
(6-byte body) on 127.0.0.1:$SRV_PORT, not pinned. \`labbench\` is built from
this repository: \`load\` and \`open\` run lab's generator (lab/load) as a run
does, recording every latency in its HDR histograms and closing a window
per second; \`balancer\` runs lab's balancer (lab/local) with GOMAXPROCS=1
and one healthy target.

## 1. Load generator, closed model (32 connections)

| figure | median ratio (range) | medians, req/s | floor | |
|---|---|---|---|---|
| lab / hey | **${rh}x** ($rhmin – $rhmax) | lab $lab1, hey $hey1 | ≥ 1.2x | $(pass "$rh" ">=" 1.2) |
| lab / wrk | **${rw}x** ($rwmin – $rwmax) | lab $lab2, wrk $wrk2 | ≥ 0.5x | $(pass "$rw" ">=" 0.5) |

Commands (paired, alternating):

    labbench load -url $DIRECT -c 32 -d ${SECS}s
    hey -z ${SECS}s -c 32 $DIRECT
    wrk -t2 -c32 -d${SECS}s $DIRECT

## 2. Load generator, open model (achieved rate)

Achieved rate: responses completed during the whole seconds of the phase
(lab's one-second windows) over the time those windows span. Error is
|achieved − target| / target. $RUNS runs per rate; the floor holds when
every run is within 1%.

| target req/s | achieved req/s, median (range) | error, median (range) | p99 ms (median) | floor: within 1% |
|---|---|---|---|---|
$(cat "$WORK/b_rows")

Command: \`labbench open -url $DIRECT -rate RATE -d ${SECS}s\`

Latency measured from the intended send time (no coordinated omission) is
shown by a test, not here: see lab/load's tests.

## 3. Balancer (lab on one core vs haproxy with one thread)

The same client (wrk, 2 threads, 32 connections) through lab's balancer
(GOMAXPROCS=1, pinned with \`taskset -c $LAST_CPU\`), through haproxy
2 (\`nbthread 1\`, pinned the same way, config below) and direct to the
backend; $RUNS triples (lab, haproxy, direct).

| figure | median ratio (range) | floor | |
|---|---|---|---|
| lab / haproxy | **${rlh}x** ($rlhmin – $rlhmax) | ≥ 0.5x | $(pass "$rlh" ">=" 0.5) |
| haproxy / direct | ${rhd}x ($rhdmin – $rhdmax) | (reference) | |
| lab / direct | ${rld}x ($rldmin – $rldmax) | (reference) | |
| medians, req/s | lab $clab, haproxy $chap, direct $cdir | | |
| lab's CPU per 1k requests | $cpu s ($cpumin – $cpumax) | (reported) | |
| added p50 over direct at 1k req/s, lab | **$add µs** ($addmin – $addmax) | < 100 µs | $(pass "$add" "<" 100) |
| added p50 over direct at 1k req/s, haproxy | $addh µs ($addhmin – $addhmax) | (reference) | |

Median p50 at 1k req/s: through lab's balancer $p50l ms, direct $p50d ms.
The CPU per 1k requests is utime+stime of the balancer's process
(/proc/PID/stat) over a wrk run, divided by wrk's request count.

Commands:

    taskset -c $LAST_CPU labbench balancer -addr 127.0.0.1:$LAB_PORT -backend http://127.0.0.1:$SRV_PORT -procs 1
    taskset -c $LAST_CPU haproxy -f haproxy.cfg -db
    wrk -t2 -c32 -d${SECS}s $VIA_LAB      # and $VIA_HAP, $DIRECT
    labbench open -url $VIA_LAB -rate 1000 -d ${SECS}s   # and $DIRECT, $VIA_HAP

haproxy.cfg:

$(sed 's/^/    /' "$WORK/haproxy.cfg")

## Dashboard CPU (measured by hand)

lab run cpu-vertical --duration 60s --size 256/512 in tmux at 120x40 (dashboard, 5 req/s): lab's process used 0.59 s of CPU over 40 s of load = 1.5% of one core (utime+stime from /proc/PID/stat; floor: under 5%).
MD
mv "$tmp" "$OUT"
log "wrote $OUT"
