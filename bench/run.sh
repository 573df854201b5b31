#!/usr/bin/env bash
# bench/run.sh: `make bench`. Measures lab's load generator and balancer
# against their peers (hey, wrk, haproxy) on this machine and writes
# BENCHMARKS.md at the repository root. Every request goes to 127.0.0.1.
# Figures against a peer are the median ratio of RUNS paired runs (lab,
# peer, lab, peer, ...), with the range. About 35 minutes with the
# defaults: 8 for sections 1-3, SOAK for section 4, about 16 for sections
# 5-7 (they run lab itself, so they need Docker; section 7 is
# bench/tui-cost.sh, 5 pairs of a dashboard and a headless run). Section 8 (the capacity
# search) is bench/capacity.sh's, `make bench-capacity`, section 9 (idle
# tasks) bench/idle.sh's, `make bench-idle`; this script keeps them.
#
# Knobs (environment): RUNS (default 5, at least 5), SECS (seconds per run,
# default 5), PORT (first of three consecutive local ports, default 18080),
# SOAK (section 4's duration, default 10m; 2m for a quick check), SECTIONS
# (which sections to run, default "1 2 3 4 5 6 7"; the others keep what
# OUT has), OUT (default BENCHMARKS.md at the root), LAB (a lab binary to
# use instead of building bin/lab with `make build`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
SECS=${SECS:-5}
PORT=${PORT:-18080}
(( RUNS >= 5 )) || { echo "bench: RUNS must be at least 5" >&2; exit 2; }
(( SECS >= 1 && SECS <= 60 )) || { echo "bench: SECS must be 1..60" >&2; exit 2; }
SOAK=${SOAK:-10m}
[[ $SOAK =~ ^[0-9]+[sm]$ ]] || { echo "bench: SOAK must be like 10m or 150s" >&2; exit 2; }
SOAK_S=${SOAK%[sm]}; [[ $SOAK == *m ]] && SOAK_S=$((SOAK_S * 60))
(( SOAK_S >= 120 )) || { echo "bench: SOAK must be at least 2m (RSS is judged after the first minute)" >&2; exit 2; }
SECTIONS=" ${SECTIONS:-1 2 3 4 5 6 7} "
want() { [[ $SECTIONS == *" $1 "* ]]; }
SRV_PORT=$PORT LAB_PORT=$((PORT + 1)) HAP_PORT=$((PORT + 2))
DIRECT=http://127.0.0.1:$SRV_PORT/
VIA_LAB=http://127.0.0.1:$LAB_PORT/
VIA_HAP=http://127.0.0.1:$HAP_PORT/
OUT=${OUT:-$ROOT/BENCHMARKS.md}
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
if want 5 || want 6; then command -v jq >/dev/null || need+=(jq); fi
if want 7; then command -v tmux >/dev/null || need+=(tmux); fi
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

# Each section writes its part of the report to $WORK/md<N>; a section not
# run keeps what OUT has (each section names the commit it was measured
# at), or says it was not run.
source "$ROOT/bench/section.sh"
for n in 1 2 3 4 5 6 7; do
	want "$n" && continue
	section_body "$OUT" "$n" >"$WORK/md$n"
	[ -s "$WORK/md$n" ] || printf '(not run: SECTIONS=%s)\n' "$(echo $SECTIONS)" >"$WORK/md$n"
done

# --- 1. closed model, 32 connections: lab vs hey, lab vs wrk -----------------
if want 1; then
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
read -r rh rhmin rhmax < <(stats <"$WORK/a_r_hey")
read -r rw rwmin rwmax < <(stats <"$WORK/a_r_wrk")
read -r lab1 _ _ < <(stats %.0f <"$WORK/a_lab1")
read -r hey1 _ _ < <(stats %.0f <"$WORK/a_hey")
read -r lab2 _ _ < <(stats %.0f <"$WORK/a_lab2")
read -r wrk2 _ _ < <(stats %.0f <"$WORK/a_wrk")
cat >"$WORK/md1" <<MD
| figure | median ratio (range) | medians, req/s | floor | |
|---|---|---|---|---|
| lab / hey | **${rh}x** ($rhmin – $rhmax) | lab $lab1, hey $hey1 | ≥ 1.2x | $(pass "$rh" ">=" 1.2) |
| lab / wrk | **${rw}x** ($rwmin – $rwmax) | lab $lab2, wrk $wrk2 | ≥ 0.5x | $(pass "$rw" ">=" 0.5) |

Commands (paired, alternating):

    labbench load -url $DIRECT -c 32 -d ${SECS}s
    hey -z ${SECS}s -c 32 $DIRECT
    wrk -t2 -c32 -d${SECS}s $DIRECT
