#!/usr/bin/env bash
# bench/soak.sh: `make soak`. lab's load generator at RATE req/s for SOAK
# against a local hello server (labbench server), as a run drives it (one
# window closed and kept per second), sampling its own RSS every 10 s.
# Fails when the RSS moves by more than 10 MB after the first minute or
# ever exceeds 150 MB. bench/run.sh runs the same for 10 minutes (its
# section 4). Every request goes to 127.0.0.1.
#
# Knobs (environment): SOAK (default 30m; at least 2m), RATE (default
# 2000), PORT (the server's local port, default 18090).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SOAK=${SOAK:-30m}
RATE=${RATE:-2000}
PORT=${PORT:-18090}
[[ $SOAK =~ ^[0-9]+[sm]$ ]] || { echo "soak: SOAK must be like 30m or 150s" >&2; exit 2; }
SOAK_S=${SOAK%[sm]}; [[ $SOAK == *m ]] && SOAK_S=$((SOAK_S * 60))
(( SOAK_S >= 120 )) || { echo "soak: SOAK must be at least 2m (RSS is judged after the first minute)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/labsoak.XXXXXX)
SRV=

cleanup() {
	if [ -n "$SRV" ]; then
		kill "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	echo "soak: port $PORT is taken on 127.0.0.1; set PORT to another" >&2
	exit 1
fi
echo "soak: building labbench" >&2
go build -trimpath -o "$WORK/labbench" ./bench/cmd/labbench
"$WORK/labbench" server -addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SRV=$!
for _ in $(seq 1 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
echo "soak: $RATE req/s for $SOAK at http://127.0.0.1:$PORT/ (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
timeout $((SOAK_S + 60)) "$WORK/labbench" soak -url "http://127.0.0.1:$PORT/" -rate "$RATE" -d "$SOAK"
