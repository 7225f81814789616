#!/usr/bin/env bash
# Starts the demo (no story), drives some traffic (sticky users, one drained
# backend, a few bad requests), and writes a PNG of the admin dashboard taken
# with headless Chromium.
#
#   scripts/admin-screenshot.sh [OUTPUT.png]     default: admin-dashboard.png
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
out="${1:-admin-dashboard.png}"
if [[ "$out" == -h || "$out" == --help ]]; then sed -n "2,6p" "$0" | sed "s/^# \{0,1\}//"; exit 0; fi
need_packages chromium:chromium curl:curl

port=18680
admin=$((9090 + port - 8080))
bash scripts/demo.sh --no-story --port "$port" > /tmp/tether-screenshot-demo.log 2>&1 &
demo=$!
# The script's own status, not the stopped demo's (130: under set -e a
# failing `wait` in the trap would end the script with it), is its exit status.
trap 'rc=$?; kill $demo 2>/dev/null; wait $demo 2>/dev/null || true; exit $rc' EXIT
for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$admin/healthz" && break; sleep 0.2; done

url="http://127.0.0.1:$port"
jars="$(mktemp -d)"
for u in $(seq 1 60); do curl -s -o /dev/null -c "$jars/$u" "$url/login?user=u$u"; done
curl -s -o /dev/null -X POST "http://127.0.0.1:$admin/backends/app3/drain"
for round in 1 2 3; do
    clients=()
    for u in $(seq 1 60); do curl -s -o /dev/null -b "$jars/$u" -c "$jars/$u" "$url/whoami" & clients+=($!); done
    wait "${clients[@]}"
done
for _ in 1 2 3; do printf 'GET / HTTP/1.1\r\n\r\n' | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; cat <&3" >/dev/null || true; done
rm -rf "$jars"

chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1720,560 \
    --virtual-time-budget=4000 --screenshot="$out" "http://127.0.0.1:$admin/" 2>/dev/null
echo "wrote $out"
