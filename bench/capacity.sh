#!/usr/bin/env bash
# bench/capacity.sh: `make bench-capacity`. Runs lab capacity as a user
# would, on the built-in app and on an image of one's own, and writes
# section 8 of BENCHMARKS.md (replacing the section; bench/run.sh keeps it
# when it rewrites the rest). About 20 minutes on 2 cores.
#
# Each lab command takes the Docker tests' lock (/tmp/lab-docker-tests.lock),
# so that no test's containers share the CPU with the search; the load
# average before and after each one is in the report, as other work on the
# host changes what a task gets of its quota.
#
# Knobs (environment): REPEATS (the searches of one size for the spread,
# default 5), OUT (default BENCHMARKS.md at the root), LAB (a lab binary
# instead of building bin/lab with `make build`).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REPEATS=${REPEATS:-5}
OUT=${OUT:-$ROOT/BENCHMARKS.md}
LOCK=/tmp/lab-docker-tests.lock
WORK=$(mktemp -d /tmp/labcap.XXXXXX)
IMAGE=lab-bench/own-image:1
trap 'docker image rm -f "$IMAGE" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
log() { echo "bench-capacity: $*" >&2; }

for t in docker jq flock; do
	command -v "$t" >/dev/null || { echo "bench-capacity: $t is missing" >&2; exit 1; }
done
if [ -z "${LAB:-}" ]; then
	log "building bin/lab (make build)"
	make -s build
	LAB=$ROOT/bin/lab
fi

load1() { cut -d' ' -f1 /proc/loadavg; }

# capacity NAME ARGS...: lab capacity ARGS under the lock; capacity.json
# in $WORK/NAME.json, the output for people in $WORK/NAME.log, and
# "seconds load-before load-after exit" in $WORK/NAME.run.
capacity() {
	local name=$1 t0 t1 l0 code=0
	shift
	l0=$(load1)
	t0=$(date +%s.%N)
	flock "$LOCK" timeout 1800 "$LAB" capacity "$@" --headless --json --out "$WORK/runs" >"$WORK/$name.json" 2>"$WORK/$name.log" || code=$?
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v l0="$l0" -v l1="$(load1)" -v c="$code" 'BEGIN {printf "%.0f %s %s %d\n", b - a, l0, l1, c}' >"$WORK/$name.run"
	log "  $name: exit $code, $(cut -d' ' -f1 "$WORK/$name.run") s, load $l0 -> $(load1)"
	if [ ! -s "$WORK/$name.json" ]; then
		cat "$WORK/$name.log" >&2
		exit 1
	fi
}

run_field() { cut -d' ' -f"$2" "$WORK/$1.run"; }

# sizes_table NAME WORK_MS: a row per size: the rate found, what the quota
# allows (vCPU / CPU work), the difference, the bracket, steps, what broke.
sizes_table() {
	local name=$1 work=$2
	echo "| size | req/s per task | expected (vCPU / ${work} ms) | difference | bracket | p50 / p99 there | CPU there | steps | search | limited by |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	jq -r --argjson work "$work" '.sizes[] |
		(.cpu / 1024 / ($work / 1000)) as $want |
		"| \(.label) | **\(.sustainable_rps)** | \($want * 1000 | round / 1000) | \(((.sustainable_rps / $want - 1) * 1000 | round) / 10)% | [\(.bracket[0]), \(if .bracket[1] == 0 then "-" else .bracket[1] end)] | \(.latency_ms.p50 | round) / \(.latency_ms.p99 | round) ms | \(.cpu_utilization.avg | round)% | \(.steps | length) | \(.end), \(.seconds) s | \(.limited_by): \(.broke // "-") |"' "$WORK/$name.json"
}

# steps_list NAME: every step of every size, one line each.
steps_list() {
	jq -r '.sizes[] | .label as $l | .steps[] |
		"    \($l) step \(.n) (\(.kind)) \(.rate) req/s: \(if .ok then "held" else "broke (\(.reason))" end), p99 \(.p99_ms | round) ms, CPU \(.cpu_utilization.avg | round)%, \(.seconds) s\(if .stopped_early then " (decided early)" else "" end)"' "$WORK/$1.json"
}

# --- 1. the built-in app at 80 ms, three sizes, with a peak ----------------------
log "1. lab capacity cpu-vertical --peak 20"
capacity cpu80 cpu-vertical --peak 20

# --- 2. the built-in app at 20 ms: four times the rates, with a peak --------------
log "2. lab capacity bench/scenarios/capacity-20ms.yaml --peak 30"
capacity cpu20 bench/scenarios/capacity-20ms.yaml --peak 30

# --- 3. a memory leak --------------------------------------------------------------
log "3. lab capacity memory-leak"
capacity leak memory-leak

