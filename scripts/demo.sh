#!/usr/bin/env bash
# Tether in front of three demo app servers, telling the session story:
#   1. no affinity: round-robin, sessions in each server's memory -> lost
#   2. sticky: the same user stays on one server; 100 users spread evenly;
#      a reload that adds a server and re-weights another moves none of them;
#      with "app_cookie JSESSIONID prefix", a client that keeps only the
#      app's cookie stays on its server too
#   3. failover: the user's server dies; the session is re-created elsewhere
#      and stays there when the server returns
#   4. shared store: sessions in Redis, round-robin, nothing lost on a kill
# Then everything keeps running with the dashboard URL printed. The story's
# last line is a JSON summary of its outcomes (checked by scripts/test.sh).
# Installs what is missing (libssl-dev, redis-server, curl), builds in
# release, and stops every process it started on exit or Ctrl-C.
#
#   scripts/demo.sh               the story, then keep running
#   scripts/demo.sh --story-only  the story, then exit
#   scripts/demo.sh --no-story    skip the story, just run everything
#   scripts/demo.sh --port N      Tether's port (default 8080, as in proxy.conf.example)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/build.sh

story_only=0
no_story=0
port=8080
while [[ $# -gt 0 ]]; do
    case "$1" in
        --story-only) story_only=1; shift ;;
        --no-story) no_story=1; shift ;;
        --port) port="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

need_packages curl:curl pkg-config:pkg-config openssl-dev:libssl-dev redis-server:redis-server python3:python3

echo "building (release)..."
swift_build -c release
bin="$(swift build -c release --show-bin-path)"

work="$(mktemp -d)"
declare -A app_pid
pids=()
cleanup() {
    for p in "${pids[@]}" "${app_pid[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# proxy.conf.example with every port shifted by (port - 8080): for the
# default port it is the example file itself. Steps 1 and 4 use the same file
# with routing balanced (and, in step 4, its session_store line enabled).
shift_by=$((port - 8080))
admin_port=$((9090 + shift_by))
redis_port=$((6379 + shift_by + 100))
app_port() { echo $((9000 + $1 + shift_by)); }
sed -e "s/127.0.0.1:8080/127.0.0.1:$port/" -e "s/127.0.0.1:9090/127.0.0.1:$admin_port/" \
    -e "s/127.0.0.1:9001/127.0.0.1:$(app_port 1)/" -e "s/127.0.0.1:9002/127.0.0.1:$(app_port 2)/" \
    -e "s/127.0.0.1:9003/127.0.0.1:$(app_port 3)/" proxy.conf.example > "$work/sticky.conf"
sed -e "s/^routing sticky/routing balanced/" "$work/sticky.conf" > "$work/balanced.conf"
sed -e "s/^backend app2 \(.*\) weight=1/backend app2 \1 weight=3/" \
    -e "/^backend app3 /a backend app4 127.0.0.1:$(app_port 4) weight=1 route=app4" "$work/sticky.conf" > "$work/grown.conf"
sed -e "s/^# app_cookie JSESSIONID prefix/app_cookie JSESSIONID prefix/" "$work/sticky.conf" > "$work/prefix.conf"
sed -e "s|^# session_store redis://127.0.0.1:6379.*|session_store redis://127.0.0.1:$redis_port interval=1s timeout=500ms on_down=balance|" \
    -e "s/^routing sticky/routing balanced/" "$work/sticky.conf" > "$work/store.conf"
for c in sticky balanced store grown prefix; do "$bin/tether" check --config "$work/$c.conf" >/dev/null; done
# The story starts without affinity; without the story, run the example as is.
if [[ $no_story -eq 1 ]]; then cp "$work/sticky.conf" "$work/proxy.conf"; else cp "$work/balanced.conf" "$work/proxy.conf"; fi

start_app() { # start_app N [--store URL]
    local n=$1; shift
    "$bin/demo-backend" --listen "127.0.0.1:$(app_port "$n")" --name "app$n" "$@" >/dev/null 2>&1 &
    app_pid[$n]=$!
}
stop_app() { { kill -9 "${app_pid[$1]}"; wait "${app_pid[$1]}"; } 2>/dev/null || true; }
for i in 1 2 3; do start_app "$i"; done
# The example logs every request to stdout: keep that in a file, not on the story.
"$bin/tether" run --config "$work/proxy.conf" --workers 1 >"$work/access.log" 2>"$work/tether.log" & pids+=($!)
tether_pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done

url="http://127.0.0.1:$port"
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }
# get JAR PATH: one request as that user; the answer is printed and kept in $last.
last=""
get() { last=$(curl -s -b "$1" -c "$1" "$url$2"); printf '     %s\n' "$last"; }
visits_of() { grep -o 'visit [0-9]*\|visits=[0-9]*' <<<"$1" | grep -o '[0-9]*$'; }
reload_to() { # reload_to CONFIG: swap the config and SIGHUP, then wait for the confirmation
    local before; before=$(grep -c "configuration reloaded" "$work/tether.log" || true)
    cp "$work/$1.conf" "$work/proxy.conf"
    kill -HUP "$tether_pid"
    for _ in $(seq 1 50); do
        [[ $(grep -c "configuration reloaded" "$work/tether.log" || true) -gt $before ]] && return 0
        sleep 0.1
    done
}
wait_log() { for _ in $(seq 1 300); do grep -q "$1" "$work/tether.log" && return 0; sleep 0.1; done; }
backend_of() { grep -o 'app[0-9]' <<<"$1" | head -1; }

