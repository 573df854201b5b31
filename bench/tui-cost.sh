#!/usr/bin/env bash
# bench/tui-cost.sh: what the dashboard costs. PAIRS pairs of runs of the
# same scenario, one with the dashboard (lab in a tmux window of 120x40, a
# real pseudo-terminal) and one headless, alternating; for each run, lab's
# own CPU (utime+stime of its process, /proc/PID/stat) over the same
# window of the load. The dashboard's cost is the median of the PAIRS
# differences (dashboard - headless), in percent of one core.
#
# It prints the markdown of BENCHMARKS.md's section 7 on stdout (progress
# on stderr); bench/run.sh runs it. With --update FILE it replaces section
# 7 of FILE (BENCHMARKS.md) instead, keeping the other sections.
#
# Needs Docker and tmux. On a shared machine run it under the Docker
# tests' lock: flock /tmp/lab-docker-tests.lock bench/tui-cost.sh
#
# Knobs (environment): PAIRS (default 5, at least 5), LAB (a lab binary;
# default: make build, bin/lab), DURATION (seconds of load per run,
# default 40), SKIP (seconds of load before the window, default 5), WINDOW
# (seconds measured, default 30).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PAIRS=${PAIRS:-5}
DURATION=${DURATION:-40}
SKIP=${SKIP:-5}
WINDOW=${WINDOW:-30}
UPDATE=
if [ "${1:-}" = --update ]; then
	UPDATE=${2:?--update needs the file to update}
fi
(( PAIRS >= 5 )) || { echo "tui-cost: PAIRS must be at least 5" >&2; exit 2; }
(( SKIP + WINDOW < DURATION )) || { echo "tui-cost: SKIP + WINDOW must be under DURATION" >&2; exit 2; }
for t in tmux docker; do
	command -v "$t" >/dev/null || { echo "tui-cost: $t is missing" >&2; exit 1; }
done
if [ -z "${LAB:-}" ]; then
	make -s build >&2
	LAB=$ROOT/bin/lab
fi
# The commit lab was built from, as it says itself.
COMMIT=$("$LAB" version | sed -n 's/^commit: *//p')

WORK=$(mktemp -d /tmp/labtui.XXXXXX)
TMUX_SOCK=labtui-$$
lab_pid=
cleanup() {
	# lab cleans up on SIGINT (the dashboard takes Ctrl-C as a key, and a
	# killed tmux window would send it a hang-up instead).
	if [ -n "$lab_pid" ] && kill -INT "$lab_pid" 2>/dev/null; then
		for _ in $(seq 1 150); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
	fi
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "tui-cost: $*" >&2; }
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() {
	sort -g | awk '{v[NR] = $1} END { if (NR == 0) { print "nan"; exit }
		printf "%.2f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f – %.2f\n", lo, hi}'; }

ARGS=(run cpu-vertical --duration "${DURATION}s" --size 256/512)

