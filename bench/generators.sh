#!/usr/bin/env bash
# bench/generators.sh: `make bench-generators`. The same load sent by lab's
# own in-process generator and by generator containers (load.generators),
# against the built-in app's hello world behind lab's balancer, paired and
# alternating. Writes section 10 of BENCHMARKS.md. About 10 minutes, more
# when the Docker lock is busy.
#
# Two figures:
#   - at a rate both can send (RATE, default 4000 req/s, GENS generators,
#     default 4): the achieved rate against the target, and p50 and p99 of
#     the generators against the in-process generator's, median of PAIRS
#     paired runs (default 5);
#   - the ceiling: closed model, WORKERS connections (default 64) sending
#     as fast as the responses come back, in one process or split across
#     the generator containers: what each reaches on this machine, median
#     of CEILING_PAIRS paired runs (default 3).
#
# Each lab run takes the Docker tests' lock (/tmp/lab-docker-tests.lock),
# so that no test's containers share the cores meanwhile; the load average
# before each run is in the report.
#
# Knobs (environment): RATE, GENS, PAIRS, WORKERS, CEILING_PAIRS, SECS
# (seconds of load per run, default 10), OUT (default BENCHMARKS.md at the
# root), LAB (a lab binary instead of building bin/lab with `make build`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RATE=${RATE:-4000}
GENS=${GENS:-4}
PAIRS=${PAIRS:-5}
WORKERS=${WORKERS:-64}
CEILING_PAIRS=${CEILING_PAIRS:-3}
SECS=${SECS:-10}
OUT=${OUT:-$ROOT/BENCHMARKS.md}
LOCK=/tmp/lab-docker-tests.lock
WORK=$(mktemp -d /tmp/labgens.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
log() { echo "bench-generators: $*" >&2; }

for t in docker jq flock; do
	command -v "$t" >/dev/null || { echo "bench-generators: $t is missing" >&2; exit 1; }
done
COMMIT=$(git rev-parse --short HEAD) # what LAB is built from, unless given
if [ -z "${LAB:-}" ]; then
	log "building bin/lab (make build)"
	make -s build
	LAB=$ROOT/bin/lab
fi

# scenario NAME PHASE: a scenario of the built-in app's hello world, one
# task of 2 vCPU (all this machine has: the quota hardly binds).
scenario() {
	cat >"$WORK/$1.yaml" <<YAML
name: bench-$1
description: make bench-generators.
workload:
  builtin: true
service: {cpu: 2048, memory: 4096, count: 1}
load:
  path: /
  phases:
    - $2
YAML
}
scenario rate "{duration: ${SECS}s, rate: $RATE}"
scenario ceiling "{duration: ${SECS}s, workers: $WORKERS}"

# run NAME SCENARIO GENERATORS: one lab run under the lock; a line
# "generators achieved_rps p50 p99 offered_rps load" in $WORK/NAME.rows.
run() {
	local name=$1 sc=$2 n=$3 load code=0
	load=$(cut -d' ' -f1 /proc/loadavg)
	flock "$LOCK" timeout 300 "$LAB" run "$WORK/$sc.yaml" --generators "$n" --headless --json --out "$WORK/runs" \
		>"$WORK/last.json" 2>"$WORK/last.log" || code=$?
	if [ "$code" != 0 ]; then
		cat "$WORK/last.log" >&2
		log "lab run exited $code"
		exit 1
	fi
	jq -r --arg n "$n" --arg load "$load" '.entries[0] |
		"\($n) \(.achieved_rps) \(.latency_ms.p50) \(.latency_ms.p99) \(.offered_rps) \($load)"' \
		"$WORK/last.json" >>"$WORK/$name.rows"
	log "  $name, $n generator(s): $(tail -1 "$WORK/$name.rows")"
}

# median: of the numbers on stdin, one a line.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# col NAME N K: column K of NAME's rows of N generators.
col() { awk -v n="$2" -v k="$3" '$1 == n {print $k}' "$WORK/$1.rows"; }
# ratios NAME K: column K of the generators' runs over the in-process
# run's, pair by pair.
ratios() { paste <(col "$1" "$GENS" "$2") <(col "$1" 1 "$2") | awk '$2 > 0 {print $1 / $2}'; }
# spread: "median (min – max)" of the numbers on stdin, 3 decimals.
spread() { sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f (%.3f – %.3f)", m, v[1], v[NR]}'; }

: >"$WORK/rate.rows"
: >"$WORK/ceiling.rows"
for i in $(seq "$PAIRS"); do
	log "pair $i of $PAIRS at $RATE req/s"
	run rate rate 1
	run rate rate "$GENS"
done
for i in $(seq "$CEILING_PAIRS"); do
	log "ceiling pair $i of $CEILING_PAIRS, $WORKERS workers"
	run ceiling ceiling 1
	run ceiling ceiling "$GENS"
done

achieved() { col rate "$1" 2 | awk -v r="$RATE" '{print $1 / r}' | spread; }
loads() { awk '{print $6}' "$WORK/$1.rows" | spread; }
section=$(cat <<MD
## 10. Load from many generators

\`make bench-generators\` (bench/generators.sh), at commit $COMMIT
on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores. \`lab run --generators N\`
against one task of the built-in app (hello world, 2 vCPU: no quota
binds) behind lab's balancer, ${SECS} s of load per run; 1 generator is
lab's in-process generator, $GENS are containers of lab's image on the
run's network. Paired runs, alternating (1, $GENS, 1, $GENS, ...), each
under the Docker tests' lock; figures are medians with the range.

At ${RATE} req/s, $PAIRS pairs:

| generators | achieved / target | p50 ms | p99 ms |
|---|---|---|---|
| 1 (in-process) | $(achieved 1) | $(col rate 1 3 | spread) | $(col rate 1 4 | spread) |
| $GENS (containers) | $(achieved "$GENS") | $(col rate "$GENS" 3 | spread) | $(col rate "$GENS" 4 | spread) |
| ratio $GENS / 1 | $(ratios rate 2 | spread) | $(ratios rate 3 | spread) | $(ratios rate 4 | spread) |

The ceiling: $WORKERS connections sending as fast as the responses come
back (closed model), $CEILING_PAIRS pairs:

| generators | achieved req/s | p50 ms | p99 ms |
|---|---|---|---|
| 1 (in-process) | $(col ceiling 1 2 | spread) | $(col ceiling 1 3 | spread) | $(col ceiling 1 4 | spread) |
| $GENS (containers) | $(col ceiling "$GENS" 2 | spread) | $(col ceiling "$GENS" 3 | spread) | $(col ceiling "$GENS" 4 | spread) |
| ratio $GENS / 1 | $(ratios ceiling 2 | spread) | $(ratios ceiling 3 | spread) | $(ratios ceiling 4 | spread) |

Load average (1 min) before the runs: $(loads rate) at ${RATE} req/s,
$(loads ceiling) for the ceiling.
MD
)
source "$ROOT/bench/section.sh"
write_section "$OUT" 10 "$section"
log "wrote section 10 of $OUT"
