# Shared by the scripts: build, and stop at once when the build fails.
# swift_build ARGS...   `swift build ARGS`, progress lines hidden. On failure
#                       it prints the compiler's errors (file:line: error: …)
#                       and exits the calling script non-zero, so nothing
#                       runs on the binaries a previous build left behind.
swift_build() {
    local log status
    log="$(mktemp)"
    swift build "$@" >"$log" 2>&1 && status=0 || status=$?
    if [[ $status -ne 0 ]]; then
        echo "✘ swift build $* failed (exit $status):" >&2
        grep -E ': error: ' "$log" | awk '!seen[$0]++' | head -20 >&2 || tail -30 "$log" >&2
        rm -f "$log"
        exit "$status"
    fi
    grep -E ': (error|warning): ' "$log" | awk '!seen[$0]++' | head -20 || true
    rm -f "$log"
}
