#!/usr/bin/env bash
# Two Tether replicas behind HAProxy in TCP mode (send-proxy-v2), as a
# scale-out deployment runs them, in front of three demo app servers that
# keep sessions in memory:
#   1. 50 users, each from its own loopback address (127.0.0.11-60) with its
#      own cookie jar; HAProxy spreads their connections over both replicas.
#      Every user's session stays on its backend whichever replica carries
#      a request (same hash_secret: the replicas read each other's cookies),
#      and each app is told the user's real address (PROXY v2 -> X-Forwarded-For).
#   2. One `tether backend drain app2` call with both replicas' --admin:
#      both drain; new users avoid app2, app2's users stay; then enable.
#   3. One replica is stopped mid-run (kill, SIGTERM, as an orchestrator
#      stops it): with stop_delay its /healthz fails first, HAProxy's check
#      takes it out, then it stops; not one idempotent request fails, no
#      session moves.
# The last line is a JSON summary (checked by scripts/test.sh, which runs the
# short form). Installs what is missing (haproxy, curl), builds in release,
# and stops every process it started.
#
#   scripts/scale-demo.sh            the full run (50 users x 25 requests)
#   scripts/scale-demo.sh --short    50 users x 9 requests (scripts/test.sh)
#   scripts/scale-demo.sh --port N   HAProxy's port (default 8180; the rest follow it)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/build.sh

rounds=12
port=8180
while [[ $# -gt 0 ]]; do
    case "$1" in
        --short) rounds=4; shift ;;
        --port) port="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "scale-demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$port" =~ ^[0-9]+$ ]] || { echo "scale-demo.sh: --port must be a number, got \"$port\"" >&2; exit 2; }

need_packages curl:curl pkg-config:pkg-config openssl-dev:libssl-dev python3:python3 /usr/sbin/haproxy:haproxy

echo "building (release)..." >&2
swift_build -c release
bin="$(swift build -c release --show-bin-path)"

users=50
front="http://127.0.0.1:$port"
monitor=$((port + 1))
replica_port() { echo $((port + 10 * $1)); }      # replica 1: port+10, 2: port+20
admin_port() { echo $((port + 10 * $1 + 1)); }
app_port() { echo $((port + 30 + $1)); }
token="scale-demo-admin-token"

work="$(mktemp -d)"
pids=()
declare -A replica_pid
cleanup() {
    for p in "${pids[@]}" "${replica_pid[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for i in 1 2 3; do
    "$bin/demo-backend" --listen "127.0.0.1:$(app_port "$i")" --name "app$i" --route "app$i" >/dev/null 2>&1 & pids+=($!)
done

# The replicas share everything that routes (hash_secret, backends, routes):
# `tether check` prints the same routing fingerprint for both.
for r in 1 2; do
    cat > "$work/replica$r.conf" <<EOF
listen 127.0.0.1:$(replica_port "$r") proxy_protocol trusted=127.0.0.1
admin 127.0.0.1:$(admin_port "$r") token="$token"
workers 1
access_log $work/access$r.log format=client,backend,status,request
routing sticky
app_cookie JSESSIONID
hash_secret "scale-demo-shared-secret-0123456789"
health_check interval=500ms
stop_delay 1s
backend app1 127.0.0.1:$(app_port 1) route=app1
backend app2 127.0.0.1:$(app_port 2) route=app2
backend app3 127.0.0.1:$(app_port 3) route=app3
EOF
    "$bin/tether" check --config "$work/replica$r.conf" | tail -1 > "$work/fingerprint$r"
    "$bin/tether" run --config "$work/replica$r.conf" 2>"$work/tether$r.log" & replica_pid[$r]=$!
done

# HAProxy as the L4 balancer: TCP mode, PROXY v2 to each replica, health
# checks on each replica's /healthz, and a refused connection retried on the
# other replica (redispatch).
cat > "$work/haproxy.cfg" <<EOF
global
    maxconn 4000
defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
frontend ready
    mode http
    bind 127.0.0.1:$monitor
    monitor-uri /ready
    stats enable
    stats uri /haproxy
frontend l4
    bind 127.0.0.1:$port
    default_backend tethers
backend tethers
    balance roundrobin
    option httpchk GET /healthz
    server replica1 127.0.0.1:$(replica_port 1) send-proxy-v2 check port $(admin_port 1) inter 200ms fall 1 rise 2
    server replica2 127.0.0.1:$(replica_port 2) send-proxy-v2 check port $(admin_port 2) inter 200ms fall 1 rise 2
EOF
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)