MD
fi

# --- 2. open model: achieved rate vs target ----------------------------------
if want 2; then
: >"$WORK/b_rows"
for rate in 1000 5000 10000; do
	log "open model at $rate req/s, $RUNS runs of $T"
	: >"$WORK/b_err"; : >"$WORK/b_ach"; : >"$WORK/b_p99"; : >"$WORK/b_load"; : >"$WORK/b_sent"
	for i in $(seq 1 "$RUNS"); do
		cut -d' ' -f1 /proc/loadavg >>"$WORK/b_load"
		line=$(lab_open "$DIRECT" "$rate")
		echo "$line" | kv achieved >>"$WORK/b_ach"
		echo "$line" | kv err_pct | awk '{print ($1 < 0) ? -$1 : $1}' >>"$WORK/b_err"
		echo "$line" | kv p99_ms >>"$WORK/b_p99"
		echo "$line" | kv sent >>"$WORK/b_sent"
		log "  run $i: $(echo "$line" | kv achieved) req/s (sent $(echo "$line" | kv sent)), error $(echo "$line" | kv err_pct)%, load average $(tail -1 "$WORK/b_load")"
	done
	read -r am amin amax < <(stats %.1f <"$WORK/b_ach")
	read -r em emin emax < <(stats %.4f <"$WORK/b_err")
	read -r pm _ _ < <(stats <"$WORK/b_p99")
	read -r lm lmin lmax < <(stats %.2f <"$WORK/b_load")
	read -r sm smin smax < <(stats %.1f <"$WORK/b_sent")
	echo "| $rate | $am ($amin – $amax) | $em% ($emin – $emax) | $sm ($smin – $smax) | $pm | $lm ($lmin – $lmax) | $(pass "$emax" "<=" 1) |" >>"$WORK/b_rows"
done
cat >"$WORK/md2" <<MD
Achieved rate: responses completed during the whole seconds of the phase
(lab's one-second windows) over the time those windows span. Error is
|achieved − target| / target. $RUNS runs per rate; the floor holds when
every run is within 1%. Sent is the same for the requests sent: the
generator keeps to the schedule when it is at the target, and then an
achieved rate below it is the server's (or the machine's) doing. The
load average (1 min, /proc/loadavg) before each run tells whether
something else used the $(nproc) cores meanwhile.

| target req/s | achieved req/s, median (range) | error, median (range) | sent req/s, median (range) | p99 ms (median) | load average (range) | floor: within 1% |
|---|---|---|---|---|---|---|
$(cat "$WORK/b_rows")

