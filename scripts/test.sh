#!/usr/bin/env bash
# Builds Tether and runs every test: parser and balancer unit tests, and the
# integration tests that drive a real tether process with curl over loopback.
# Installs what it needs on Debian (curl, libssl-dev, pkg-config, redis-server,
# prometheus for promtool, python3, haproxy (a real PROXY protocol sender),
# and tomcat10: the integration tests run
# uploads through Python's http.server and Apache Tomcat 10; and with pip the
# `websockets`, `python-socketio` and `aiohttp` packages for the WebSocket tests).
#
#   scripts/test.sh            all tests (debug build), the demo story, 15 s of
#                              each fuzz target (TETHER_FUZZ_SECONDS to change);
#                              in CI (CI=true) or with TETHER_TSAN=1 also every
#                              test again under ThreadSanitizer
#   scripts/test.sh FILTER     only tests whose name matches FILTER (no demo)
#   scripts/test.sh --sanitize every test under ThreadSanitizer (tether
#                              and demo-backend built with it too); fails on any
#                              report. SANITIZERS="thread address" runs them under
#                              AddressSanitizer as well (leak checks off: the
#                              Swift runtime and Foundation leave a few one-off
#                              allocations of 32-321 bytes that LSan reports).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/build.sh

need_packages curl:curl openssl:openssl pkg-config:pkg-config openssl-dev:libssl-dev redis-server:redis-server promtool:prometheus python3:python3 chromium:chromium goaccess:goaccess jq:jq /usr/sbin/haproxy:haproxy
need_python_modules websockets:websockets socketio:python-socketio aiohttp:aiohttp
# Tomcat is a real app server the upload tests need; if Debian cannot give
# it here, those tests are skipped, and this says why.
if ! need_packages /usr/share/tomcat10/bin/catalina.sh:tomcat10; then
    echo "tomcat10 could not be installed: the Tomcat upload tests will be skipped" >&2
fi