if [[ $no_story -eq 0 ]]; then
    say "1. No affinity: round-robin over three servers that keep sessions in memory."
    note "alice logs in, then asks who she is three times:"
    jar="$work/alice"
    get "$jar" "/login?user=alice"
    s1_lost=false
    for _ in 1 2 3; do get "$jar" "/whoami"; grep -q "you are alice" <<<"$last" || s1_lost=true; done
    note "Her session lives on the server that created it; the next requests land"
    note "on the others, which do not know her (and each hands her a new, empty"
    note "session, so even the first server loses track): the session consistency problem."

    say "2. Sticky routing (SIGHUP to the sticky config: no connection dropped)."
    reload_to sticky
    jar="$work/bob"
    note "bob logs in and makes four more requests:"
    get "$jar" "/login?user=bob"
    s2_home=$(backend_of "$last")
    s2_kept=true
    for _ in 1 2 3 4; do
        get "$jar" "/whoami"
        [[ $(backend_of "$last") == "$s2_home" ]] && grep -q "you are bob" <<<"$last" || s2_kept=false
    done
    note "Every request went to the server holding his session: his cookie is"
    note "TETHER=$(awk '$6 == "TETHER" {print $7}' "$jar" | head -1)"
    note "(a nonce, the server's name, and a tag keyed by hash_secret: it cannot be"
    note "forged, and a reload that adds or re-weights servers moves nobody). Now 100 new users:"
    for u in $(seq 1 100); do curl -s -o /dev/null -c "$work/u$u" "$url/login?user=u$u"; done
    s2_spread=$(curl -s "http://127.0.0.1:$admin_port/stats" | python3 -c 'import json,sys; print(json.dumps([b["sessions"]["new"] for b in json.load(sys.stdin)["backends"]]))')
    curl -s "http://127.0.0.1:$admin_port/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
