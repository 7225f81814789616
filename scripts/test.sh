#!/usr/bin/env bash
# Builds Tether and runs every test: parser and balancer unit tests, and the
# integration tests that drive a real tether process with curl over loopback.
# Installs what it needs on Debian (curl, libssl-dev, pkg-config, redis-server,
# prometheus for promtool).
#
#   scripts/test.sh            all tests (debug build)
#   scripts/test.sh FILTER     only tests whose name matches FILTER
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh

need_packages curl:curl pkg-config:pkg-config openssl-dev:libssl-dev redis-server:redis-server promtool:prometheus

filter=()
if [[ $# -gt 0 ]]; then filter=(--filter "$1"); fi

swift build --build-tests 2>&1 | grep -v '^\[' || true
bin="$(swift build --show-bin-path)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
TETHER_BIN="$bin/tether" swift test --skip-build "${filter[@]}" 2>&1 | tee "$log" | grep -E '^(✘|✔ Suite|✔ Test run|Test Suite .*(passed|failed)|.*error:)'
status=${PIPESTATUS[0]}
set -e
# One plain closing line, whatever the runners printed.
summary=$(grep -E 'Test run with [0-9]+ tests? ' "$log" | tail -1)
total=$(sed -E 's/.*Test run with ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(grep -cE '^✘ Test [^ ]+\(.*\) failed' "$log" || true)
[[ -n "$summary" ]] || echo "no test summary"
echo "$((total - failed)) passed, ${failed} failed"
exit "$status"