if [[ "${1:-}" == --sanitize ]]; then
    reports="$(mktemp -d)"
    for san in ${SANITIZERS:-thread}; do
        scratch=".build-${san:0:4}san"
        swift_build --build-tests --sanitize="$san" --scratch-path "$scratch"
        bin="$(swift build --sanitize="$san" --scratch-path "$scratch" --show-bin-path)"
        TETHER_SANITIZER="$san" TSAN_OPTIONS="log_path=$reports/tsan" \
        ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=0:quarantine_size_mb=16" TETHER_BIN="$bin/tether" \
            swift test --skip-build --sanitize="$san" --scratch-path "$scratch" 2>&1 \
            | grep -E '^(✘|✔ Test run)' || true
    done
    if ls "$reports"/* >/dev/null 2>&1; then
        echo "✘ sanitizer reports:"; head -40 "$reports"/*
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "no sanitizer report"
    echo "1 passed, 0 failed"
    exit 0
fi

filter=()
if [[ $# -gt 0 ]]; then filter=(--filter "$1"); fi

swift_build --build-tests
bin="$(swift build --show-bin-path)"
log="$(mktemp)"
session="$(mktemp)"
trap 'rm -f "$log" "$session"' EXIT
set +e
# The suite runs in a session of its own: every process a test starts (and
# does not detach on purpose) is in it, so whatever is left of the session
# afterwards was left behind by a test.
TETHER_BIN="$bin/tether" setsid --wait bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$session" \
    swift test --skip-build "${filter[@]}" 2>&1 | tee "$log" | grep -E '^(✘|✔ Suite|✔ Test run|Test Suite .*(passed|failed)|.*error:)'
status=${PIPESTATUS[0]}
set -e
# One plain closing line, whatever the runners printed.
summary=$(grep -E 'Test run with [0-9]+ tests? ' "$log" | tail -1)
total=$(sed -E 's/.*Test run with ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(grep -cE '^✘ Test [^ ]+\(.*\) failed' "$log" || true)
[[ -n "$summary" ]] || echo "no test summary"

# Counts one check beyond the Swift tests and prints its line: ✔ PASS-LINE,
# or ✘ FAIL-LINE and the details.
tally() { # OK(0|1) PASS-LINE FAIL-LINE [DETAILS]
    total=$((total + 1))
    if [[ $1 == 0 ]]; then
        echo "✔ $2"
    else
        echo "✘ $3"
        [[ -n "${4:-}" ]] && echo "$4"
        failed=$((failed + 1))
        status=1
    fi
}

# No child outlives the suite (each server a test starts dies with the test
# process: Tests/IntegrationTests/Lifeline.swift). Their watchers notice the
# test process's end within moments: wait for that, then look.
sid="$(cat "$session")"
leftover=""
for _ in $(seq 100); do
    # (Zombies are ended processes not yet reaped by init: nothing left running.)
    leftover="$(ps -o pid=,stat=,args= -s "$sid" | awk '$2 !~ /^Z/' || true)"
    [[ -z "$leftover" ]] && break
    sleep 0.1
done
[[ -z "$leftover" ]] && ok=0 || ok=1
tally $ok "no process of the test suite left behind (session $sid)" "processes left behind by the test suite:" "$leftover"
[[ -n "$leftover" ]] && pkill -KILL -s "$sid" || true

# The README's first command, end to end: the demo story's outcomes, from its
# JSON summary line, and no process left behind.
if [[ ${#filter[@]} -eq 0 ]]; then
    demo_port=18780
    story=$(bash scripts/demo.sh --story-only --port "$demo_port" 2>&1 | tee /tmp/tether-demo-story.log | tail -1)
    verdict=$(python3 - "$story" <<'PY'
import json, sys
try:
    s = json.loads(sys.argv[1])
except Exception:
    print("no JSON summary (see /tmp/tether-demo-story.log)"); sys.exit()
problems = []
if not s["no_affinity"]["session_lost"]: problems.append("step 1: the session was not lost without affinity")
if not s["sticky"]["session_kept"]: problems.append("step 2: sticky routing lost the session")
spread = s["sticky"]["new_sessions_per_backend"]
if max(spread) > -(-125 * sum(spread) // (100 * len(spread))): problems.append(f"step 2: spread {spread} over the bound")
if s["sticky"]["moved_by_reload"] != 0: problems.append(f"step 2: a reload that added a backend moved {s['sticky']['moved_by_reload']} users")
if not s["app_cookie_prefix"]["session_kept"]: problems.append("step 2b: a client with only the app cookie lost its server")
if s["failover"]["sessions_recreated"] != 1: problems.append("step 3: the session was not re-created exactly once")
if not s["failover"]["kept_after_return"]: problems.append("step 3: the session moved back")
if not s["shared_store"]["session_kept"]: problems.append("step 4: the shared store lost the session")
if s["shared_store"]["backends_used"] < 3: problems.append("step 4: requests did not cross all backends")
print("; ".join(problems) or "ok")
PY
)
    leftover=$(pgrep -f "127.0.0.1:$((demo_port))|127.0.0.1:$((9000 + demo_port - 8080 + 1))|--port $((6379 + demo_port - 8080 + 100))" || true)
    [[ -n "$leftover" ]] && verdict="processes left behind: $leftover"
    [[ "$verdict" == ok ]] && ok=0 || ok=1
    tally $ok "demo story (scripts/demo.sh --story-only): $story" "demo story: $verdict"
fi
# Issue 20's deployment, short: HAProxy (TCP, send-proxy-v2) in front of two
# replicas; sessions stay put, backends see client addresses, one drain call
# reaches both, a replica stopped mid-run fails no request.
if [[ ${#filter[@]} -eq 0 ]]; then
    scale=$(bash scripts/scale-demo.sh --short --port 18880 2>/tmp/tether-scale-demo.log | tail -1)
    verdict=$(python3 - "$scale" <<'PY'
import json, sys
try:
    s = json.loads(sys.argv[1])
except Exception:
    print("no JSON summary (see /tmp/tether-scale-demo.log)"); sys.exit()
problems = [f"{k} = {s[k]}" for k in ("failed", "sessions_moved", "sessions_broken", "wrong_client_address", "new_sessions_on_drained") if s[k] != 0]
if s["replicas_used"] != 2: problems.append(f"replicas_used = {s['replicas_used']}")
if s["drained_on_replicas"] != 2: problems.append(f"drained_on_replicas = {s['drained_on_replicas']}")
if s["requests"] != s["users"] * 9 + 10: problems.append(f"requests = {s['requests']}")
print("; ".join(problems) or "ok")
PY
)
    leftover=$(pgrep -f "127.0.0.1:1888[0-9]|127.0.0.1:1889[0-9]|127.0.0.1:1890[0-9]|127.0.0.1:1891[0-9]" || true)
    [[ -n "$leftover" ]] && verdict="processes left behind: $leftover"
    [[ "$verdict" == ok ]] && ok=0 || ok=1
    tally $ok "scale demo (scripts/scale-demo.sh --short): $scale" "scale demo: $verdict"
fi
# Each libFuzzer target for a short, bounded time: a parser regression that
# crashes or breaks a differential check shows here.
if [[ ${#filter[@]} -eq 0 && "${TETHER_FUZZ_SECONDS:-15}" != 0 ]]; then
    for target in request response chunked proxyheader config; do
        fuzz_out=$(bash scripts/fuzz.sh "$target" "${TETHER_FUZZ_SECONDS:-15}" 2>&1) && ok=0 || ok=1
        tally $ok "fuzz $target: $(grep -o 'number_of_executed_units: *[0-9]*' <<<"$fuzz_out" | grep -o '[0-9]*$') inputs, no crash" \
            "fuzz $target failed:" "$(tail -20 <<<"$fuzz_out")"
    done
fi
# Every test again under ThreadSanitizer: in CI (CI=true), or with TETHER_TSAN=1.
# Measured on the 2-core CI machine: ~4 min to build, ~2 min to run.
if [[ ${#filter[@]} -eq 0 && ( "${CI:-}" == true || "${TETHER_TSAN:-0}" == 1 ) ]]; then
    tsan_out=$(bash scripts/test.sh --sanitize 2>&1) && ok=0 || ok=1
    tally $ok "ThreadSanitizer, every test: $(grep -oE 'Test run with [0-9]+ tests' <<<"$tsan_out" | tail -1), no report" \
        "ThreadSanitizer:" "$(tail -40 <<<"$tsan_out")"
fi
echo "$((total - failed)) passed, ${failed} failed"
exit "$status"