# --- 4. an image of one's own ------------------------------------------------------
log "4. an own image ($IMAGE), within --max-duration 3m"
arch=$(docker version --format '{{.Server.Arch}}')
mkdir -p "$WORK/image"
cp "$ROOT/bin/lab-workload-linux-$arch" "$WORK/image/app"
cat >"$WORK/image/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY app /app
EXPOSE 8080
ENTRYPOINT ["/app"]
DOCKERFILE
docker build -q -t "$IMAGE" "$WORK/image" >/dev/null
capacity image bench/scenarios/capacity-image.yaml --max-duration 3m

# --- 5. repeatability --------------------------------------------------------------
log "5. $REPEATS searches of 512/1024 at 80 ms"
: >"$WORK/repeat.values"
for i in $(seq 1 "$REPEATS"); do
	capacity "repeat$i" cpu-vertical --sizes 512/1024
	jq -r '.sizes[0].sustainable_rps' "$WORK/repeat$i.json" >>"$WORK/repeat.values"
done
read -r rmed rmin rmax < <(sort -g "$WORK/repeat.values" | awk '{v[NR] = $1} END {
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%s %s %s\n", m, v[1], v[NR] }')
spread=$(awk -v a="$rmin" -v b="$rmax" -v m="$rmed" 'BEGIN {printf "%.1f", 100 * (b - a) / m}')
repeat_rows=$(for i in $(seq 1 "$REPEATS"); do
	jq -r --arg i "$i" --arg secs "$(run_field "repeat$i" 1)" --arg l "$(run_field "repeat$i" 2)" \
		'.sizes[0] | "| \($i) | \(.sustainable_rps) | [\(.bracket[0]), \(if .bracket[1] == 0 then "-" else .bracket[1] end)] | \(.steps | length) | \($secs) s | \($l) |"' "$WORK/repeat$i.json"
done)

# --- report ------------------------------------------------------------------------
fleet() { jq -r '.fleet | "\(.sentence) \(.why | (.[:1] | ascii_upcase) + .[1:])."' "$WORK/$1.json"; }
section=$(
	cat <<MD
## 8. Capacity search (lab capacity)

\`bench/capacity.sh\` (\`make bench-capacity\`), $(date -u '+%Y-%m-%d %H:%M UTC'), on the
machine above: lab capacity as a user runs it, headless, each command
alone on Docker (the Docker tests' lock). A task of the built-in app spends
CPU_WORK of CPU time per request, so one task of a size sustains at most
vCPU / CPU_WORK requests per second: the expected figures. The load
average (1 min) before and after each command says how much else ran on
the 2 cores meanwhile; a task that does not get its quota serves less.

### The built-in app at CPU_WORK 80 ms, three sizes

    lab capacity cpu-vertical --peak 20

$(run_field cpu80 1) s for the three sizes and the fleet (budget: under 5 minutes); load average $(run_field cpu80 2) before, $(run_field cpu80 3) after; exit $(run_field cpu80 4).
SLO: $(jq -r '.slo | join(", ")' "$WORK/cpu80.json") ($(jq -r .slo_from "$WORK/cpu80.json")).

$(sizes_table cpu80 80)

$(fleet cpu80)

Every step:

$(steps_list cpu80)

### The built-in app at CPU_WORK 20 ms

    lab capacity bench/scenarios/capacity-20ms.yaml --peak 30

$(run_field cpu20 1) s; load average $(run_field cpu20 2) before, $(run_field cpu20 3) after; exit $(run_field cpu20 4).
At 1 vCPU (50 req/s) the task needs a whole core of the host's two, which
lab's generator and balancer share with it.

$(sizes_table cpu20 20)

$(fleet cpu20)

### A memory leak

    lab capacity memory-leak

$(run_field leak 1) s; load average $(run_field leak 2) before, $(run_field leak 3) after; exit $(run_field leak 4).
Each request keeps 16 MiB: a task is killed for memory after a number of
requests, whatever the rate, so capacity is limited by OOM.

| size | req/s per task | limited by | what broke | steps |
|---|---|---|---|---|
$(jq -r '.sizes[] | "| \(.label) | \(.sustainable_rps) | \(.limited_by) | \(.broke // "-") | \(.steps | length) |"' "$WORK/leak.json")

### An image of one's own

    docker build -t $IMAGE .   # lab's workload program alone, on port 8080
    lab capacity bench/scenarios/capacity-image.yaml --max-duration 3m

$(run_field image 1) s within a budget of 180 s; load average $(run_field image 2) before, $(run_field image 3) after; exit $(run_field image 4).

$(sizes_table image 40)

### Repeatability: $REPEATS searches of one size

    lab capacity cpu-vertical --sizes 512/1024   # $REPEATS times

| run | req/s per task | bracket | steps | took | load average before |
|---|---|---|---|---|---|
$repeat_rows

Median **$rmed** req/s (expected 6.25), range $rmin – $rmax: a spread of
**$spread%** of the median.
MD
)
source "$ROOT/bench/section.sh"
write_section "$OUT" 8 "$section"
log "wrote section 8 of $OUT"
