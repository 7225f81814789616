#!/usr/bin/env bash
# Builds a libFuzzer target (swiftc -sanitize=fuzzer,address) and runs it for
# a bounded time on its seed corpus (Tests/Fuzz/corpus/TARGET).
#
#   scripts/fuzz.sh TARGET SECONDS     TARGET: request, response, chunked, proxyheader, config
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-}"; seconds="${2:-30}"
case "$target" in
    request) main=Tests/Fuzz/RequestParserFuzz.swift; sources=(Sources/HTTP1/*.swift) ;;
    response) main=Tests/Fuzz/ResponseParserFuzz.swift; sources=(Sources/HTTP1/*.swift) ;;
    chunked) main=Tests/Fuzz/ChunkedDecoderFuzz.swift; sources=(Sources/HTTP1/*.swift) ;;
    proxyheader) main=Tests/Fuzz/ProxyHeaderFuzz.swift; sources=(Sources/ClientAddress/*.swift) ;;
    config) main=Tests/Fuzz/ConfigParserFuzz.swift; sources=(Sources/Config/*.swift Sources/HTTP1/*.swift Sources/ClientAddress/*.swift) ;;  # one module: its imports dropped below
    -h|--help|"") sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; [[ -n "$target" ]]; exit $? ;;
    *) echo "fuzz.sh: unknown target \"$target\" (request, response, chunked, proxyheader, config)" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number, got \"$seconds\"" >&2; exit 2; }
out=".build-fuzz"
mkdir -p "$out/work-$target" "$out/src-$target"
# The target and the code under test are compiled as one module.
for f in "${sources[@]}"; do sed -E '/^import (HTTP1|ClientAddress)$/d' "$f" > "$out/src-$target/$(basename "$(dirname "$f")")-$(basename "$f")"; done
sources=("$out/src-$target"/*.swift)
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "Fuzz_$target" \
    "${sources[@]}" "$main" -o "$out/fuzz-$target" 2>&1 | grep -v "warning: Cannot export local symbol" || true
# New inputs go to a scratch directory; the committed seeds stay as they are.
# (Swift's interactive backtracer would hold a crashing fuzzer: off.)
# A crash (or a failed differential check) exits non-zero with its report.
if ! SWIFT_BACKTRACE=enable=no "$out/fuzz-$target" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$out/crash-$target-" "$out/work-$target" "Tests/Fuzz/corpus/$target" > "$out/fuzz-$target.log" 2>&1; then
    grep -E "Fatal error|ERROR|SUMMARY|Test unit written" "$out/fuzz-$target.log" | head -10
    exit 1
fi
grep "stat::" "$out/fuzz-$target.log"
