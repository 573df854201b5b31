#!/usr/bin/env bash
# bench/idle.sh: `make bench-idle`. What observing N idle tasks of the
# built-in app costs the host: lab samples every task's stats each second
# and health-checks it, dockerd and containerd answer. For N = 1, 10, 25
# and 50, on both ways lab reaches tasks (container addresses and ports
# published on 127.0.0.1), it starts a run, waits until every task is
# healthy, and reads the CPU time lab, dockerd and containerd used over a
# window, and lab's resident memory. Writes section 9 of BENCHMARKS.md.
# About 10 minutes.
#
# Knobs (environment): COUNTS (default "1 10 25 50"), WINDOW (seconds
# measured, default 20), OUT (default BENCHMARKS.md at the root), LAB (a
# lab binary instead of building bin/lab with `make build`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
COUNTS=${COUNTS:-1 10 25 50}
WINDOW=${WINDOW:-20}
OUT=${OUT:-$ROOT/BENCHMARKS.md}
WORK=$(mktemp -d /tmp/labidle.XXXXXX)
LAB_PID=
cleanup() {
	[ -n "$LAB_PID" ] && kill -INT "$LAB_PID" 2>/dev/null && wait "$LAB_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-idle: $*" >&2; }

if [ -z "${LAB:-}" ]; then
	log "building bin/lab (make build)"
	make -s build
	LAB=$ROOT/bin/lab
fi
# Docker tests and other benchmarks take this lock: nothing else runs
# containers while the host's cost is measured (taken per row, so that
# they wait minutes at most).
exec 9>/tmp/lab-docker-tests.lock

TICK=$(getconf CLK_TCK)
# cpu_ticks PID...: user + system CPU ticks of the processes, summed.
cpu_ticks() {
	local sum=0 p f
	for p in "$@"; do
		f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
		sum=$((sum + $(echo "$f" | awk '{print $12 + $13}')))
	done
	echo "$sum"
}
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# measure N PATH: one row of the table.
measure() {
	local n=$1 path=$2 log=$WORK/run-$n-$path.log scenario=$WORK/idle-$n.yaml
	cat >"$scenario" <<YAML
name: bench-idle-$n
description: $n idle task(s) of the built-in app, for make bench-idle.
workload:
  builtin: true
service:
  cpu: 256
  memory: 512
  count: $n
load:
  path: /
  phases:
    - {duration: 600s, rate: 1}
YAML
	flock 9
	: >"$log"
	LAB_CONTAINER_NETWORK=$path "$LAB" run "$scenario" --headless --out "$WORK/runs" >"$log" 2>&1 &
	LAB_PID=$!
	local deadline=$((SECONDS + 180))
	until grep -q "phase 1 .* tasks $n/$n" "$log"; do
		if ((SECONDS > deadline)) || ! kill -0 "$LAB_PID" 2>/dev/null; then
			cat "$log" >&2
			log "$n task(s), $path: not all healthy in 180 s"
			exit 1
		fi
		sleep 1
	done
	sleep 5 # past the start's own work
	local docker containerd l0 d0 c0 l1 d1 c1
	docker=$(pidof dockerd) containerd=$(pidof containerd)
	l0=$(cpu_ticks "$LAB_PID") d0=$(cpu_ticks $docker) c0=$(cpu_ticks $containerd)
	sleep "$WINDOW"
	l1=$(cpu_ticks "$LAB_PID") d1=$(cpu_ticks $docker) c1=$(cpu_ticks $containerd)
	local rss
	rss=$(rss_mib "$LAB_PID")
	kill -INT "$LAB_PID"
	wait "$LAB_PID" || true
	LAB_PID=
	flock -u 9
	awk -v n="$n" -v p="$path" -v l="$((l1 - l0))" -v d="$((d1 - d0))" -v c="$((c1 - c0))" -v hz="$TICK" -v w="$WINDOW" -v rss="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		f = 100 / hz / w
		printf "| %d | %s | %.1f%% | %.1f%% | %.1f%% | **%.1f%%** | %d MiB | %s |\n", n, p, l * f, d * f, c * f, (l + d + c) * f, rss, load }' >>"$WORK/rows"
	log "  $(tail -1 "$WORK/rows")"
}

: >"$WORK/rows"
for path in direct published; do
	for n in $COUNTS; do
		log "$n idle task(s), $path"
		measure "$n" "$path"
	done
done

section=$(cat <<MD
## 9. Idle tasks (the cost of observing them)

\`make bench-idle\` (bench/idle.sh), at commit $(git rev-parse --short HEAD)
on $(date -u '+%Y-%m-%d %H:%M UTC'). N tasks of the built-in app (256 CPU,
512 MiB) behind the balancer, 1 req/s of load, every task's stats read
each second and health-checked; once all are healthy, the CPU time of
lab, dockerd and containerd over ${WINDOW} s, as a share of one core, and
lab's resident memory at its end. \`direct\` reaches tasks at their
container addresses, \`published\` on ports published on 127.0.0.1 (Docker
Desktop, OrbStack, colima). The containers' own shims are not counted
(one per container, a few MiB each, idle).

| tasks | path | lab | dockerd | containerd | together | lab's memory | load average |
|---|---|---|---|---|---|---|---|
$(cat "$WORK/rows")
MD
)
source "$ROOT/bench/section.sh"
write_section "$OUT" 9 "$section"
log "wrote section 9 of $OUT"
