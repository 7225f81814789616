#!/usr/bin/env bash
# Chaos run: Tether in front of 3 demo backends under a bounded load of
# idempotent GETs from many simulated users with cookie jars, while random
# backends are killed and restarted every few seconds. Prints requests sent,
# failed, failovers (sessions that moved), sessions re-created, and the
# longest time a dead backend kept being offered requests (kill -> marked down).
#
#   scripts/chaos.sh [--duration SECONDS] [--rate REQ_PER_S] [--users N] [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/build.sh

duration=60; rate=300; users=60; port=18480
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --rate) rate="$2"; shift 2 ;;
        --users) users="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "chaos.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

need_packages curl:curl python3:python3 pkg-config:pkg-config openssl-dev:libssl-dev
swift_build -c release
bin="$(swift build -c release --show-bin-path)"

work="$(mktemp -d)"
declare -A backend_pid
pids=()
cleanup() {
    for p in "${pids[@]}" "${backend_pid[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

start_backend() {
    "$bin/demo-backend" --listen "127.0.0.1:$((port + $1))" --name "app$1" >/dev/null 2>&1 &
    backend_pid[$1]=$!
}
for i in 1 2 3; do start_backend "$i"; done

cat > "$work/proxy.conf" <<CONF
listen 127.0.0.1:$port
admin 127.0.0.1:$((port + 10))
access_log off
hash_secret "chaos-secret-0123456789abcdef"
health_check interval=500ms timeout=300ms rise=2 fall=2
retries 2
backend app1 127.0.0.1:$((port + 1))
backend app2 127.0.0.1:$((port + 2))
backend app3 127.0.0.1:$((port + 3))
CONF
"$bin/tether" run --config "$work/proxy.conf" 2>"$work/tether.log" & pids+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done

echo "chaos: ${duration}s, ~${rate} req/s from ${users} users; killing and restarting backends"
python3 scripts/lib/chaos_load.py "$port" "$duration" "$rate" "$users" > "$work/load.json" &
load_pid=$!

# Kill a random backend every 3-6 s; restart it 2-4 s later. Record kill times.
end=$((SECONDS + duration - 5))
kills=0
: > "$work/kills"
while (( SECONDS < end )); do
    sleep $((3 + RANDOM % 4))
    (( SECONDS < end )) || break
    victim=$((1 + RANDOM % 3))
    { kill -9 "${backend_pid[$victim]}"; wait "${backend_pid[$victim]}"; } 2>/dev/null || true
    echo "app$victim $(date +%s.%N)" >> "$work/kills"
    kills=$((kills + 1))
    sleep $((2 + RANDOM % 3))
    start_backend "$victim"
done
wait "$load_pid"

python3 - "$work/load.json" "$work/kills" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
kills = [l.split() for l in open(sys.argv[2]) if l.strip()]
print(f"requests sent:        {stats['sent']}")
print(f"requests failed:      {stats['failed']}  {stats['errors'] if stats['errors'] else ''}")
print(f"backends killed:      {len(kills)}")
print(f"failovers (sessions that moved backend): {stats['moved']}")
print(f"sessions re-created:  {stats['recreated']}")
PY
# Longest kill -> "is down" delay: Tether's event lines carry a wall-clock stamp.
python3 - "$work/kills" "$work/tether.log" <<'PY'
import sys
from datetime import datetime, timezone
kills = [(l.split()[0], float(l.split()[1])) for l in open(sys.argv[1]) if l.strip()]
downs = []
for l in open(sys.argv[2]):
    if " is down" in l and l.startswith("tether: ["):
        t = datetime.strptime(l.split("[", 1)[1].split("]", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        name = l.split("backend ", 1)[1].split(" ", 1)[0]
        downs.append((name, t))
worst = 0.0
for name, t in kills:
    later = [d for n, d in downs if n == name and d >= t]
    if later:
        worst = max(worst, min(later) - t)
print(f"longest time a dead backend kept being offered requests (kill -> marked down): {worst * 1000:.0f} ms")
PY
