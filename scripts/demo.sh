#!/usr/bin/env bash
# Runs Tether in front of three demo app servers and shows the session
# problem it exists to solve. Installs what it needs on Debian, builds in
# release, and cleans up every process it started on exit or Ctrl-C.
#
#   scripts/demo.sh               play the story, then keep everything running
#   scripts/demo.sh --story-only  play the story and exit
#   scripts/demo.sh --port N      Tether's port (default 8080, as in proxy.conf.example)
#
# Tether runs with proxy.conf.example (with --port N: the same file, other ports).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh

story_only=0
port=8080
while [[ $# -gt 0 ]]; do
    case "$1" in
        --story-only) story_only=1; shift ;;
        --port) port="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

need_packages curl:curl pkg-config:pkg-config openssl-dev:libssl-dev

echo "building (release)..."
swift build -c release 2>&1 | grep -E 'error|warning: unre' || true
bin="$(swift build -c release --show-bin-path)"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The example config, every port shifted by (port - 8080): for the default
# port it is proxy.conf.example itself.
shift_by=$((port - 8080))
conf="$(mktemp --suffix=.conf)"
sed -e "s/127.0.0.1:8080/127.0.0.1:$port/" -e "s/127.0.0.1:9090/127.0.0.1:$((9090 + shift_by))/" \
    -e "s/127.0.0.1:9001/127.0.0.1:$((9001 + shift_by))/" -e "s/127.0.0.1:9002/127.0.0.1:$((9002 + shift_by))/" \
    -e "s/127.0.0.1:9003/127.0.0.1:$((9003 + shift_by))/" proxy.conf.example > "$conf"
"$bin/tether" check --config "$conf" >/dev/null

for i in 1 2 3; do
    "$bin/demo-backend" --listen "127.0.0.1:$((9000 + i + shift_by))" --name "app$i" & pids+=($!)
done
"$bin/tether" run --config "$conf" --workers 1 --access-log off & pids+=($!)

for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break
    sleep 0.1
done

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
jar="$(mktemp)"
trap 'rm -f "$jar" "$conf"; cleanup' EXIT

say "1. No affinity: round-robin over three servers that keep sessions in memory."
echo "   alice logs in:"
printf '     '; curl -s -c "$jar" "http://127.0.0.1:$port/login?user=alice"
echo "   and asks who she is, three times:"
for _ in 1 2 3; do printf '     '; curl -s -b "$jar" "http://127.0.0.1:$port/whoami"; done
echo "   Her session lives on one server; the others do not know her. That is the"
echo "   session consistency problem. Sticky routing and shared-store routing come next."

if [[ $story_only -eq 1 ]]; then exit 0; fi
say "Running: Tether on http://127.0.0.1:$port/ in front of app1..app3. Ctrl-C stops everything."
wait