# measure MODE N: one run (MODE tui or headless), lab's CPU over the
# window in percent of one core on stdout.
measure() {
	local mode=$1 n=$2 out=$WORK/runs-$1-$2 d= c0 c1 w0 w1
	mkdir -p "$out"
	if [ "$mode" = tui ]; then
		tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 40 "exec $LAB ${ARGS[*]} --out $out"
		lab_pid=$(tmux -L "$TMUX_SOCK" display-message -p '#{pane_pid}')
	else
		"$LAB" "${ARGS[@]}" --headless --out "$out" >"$WORK/headless.log" 2>&1 &
		lab_pid=$!
	fi
	for _ in $(seq 1 1200); do
		d=$(ls -d "$out"/*/ 2>/dev/null | head -1 || true)
		[ -n "$d" ] && grep -q '"phase_started"' "$d/events.jsonl" 2>/dev/null && break
		kill -0 "$lab_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '"phase_started"' "$d/events.jsonl" 2>/dev/null || { log "the $mode run did not start its load"; exit 1; }
	sleep "$SKIP"
	c0=$(cpu_ticks "$lab_pid"); w0=$(date +%s.%N)
	sleep "$WINDOW"
	c1=$(cpu_ticks "$lab_pid"); w1=$(date +%s.%N)
	for _ in $(seq 1 1200); do grep -q '"entry_done"' "$d/events.jsonl" && break; sleep 0.1; done
	if [ "$mode" = tui ]; then
		# The dashboard shows the summary at the end ("r run again") and
		# waits for q; a q before that asks whether to stop the run.
		for _ in $(seq 1 600); do
			tmux -L "$TMUX_SOCK" capture-pane -p 2>/dev/null | grep -q 'run again' && break
			sleep 0.1
		done
		tmux -L "$TMUX_SOCK" send-keys q
		for _ in $(seq 1 100); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$lab_pid" 2>/dev/null; then
			# Still writing what ran, or asking: SIGINT ends it cleanly.
			kill -INT "$lab_pid" 2>/dev/null || true
			for _ in $(seq 1 300); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.1; done
		fi
		tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	else
		# 3: thresholds failed, as cpu-vertical's do at 0.25 vCPU.
		local rc=0
		wait "$lab_pid" || rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$WORK/headless.log" >&2; log "the headless run failed (exit $rc)"; exit 1; }
	fi
	kill -0 "$lab_pid" 2>/dev/null && { log "lab ($mode) did not exit"; exit 1; }
	lab_pid=
	awk -v t=$((c1 - c0)) -v hz="$HZ" -v a="$w0" -v b="$w1" 'BEGIN {printf "%.2f\n", 100 * t / hz / (b - a)}'
}

: >"$WORK/tui"; : >"$WORK/headless"; : >"$WORK/diff"; : >"$WORK/load"
for i in $(seq 1 "$PAIRS"); do
	cut -d' ' -f1 /proc/loadavg >>"$WORK/load"
	t=$(measure tui "$i")
	h=$(measure headless "$i")
	echo "$t" >>"$WORK/tui"; echo "$h" >>"$WORK/headless"
	awk -v a="$t" -v b="$h" 'BEGIN {printf "%.2f\n", a - b}' >>"$WORK/diff"
	log "pair $i: dashboard $t%, headless $h% of one core (load average $(tail -1 "$WORK/load"))"
done
cost=$(median <"$WORK/diff")
md=$(cat <<MD
## 7. TUI cost

What the dashboard costs: $PAIRS pairs of \`lab ${ARGS[*]}\` (5 req/s, one
task), alternating a run with the dashboard (in a tmux window of 120x40,
a real pseudo-terminal) and the same run with \`--headless\`. For each run,
lab's own process, utime+stime from /proc/PID/stat, over ${WINDOW} s from
${SKIP} s after the load started; the cost is the median of the $PAIRS
differences. Measured at commit $COMMIT, $(date -u '+%Y-%m-%d %H:%M UTC'), on
a shared $(nproc)-core machine: load average (1 min) before the pairs
$(median <"$WORK/load") (range $(range <"$WORK/load")). Script:
\`bench/tui-cost.sh\` (section 7 of \`make bench\`).

| figure | median | range | floor | |
|---|---|---|---|---|
| **dashboard cost** (dashboard − headless) | **${cost}% of one core** | $(range <"$WORK/diff") | < 5% | $(awk -v v="$cost" 'BEGIN {print (v < 5) ? "**pass**" : "**FAIL**"}') |
| lab's CPU with the dashboard | $(median <"$WORK/tui")% | $(range <"$WORK/tui") | | |
| lab's CPU headless | $(median <"$WORK/headless")% | $(range <"$WORK/headless") | | |

Pairs (dashboard, headless, difference, in % of one core):
$(paste -d' ' "$WORK/tui" "$WORK/headless" "$WORK/diff" | awk '{printf "%s%s / %s / %s", sep, $1, $2, $3; sep = "; "} END {print ""}')
MD
)
if [ -z "$UPDATE" ]; then
	echo "$md"
	exit 0
fi
# Replace section 7 (up to the next section or the end) of $UPDATE.
printf '%s\n' "$md" >"$WORK/md7"
awk -v md="$WORK/md7" '
	/^## 7\. / { while ((getline l < md) > 0) print l; print ""; skip = 1; next }
	/^## / { skip = 0 }
	!skip' "$UPDATE" >"$WORK/updated"
grep -q '^## 7\. ' "$WORK/updated" || { log "$UPDATE has no section 7"; exit 1; }
cp "$WORK/updated" "$UPDATE"
log "dashboard cost ${cost}% of one core; section 7 of $UPDATE updated"