wait_ok() { for _ in $(seq 1 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "scale-demo.sh: $1 did not answer" >&2; exit 1; }
for r in 1 2; do wait_ok "http://127.0.0.1:$(admin_port "$r")/healthz"; done
wait_ok "http://127.0.0.1:$monitor/ready"
for i in 1 2 3; do wait_ok "http://127.0.0.1:$(app_port "$i")/health"; done
# Both replicas in HAProxy's rotation (its checks have passed) before users come.
replicas_up() { curl -s "http://127.0.0.1:$monitor/haproxy;csv" | grep -c '^tethers,replica[12],.*,UP,' || true; }
for _ in $(seq 1 200); do [[ $(replicas_up) -eq 2 ]] && break; sleep 0.05; done
[[ $(replicas_up) -eq 2 ]] || { echo "scale-demo.sh: HAProxy does not see both replicas up" >&2; cat "$work/haproxy.log" >&2; exit 1; }

say() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }
# user I N PHASE: N requests, one after another, as user I from 127.0.0.(10+I).
user() {
    local i=$1 n=$2 phase=$3 ip="127.0.0.$((10 + $1))"
    for _ in $(seq 1 "$n"); do
        out=$(curl -s --max-time 10 --interface "$ip" -b "$work/jar$i" -c "$work/jar$i" -w ' status=%{http_code}' "$front/page" | tr '\n' ' ') \
            || out="curl_error=$? status=000"
        echo "$phase $i $ip $out" >> "$work/requests.log"
    done
}
# Waits for the users' jobs (not the replicas, HAProxy or the apps, which run on).
wait_users() { for p in "${user_pids[@]}"; do wait "$p" 2>/dev/null || true; done; user_pids=(); }
user_pids=()
run_users() { # run_users N PHASE [FIRST_USER]
    local first=${3:-1}
    for i in $(seq "$first" $((first + users - 1))); do user "$i" "$1" "$2" & user_pids+=($!); done
}

say "1. $users users through HAProxy (TCP, send-proxy-v2) over two Tether replicas."
note "fingerprints: replica 1 $(cat "$work/fingerprint1" | awk '{print $3}'), replica 2 $(cat "$work/fingerprint2" | awk '{print $3}')"
run_users "$rounds" spread
wait_users
# The access logs reach the disk every 100 ms: wait for every request's line.
for _ in $(seq 1 100); do [[ $(cat "$work/access1.log" "$work/access2.log" | wc -l) -ge $((users * rounds)) ]] && break; sleep 0.05; done
served1=$(wc -l < "$work/access1.log"); served2=$(wc -l < "$work/access2.log")
note "requests carried: replica 1 $served1, replica 2 $served2"
"$bin/tether" stats --admin "http://127.0.0.1:$(admin_port 1)" --admin "http://127.0.0.1:$(admin_port 2)" --token "$token" >&2 || true

say "2. One drain call for both replicas: tether backend drain app2 --admin A --admin B"
"$bin/tether" backend drain app2 --admin "http://127.0.0.1:$(admin_port 1)" --admin "http://127.0.0.1:$(admin_port 2)" --token "$token" \
    | tee "$work/drain.out" | sed 's/^/   /' >&2
drained_on=$(grep -c ": app2 draining$" "$work/drain.out" || true)
# Ten new users: none may get app2. Every existing user makes one more request.
for i in $(seq 201 210); do user "$i" 1 drain-new & user_pids+=($!); done
for i in $(seq 1 "$users"); do user "$i" 1 drain-old & user_pids+=($!); done
wait_users
new_on_app2=$(grep '^drain-new ' "$work/requests.log" | grep -c 'backend=app2 ' || true)
note "new users sent to app2 while it drained: $new_on_app2"
"$bin/tether" backend enable app2 --admin "http://127.0.0.1:$(admin_port 1)" --admin "http://127.0.0.1:$(admin_port 2)" --token "$token" >/dev/null

say "3. Replica 1 is stopped (kill = SIGTERM) while the users run."
before=$(wc -l < "$work/requests.log")
run_users "$rounds" kill
# Mid-run: once a third of this phase's requests are done.
target=$((before + users * rounds / 3))
for _ in $(seq 1 400); do [[ $(wc -l < "$work/requests.log") -ge $target ]] && break; sleep 0.05; done
at_kill=$(grep -c '^kill ' "$work/requests.log" || true)
kill "${replica_pid[1]}"
wait "${replica_pid[1]}" 2>/dev/null || true
unset 'replica_pid[1]'
wait_users
note "replica 1 stopped after $at_kill of this phase's $((users * rounds)) requests; replica 2 carried the rest"

# The verdict, from every request each user made.
python3 - "$work/requests.log" "$users" "$drained_on" "$new_on_app2" "$served1" "$served2" <<'PY'
import json, sys, collections
path, users, drained_on, new_on_app2, served1, served2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
by_user = collections.defaultdict(list)
failed, wrong_client, requests = 0, 0, 0
failures = []
for line in open(path):
    phase, user, ip, *rest = line.split()
    fields = dict(f.split("=", 1) for f in rest if "=" in f)
    requests += 1
    if fields.get("status") != "200":
        failed += 1
        failures.append(line.strip())
        continue
    if fields.get("client") != ip:
        wrong_client += 1
    by_user[int(user)].append((fields.get("backend"), int(fields.get("visits", "0"))))
moved, broken = 0, 0
for user, seen in by_user.items():
    if user > users:
        continue  # the drain phase's new users made one request each
    backends = {b for b, _ in seen}
    moved += len(backends) - 1
    # Visits count 1, 2, 3...: the session survived every request.
    if [v for _, v in seen] != list(range(1, len(seen) + 1)):
        broken += 1
spread = collections.Counter(seen[0][0] for u, seen in by_user.items() if u <= users)
summary = {
    "users": users, "requests": requests, "failed": failed, "sessions_moved": moved, "sessions_broken": broken,
    "wrong_client_address": wrong_client, "replicas_used": int(served1 > 0) + int(served2 > 0),
    "drained_on_replicas": drained_on, "new_sessions_on_drained": new_on_app2,
    "sessions_per_backend": [spread.get(f"app{i}", 0) for i in (1, 2, 3)],
}
for f in failures[:5]:
    print("failed:", f, file=sys.stderr)
print(json.dumps(summary))
PY