for b in s["backends"]:
    name, new = b["name"], b["sessions"]["new"]
    print(f"     {name}: {new:3d} new sessions  " + "#" * (new // 2))
print("     (the bound: no server above ceil(1.25 x average) of new sessions)")'

    note "A reload that adds app4 and gives app2 weight 3 (hashing keys would move"
    note "about a quarter of them):"
    homes_of_users() { for u in $(seq 1 100); do backend_of "$(curl -s -b "$work/u$u" "$url/whoami")"; done; }
    before_homes=$(homes_of_users)
    start_app 4
    for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$(app_port 4)") 2>/dev/null && break; sleep 0.1; done
    reload_to grown
    after_homes=$(homes_of_users)
    s2_moved=$(paste <(echo "$before_homes") <(echo "$after_homes") | awk '$1 != $2' | wc -l)
    note "$s2_moved of 100 users moved (each is still on the server that holds the session)."

    say "2b. Clients that keep only the app's cookie (app_cookie JSESSIONID prefix)."
    reload_to prefix
    stop_app 4
    jar="$work/dave"
    note "dave logs in; Tether writes his server's sealed name in front of JSESSIONID:"
    get "$jar" "/login?user=dave"
    s2b_home=$(backend_of "$last")
    dave_sid=$(awk '$6 == "JSESSIONID" {print $7}' "$jar" | head -1)
    note "JSESSIONID=$dave_sid"
    note "His client sends only that cookie (no TETHER), four times:"
    s2b_kept=true
    for _ in 1 2 3 4; do
        last=$(curl -s -H "Cookie: JSESSIONID=$dave_sid" "$url/whoami"); printf '     %s\n' "$last"
        [[ $(backend_of "$last") == "$s2b_home" ]] && grep -q "you are dave" <<<"$last" || s2b_kept=false
    done
    note "app1 knows him, so it got back the id it set: the backend never sees the prefix."
    reload_to sticky

    say "3. Failover: the server holding bob's session dies."
    home=$(backend_of "$(curl -s -b "$work/bob" -c "$work/bob" "$url/whoami")")
    n=${home#app}
    stop_app "$n"
    note "$home killed. bob's next request:"
    get "$work/bob" "/"
    s3_new_home=$(backend_of "$last")
    s3_recreated=0
    [[ "$s3_new_home" != "$home" && $(visits_of "$last") == 1 ]] && s3_recreated=1
    note "Another server answered at once (Tether retried the refused connection)."
    note "bob's session was lost with $home, so he logs in again there:"
    get "$work/bob" "/login?user=bob"
    wait_log "backend $home .* is down"
    note "Tether marked $home down ($(grep -o "backend $home .* is down: [^;]*" "$work/tether.log" | tail -1 | sed 's/.*down: //'))."
    start_app "$n"
    wait_log "backend $home .* is up"
    note "$home is back and healthy; bob stays on his new server (no second loss):"
    s3_kept=true
    for _ in 1 2 3; do
        get "$work/bob" "/whoami"
        [[ $(backend_of "$last") == "$s3_new_home" ]] && grep -q "you are bob" <<<"$last" || s3_kept=false
    done

    say "4. Shared store: sessions in Redis, round-robin, any server will do."
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & pids+=($!)
    for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break; sleep 0.1; done
    for i in 1 2 3; do stop_app "$i"; start_app "$i" --store "redis://127.0.0.1:$redis_port"; done
    for i in 1 2 3; do for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$(app_port "$i")") 2>/dev/null && break; sleep 0.1; done; done
    reload_to store
    jar="$work/carol"
    note "carol logs in; her requests go round-robin over all three servers:"
    get "$jar" "/login?user=carol"
    s4_kept=true
    s4_backends=""
    expected=2
    for _ in 1 2 3; do
        get "$jar" "/whoami"; s4_backends+="$(backend_of "$last") "
        [[ $(visits_of "$last") == "$expected" ]] || s4_kept=false; expected=$((expected + 1))
    done
    stop_app 2
    note "app2 killed; carol carries on, her session is in Redis:"
    for _ in 1 2 3; do
        get "$jar" "/whoami"
        [[ $(visits_of "$last") == "$expected" ]] || s4_kept=false; expected=$((expected + 1))
    done
    s4_spread=$(tr ' ' '\n' <<<"$s4_backends" | sort -u | grep -c app || true)
    start_app 2 --store "redis://127.0.0.1:$redis_port"
    note "Session store: $(curl -s "http://127.0.0.1:$admin_port/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin)["session_store"]; print(s["url"], s["state"])')"
    printf '{"no_affinity":{"session_lost":%s},"sticky":{"session_kept":%s,"new_sessions_per_backend":%s,"moved_by_reload":%s},"app_cookie_prefix":{"session_kept":%s},"failover":{"sessions_recreated":%s,"kept_after_return":%s},"shared_store":{"session_kept":%s,"backends_used":%s}}\n' \
        "$s1_lost" "$s2_kept" "$s2_spread" "$s2_moved" "$s2b_kept" "$s3_recreated" "$s3_kept" "$s4_kept" "$s4_spread"
fi

if [[ $story_only -eq 1 ]]; then exit 0; fi
say "Running: Tether on $url/ in front of app1..app3."
note "dashboard:  http://127.0.0.1:$admin_port/"
note "stats:      $bin/tether stats --admin http://127.0.0.1:$admin_port"
note "Ctrl-C stops everything."
wait "$tether_pid"