Command: \`labbench open -url $DIRECT -rate RATE -d ${SECS}s\` (\`-v\` prints
every window).

Latency measured from the intended send time (no coordinated omission) is
shown by a test, not here: TestOpenModelLatencyFromIntendedTime in
lab/load/generator_test.go stalls the server for 1 s and checks that the
p99 of the one-second window in which the delayed requests complete is
about 1 s, both when the generator is held back (one connection) and when
it keeps sending on time (\`go test ./lab/load/ -run IntendedTime -v\`).
MD
fi

# --- 3. balancer: wrk through lab (1 core) vs haproxy (1 thread) vs direct ----
if want 3; then
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
cat >"$WORK/md3" <<MD
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
MD
fi

# --- 4. memory: the generator at 2k req/s for SOAK ----------------------------
if want 4; then
log "memory: lab's generator at 2000 req/s for $SOAK, RSS every 10 s"
soak_rc=0
timeout $((SOAK_S + 60)) "$BIN" soak -url "$DIRECT" -rate 2000 -d "$SOAK" >"$WORK/soak.out" 2>"$WORK/soak.err" || soak_rc=$?
[ ! -s "$WORK/soak.err" ] || log "  $(cat "$WORK/soak.err")"
sline=$(grep '^soak ' "$WORK/soak.out" || echo "soak pass=false")
log "  $sline"
sv() { echo "$sline" | kv "$1"; }
s_ok=$( [ "$soak_rc" = 0 ] && [ "$(sv pass)" = true ] && echo "**pass**" || echo "**FAIL**")
cat >"$WORK/md4" <<MD
\`labbench soak\` runs lab's generator as a run does (open model, one
window closed and kept per second) at 2000 req/s for $SOAK against the
hello server, and reads its own VmRSS (/proc/self/status) every 10 s.
Floor: after the first minute the RSS stays flat (range at most 10 MB) and
it never exceeds 150 MB (VmHWM). Recording grows with seconds, not with
requests.

| figure | value | floor | |
|---|---|---|---|
| RSS after the first minute, min – max | $(sv rss_min_mb) – $(sv rss_max_mb) MB (range $(sv rss_range_mb) MB, $(sv samples) samples) | range ≤ 10 MB | |
| peak RSS (VmHWM) | $(sv peak_mb) MB | < 150 MB | |
| requests, errors | $(sv requests), $(sv errors) | no error | |
| achieved req/s, p99 | $(sv achieved), $(sv p99_ms) ms | (reported) | |
| verdict | | | $s_ok |

RSS every minute (MB): $(awk 'NR > 1 && $1 ~ /m0s$/ {printf "%s%s %s", sep, $1, $2; sep = ", "}' "$WORK/soak.out")

Command: \`labbench soak -url $DIRECT -rate 2000 -d $SOAK\` (it prints the
table every 10 s and exits non-zero past a floor). \`make soak\` runs it
for 30 minutes (bench/soak.sh).
MD
fi

# --- lab itself (sections 5-7) -------------------------------------------------
if want 5 || want 6 || want 7; then
	command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "bench: sections 5-7 need Docker" >&2; exit 1; }
	if [ -z "${LAB:-}" ]; then
		log "building bin/lab (make build)"
		make -s build
		LAB=$ROOT/bin/lab
	fi
	RUNS_DIR=$WORK/runs
	mkdir -p "$RUNS_DIR"
	# newest_run: the results directory of the last run.
	newest_run() { ls -td "$RUNS_DIR"/*/ | head -1; }
fi

# jq: seconds since the epoch of an event's RFC 3339 time, fraction kept.
JQ_TS='def ts: (.time | capture("^(?<s>[^.]+)(?<f>\\.[0-9]+)?Z$")) as $m | ($m.s + "Z" | fromdateiso8601) + (($m.f // "0") | tonumber);'

# --- 5. start and stop -----------------------------------------------------------
if want 5; then
log "start and stop: preparing the workload image"
"$LAB" run bench/scenarios/start-1.yaml --headless --out "$RUNS_DIR" >"$WORK/start-warm.log" 2>&1 \
	|| { cat "$WORK/start-warm.log" >&2; exit 1; }
: >"$WORK/e_rows"
for n in 1 5; do
	: >"$WORK/e_first"; : >"$WORK/e_down"; : >"$WORK/e_all_$n"
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s.%N)
		timeout 120 "$LAB" run "bench/scenarios/start-$n.yaml" --headless --out "$RUNS_DIR" >"$WORK/start.log" 2>&1 \
			|| { cat "$WORK/start.log" >&2; exit 1; }
		t1=$(date +%s.%N)
		dir=$(newest_run)
		last=$(tail -1 "$dir/timeseries.csv" | cut -d, -f1) # the last tick, seconds after the load started
		# From t0: the entry starts, the first and last task starts, the last
		# task healthy, the load starts (first request), and the entry is
		# done (every task removed); then the teardown from the last tick.
		read -r es ts1 tsn hn ph ed < <(jq -rs "$JQ_TS"'[
			(map(select(.type == "entry_started"))[0] | ts),
			(map(select(.type == "task_started")) | map(ts) | min),
			(map(select(.type == "task_started")) | map(ts) | max),
			(map(select(.type == "health_changed" and .healthy)) | map(ts) | max),
			(map(select(.type == "phase_started" and .phase == 1))[0] | ts),
			(map(select(.type == "entry_done")) | last | ts)] | @tsv' "$dir/events.jsonl")
		awk -v t0="$t0" -v es="$es" -v ts1="$ts1" -v tsn="$tsn" -v hn="$hn" -v ph="$ph" -v ed="$ed" -v last="$last" -v t1="$t1" 'BEGIN {
			printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", ph - t0, es - t0, ts1 - es, tsn - es, hn - tsn, ph - hn, ed - (ph + last), t1 - ed }' >>"$WORK/e_all_$n"
		tail -1 "$WORK/e_all_$n" | awk '{print $1}' >>"$WORK/e_first"
		tail -1 "$WORK/e_all_$n" | awk '{print $7}' >>"$WORK/e_down"
		log "  $n task(s), run $i: first request after $(tail -1 "$WORK/e_first") s, teardown $(tail -1 "$WORK/e_down") s"
	done
	read -r fm fmin fmax < <(stats %.2f <"$WORK/e_first")
	read -r dm dmin dmax < <(stats %.2f <"$WORK/e_down")
	# Medians of the steps (columns 2-6 and 8).
	steps=$(for c in 2 3 4 5 6 8; do awk -v c=$c '{print $c}' "$WORK/e_all_$n" | stats %.2f | cut -d' ' -f1; done | tr '\n' ' ')
	read -r s_es s_ts1 s_tsn s_h s_ph s_exit <<<"$steps"
	floor=$([ "$n" = 1 ] && echo 2 || echo 4)
	echo "| $n | **$fm s** ($fmin – $fmax) | < $floor s | $(pass "$fmax" "<" "$floor") | $s_es | $s_ts1 / $s_tsn | $s_h | $s_ph | $dm s ($dmin – $dmax) | $(if [ "$n" = 5 ]; then pass "$dmax" "<" 3; else echo "(reported)"; fi) | $s_exit |" >>"$WORK/e_rows"
done
cat >"$WORK/md5" <<MD
\`lab run\` of a scenario with 1 and then 5 tasks of the built-in workload,
image cached, health check every 1 s, healthy after 1 check (the
fastest lab accepts), tasks started at once, then 2 s of load; $RUNS runs each. Times are
medians (range), in seconds, from the shell's clock before \`lab run\` and
the times in the run's events.jsonl: the first request is sent when the
first load phase starts (phase_started); the teardown runs from the run's
last tick (the last row of timeseries.csv) to entry_done, which comes once
every task is stopped and removed. Floors: under 2 s (1 task) and 4 s (5
tasks) to the first request, a teardown of 5 tasks under 3 s, every run.

| tasks | to first request | floor | | lab run → entry started | entry started → first / last task started | last task started → last healthy | healthy → load | teardown | floor | entry done → exit |
|---|---|---|---|---|---|---|---|---|---|---|
$(cat "$WORK/e_rows")

Commands:

    lab run bench/scenarios/start-1.yaml --headless   # and start-5.yaml
MD
fi

# --- 6. envelope fidelity ----------------------------------------------------------
if want 6; then
: >"$WORK/f_rows"
for sc in cpu-vertical bench/scenarios/envelope.yaml; do
	log "envelope: lab run $sc --duration 30s (load average $(cut -d' ' -f1 /proc/loadavg))"
	out=$WORK/env-$(basename "$sc" .yaml).json
	timeout 600 "$LAB" run "$sc" --duration 30s --headless --json --out "$RUNS_DIR" >"$out" 2>"$WORK/env.log" \
		|| { cat "$WORK/env.log" >&2; exit 1; }
done
env_dir=$(newest_run)
# The steady state of each entry, from its timeseries: the mean of ok_rps
# and cpu_pct over the seconds of load after the first 5 (the workers'
# first requests all complete late; summary.json's achieved_rps counts
# those seconds too, and leaves out what completes after the load).
awk -F, 'NR > 1 && $3 != "tail" && $1 > 5 { ok[$2] += $5; cpu[$2] += $14; n[$2]++ }
	END { for (e in n) printf "%s %.3f %.1f\n", e, ok[e] / n[e], cpu[e] / n[e] }' "$env_dir/timeseries.csv" | sort -n >"$WORK/env-steady"
env_load=$(cut -d' ' -f1-3 /proc/loadavg)
work_ms=$(awk '/CPU_WORK:/ {sub(/ms.*/, "", $2); print $2}' bench/scenarios/envelope.yaml)
# Expected: cpu / CPU_WORK (vCPU seconds per second over CPU seconds per request).
jq -r '.entries[] | "\(.label) \(.cpu) \(.achieved_rps) \(.latency_ms.p50)"' "$WORK/env-envelope.json" | paste -d' ' - "$WORK/env-steady" |
	while read -r label cpu all p50 _ rps util; do
		awk -v l="$label" -v c="$cpu" -v r="$rps" -v a="$all" -v w="$work_ms" -v u="$util" -v p="$p50" 'BEGIN {
			e = c / 1024 / (w / 1000); d = 100 * (r - e) / e
			printf "| %s | %.2f | **%.3f** | %.3f | %.3f | %+.1f%% | %.1f%% | %.0f | %s |\n", l, c / 1024, r, a, e, d, u, p, (d < 0 ? -d : d) <= 7 ? "**pass**" : "**FAIL**" }'
	done >>"$WORK/f_rows"
builtin=$(jq -r '[.entries[] | "\(.label): \(.achieved_rps * 100 | round / 100) req/s"] | join(", ")' "$WORK/env-cpu-vertical.json")
cat >"$WORK/md6" <<MD
The built-in CPU work (\`/cpu_intensive\` burns CPU_WORK of CPU time per
request, on its thread's CPU clock) at 0.25, 0.5 and 1 vCPU. The built-in
scenario offers 5 req/s (5 workers at 1 req/s each, as the article's
\`hey -c 5 -q 1\`), which only the 0.25 vCPU size cannot serve:

    lab run cpu-vertical --duration 30s --headless --json
    $builtin

so the larger sizes do not show their capacity. bench/scenarios/envelope.yaml
saturates every size (CPU_WORK ${work_ms}ms, 8 workers sending as fast as
they are answered): its achieved rate should be proportional to the cpu,
cpu / CPU_WORK. Floor: within 7%. The rate compared is the steady
state, from timeseries.csv: the mean ok req/s over the seconds of load
after the first 5 (summary.json's achieved_rps, also shown, is over
every second of load, the slow first ones included, and leaves out the
requests that complete after the load). The task's CPU (lab's sampling, in percent of its envelope, over
the same seconds) tells whether a size got its envelope: one whose
requests queue (p50 far above CPU_WORK) while its CPU stays well under
100% was short of host CPU, taken by other work on the $(nproc) cores (load
average after the runs: $env_load).

| size | vCPU | steady req/s | achieved_rps (summary) | proportional: vCPU / ${work_ms} ms | deviation | task CPU, avg | p50 ms | floor: within 7% |
|---|---|---|---|---|---|---|---|---|
$(cat "$WORK/f_rows")

Command: \`lab run bench/scenarios/envelope.yaml --duration 30s --headless --json\`
MD
fi

# --- 7. TUI cost ---------------------------------------------------------------------
if want 7; then
log "TUI cost: bench/tui-cost.sh, 5 pairs of dashboard and headless runs"
LAB=$LAB "$ROOT/bench/tui-cost.sh" | sed '0,/^## 7\. /d' >"$WORK/md7"
fi

# --- report ----------------------------------------------------------------------
# A section run now names the commit, so that it still does when a later
# run with SECTIONS keeps it.
for n in 1 2 3 4 5 6 7; do
	want "$n" || continue
	{ printf 'Measured at commit %s, %s.\n\n' "$(git rev-parse --short HEAD)" "$(date -u '+%Y-%m-%d %H:%M UTC')"; cat "$WORK/md$n"; } >"$WORK/md$n.new"
	mv "$WORK/md$n.new" "$WORK/md$n"
done
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
# Sections 8 and up belong to their own scripts (bench/capacity.sh,
# bench/idle.sh, ...): kept as they are.
kept8=$(kept_sections "$OUT")
tmp=$OUT.tmp
cat >"$tmp" <<MD
# Benchmarks

Written by \`make bench\` (bench/run.sh); do not edit by hand, re-run it.
Figures against a peer are the **median ratio of $RUNS paired runs** (lab,
peer, lab, peer, ...) of ${SECS} s each, with the range (min – max) in
brackets; figures without a peer are absolute, on this machine. The
floors are the targets lab sets itself; each table names its own.

## Machine

| | |
|---|---|
| cores (nproc) | $(nproc) |
| CPU | ${CPU_MODEL:-unknown} |
| kernel | $(uname -srm) |
| Go | $(go version | awk '{print $3}') |
| Docker | $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?') |
| commit | $(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (with uncommitted changes)') (the latest run; each section names its own) |
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| load average at the end (1, 5, 15 min) | $(cut -d' ' -f1-3 /proc/loadavg) |
| peers | $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), hey $(dpkg-query -W -f '${Version}' hey 2>/dev/null || echo '?'), $(haproxy -v | head -1 | awk '{print $1, $3}') |

The backend is \`labbench server\` (bench/cmd/labbench), a Go hello server
(6-byte body) on 127.0.0.1:$SRV_PORT, not pinned. \`labbench\` is built from
this repository: \`load\`, \`open\` and \`soak\` run lab's generator (lab/load)
as a run does, recording every latency in its HDR histograms and closing a
window per second; \`balancer\` runs lab's balancer (lab/balancer) with
GOMAXPROCS=1 and one healthy target. Sections 5 to 7 run lab itself
(\`make build\`) on the local Docker.

## 1. Load generator, closed model (32 connections)

$(cat "$WORK/md1")

## 2. Load generator, open model (achieved rate)

$(cat "$WORK/md2")

## 3. Balancer (lab on one core vs haproxy with one thread)

$(cat "$WORK/md3")

## 4. Memory

$(cat "$WORK/md4")

## 5. Start and stop

$(cat "$WORK/md5")

## 6. Envelope fidelity

$(cat "$WORK/md6")

## 7. TUI cost

$(cat "$WORK/md7")
${kept8:+
$kept8}
MD
mv "$tmp" "$OUT"
log "wrote $OUT"
