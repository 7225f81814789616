#!/usr/bin/env bash
# Benchmarks Tether against nginx and HAProxy as round-robin proxies in front
# of the same 3 nginx backends (~100-byte `return 200`), with wrk.
#
# Layout on a 2-core machine: the proxy under test on core 0; wrk and the
# backends on core 1. The load core saturates first, so req/s alone does not
# separate the proxies: the script samples each proxy's CPU time over the run
# (utime+stime from /proc/PID/stat) and reports requests per proxy CPU-second.
#
# TLS rows: the same three proxies terminating TLS with one throw-away ECDSA
# P-256 certificate, all pinned to TLS 1.3 (left alone, this nginx picks 1.2,
# whose resumption is far cheaper: not a like-for-like row), all on the system
# OpenSSL. "tls" is keep-alive requests over TLS; "handshake" sends
# Connection: close, so every request is a new TCP connection and handshake
# (wrk resumes the session by ticket, as browsers do).
#
# Sticky rows: each proxy keyed on the application's JSESSIONID cookie
# (Tether `app_cookie JSESSIONID`, nginx `hash $cookie_JSESSIONID consistent`,
# HAProxy `balance hash req.cook(JSESSIONID)`), wrk sending 256 session ids
# in turn (scripts/lib/sticky.lua); the client never returns Tether's cookie.
# Cookie rows: clients that keep the proxy's own cookie, 256 of them (Tether's
# sealed TETHER cookie, HAProxy `cookie SERVERID insert`; nginx has no such
# cookie outside its commercial version), sent by scripts/lib/cookies.lua.
# The cost of sticky routing is read against "tether-rr-sticky": the
# round-robin Tether driven by the same wrk script (its Lua and the longer
# requests slow the load core, and a proxy that gets fewer requests per
# wake-up spends more CPU on each; comparing with the plain row would count
# that as the cost of stickiness).
#
#   scripts/bench.sh [--duration SECONDS] [--rounds N] [--connections N] [--no-tls]
#   scripts/bench.sh --profile          also, per proxy, user and kernel µs, system
#                                       calls, context switches and epoll_waits per
#                                       request (perf stat on the proxy's pid)
#   scripts/bench.sh --proxy-protocol   the PROXY protocol's cost. Rows tether and
#                                       tether-pp2: the same keep-alive client
#                                       (scripts/lib/keepload.c; wrk cannot send a
#                                       header once per connection) to Tether's plain
#                                       listener, and to its proxy_protocol listener
#                                       opening each connection with a PROXY v2
#                                       header. Rows tether-l4 and tether-l4-pp2: wrk
#                                       through an HAProxy TCP relay on the load core,
#                                       without and with send-proxy-v2
#   scripts/bench.sh --idle-cpu SECONDS CPU each proxy uses with no traffic at all
#                                       (after a short warm-up load), in % of a core
#   scripts/bench.sh --workers N        N loops / worker processes / threads per
#                                       proxy, nothing pinned (Tether `workers N`,
#                                       nginx `worker_processes N`, HAProxy `nbthread N`)
#   scripts/bench.sh --idle N           memory per idle keep-alive connection: N
#                                       clients send one request each, then idle;
#                                       the proxy's RSS growth / N, beside nginx's
#                                       and HAProxy's (--idle-tls: over TLS too)
#   scripts/bench.sh --websocket        WebSocket echo of small messages through each
#                                       proxy (client and echo backends:
#                                       scripts/lib/keepload.c): messages per proxy
#                                       CPU-second
#   scripts/bench.sh --idle-websocket N memory per idle WebSocket through each proxy
#   scripts/bench.sh --access-log       Tether and nginx each writing a JSON access
#                                       log to a file (nginx: log_format escape=json,
#                                       buffer=64k), beside the same proxies with
#                                       the log off: what the log costs
#   scripts/bench.sh --stats-overhead   Tether with its admin counters vs a build
#                                       with them compiled out (TETHER_NO_STATS)
#   scripts/bench.sh --baseline BIN     this Tether against another tether binary
#                                       (e.g. the last commit's), same config,
#                                       interleaved: the before/after of a change
#                                       without the VM's run-to-run drift (with
#                                       --idle: its idle memory beside this one's)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/install.sh
source scripts/lib/build.sh

duration=10
rounds=3
connections=50
stats_overhead=0
tls=1
idle=0
idle_tls=0
websocket=0
idle_ws=0
baseline_bin=""
profile=0
workers=1
idle_cpu=0
access_log=0
proxy_protocol=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --stats-overhead) stats_overhead=1; shift ;;
        --access-log) access_log=1; shift ;;
        --proxy-protocol) proxy_protocol=1; shift ;;
        --no-tls) tls=0; shift ;;
        --idle) idle="$2"; shift 2 ;;
        --idle-tls) idle_tls=1; shift ;;
        --websocket) websocket=1; shift ;;
        --idle-websocket) idle_ws="$2"; shift 2 ;;
        --baseline) baseline_bin="$(realpath "$2")"; shift 2 ;;
        --profile) profile=1; shift ;;
        --idle-cpu) idle_cpu="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        -h|--help) sed -n '2,60p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# The proxies on core 0, load and backends on core 1; with --workers N > 1
# nothing is pinned (the kernel spreads everything, as in production).
# (Prefixes, not functions: `$!` must be the proxy's own pid.)
on_proxy_core=(taskset -c 0); on_load_core=(taskset -c 1)
[[ $workers -gt 1 ]] && on_proxy_core=(env) && on_load_core=(env)
wrk_threads=$((workers > 1 ? 2 : 1))

need_packages wrk:wrk nginx:nginx-light haproxy:haproxy curl:curl openssl:openssl pkg-config:pkg-config openssl-dev:libssl-dev

swift_build -c release --product tether
tether_bin="$(swift build -c release --show-bin-path)/tether"
if [[ $stats_overhead -eq 1 ]]; then
    echo "building the comparison binary without stats counters (.build-nostats)..."
    swift_build -c release --product tether --scratch-path .build-nostats -Xswiftc -DTETHER_NO_STATS
    nostats_bin="$(swift build -c release --scratch-path .build-nostats --show-bin-path)/tether"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
# The load client for the PROXY and WebSocket rows, and the WebSocket backends.
keepload="$work/keepload"
for cc in "${CC:-cc}" clang gcc; do
    command -v "$cc" >/dev/null && "$cc" -O2 -o "$keepload" scripts/lib/keepload.c && break
done
[[ -x $keepload ]] || { echo "bench.sh: no C compiler built scripts/lib/keepload.c" >&2; exit 1; }

B1=19101; B2=19102; B3=19103
P_TETHER=18080; P_NGINX=18081; P_HAPROXY=18082
K_TETHER=18090; K_NGINX=18091; K_HAPROXY=18092  # sticky on JSESSIONID
C_HAPROXY=18093  # HAProxy cookie insert
P_LOG=18085; N_LOG=18086  # --access-log: JSON access log to a file
P_PP=18087; R_L4=18088; R_PP=18089  # --proxy-protocol: Tether's PROXY listener, the relay's two frontends
S_TETHER=18443; S_NGINX=18444; S_HAPROXY=18445
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
    -keyout "$work/site.key" -out "$work/site.pem" 2>/dev/null
cat "$work/site.pem" "$work/site.key" > "$work/site-combined.pem"  # HAProxy's crt wants both
body="tether-bench-backend-response-padded-to-about-one-hundred-bytes-of-body-text-0123456789abcdef"

cat > "$work/backends.conf" <<CONF
worker_processes 1;
daemon off;
error_log $work/backends-error.log;
pid $work/backends.pid;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$B1 reuseport; keepalive_requests 1000000; location / { return 200 "$body\n"; } }
    server { listen 127.0.0.1:$B2 reuseport; keepalive_requests 1000000; location / { return 200 "$body\n"; } }
    server { listen 127.0.0.1:$B3 reuseport; keepalive_requests 1000000; location / { return 200 "$body\n"; } }
}
CONF

cat > "$work/nginx-proxy.conf" <<CONF
worker_processes $workers;
daemon off;
error_log $work/proxy-error.log;
pid $work/proxy.pid;
worker_rlimit_nofile 19900;
events { worker_connections $((idle + idle_ws > 0 ? idle + 2 * idle_ws + 1000 : 4096)); }
http {
    access_log off;
    # The --access-log rows: the fields Tether's json format writes that nginx has.
    log_format json escape=json '{"time":"\$time_iso8601","client":"\$remote_addr","request":"\$request",'
        '"status":\$status,"upstream_status":"\$upstream_status","bytes_sent":\$body_bytes_sent,'
        '"bytes_received":\$request_length,"backend":"\$upstream_addr","connect_ms":"\$upstream_connect_time",'
        '"first_byte_ms":"\$upstream_header_time","backend_ms":"\$upstream_response_time","total_ms":\$request_time,'
        '"request_id":"\$request_id","tls_version":"\$ssl_protocol","sni":"\$ssl_server_name",'
        '"user_agent":"\$http_user_agent","referer":"\$http_referer"}';
    server {
        listen 127.0.0.1:$N_LOG;
        keepalive_requests 1000000;
        access_log $work/nginx-access.json json buffer=64k flush=1s;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    # WebSockets (the --websocket rows); other requests keep the pool's keep-alive.
    map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }
    upstream app {
        server 127.0.0.1:$B1;
        server 127.0.0.1:$B2;
        server 127.0.0.1:$B3;
        keepalive 64;
    }
    upstream sticky {
        hash \$cookie_JSESSIONID consistent;
        server 127.0.0.1:$B1;
        server 127.0.0.1:$B2;
        server 127.0.0.1:$B3;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$K_NGINX;
        keepalive_requests 1000000;
        location / {
            proxy_pass http://sticky;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server {
        listen 127.0.0.1:$P_NGINX;
        listen 127.0.0.1:$S_NGINX ssl;
        ssl_certificate $work/site.pem;
        ssl_certificate_key $work/site.key;
        ssl_protocols TLSv1.3;
        keepalive_requests 1000000;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 1h;
        }
    }
}
CONF

cat > "$work/haproxy.cfg" <<CONF
global
    nbthread $workers
    maxconn $((idle + idle_ws > 0 ? (idle + idle_ws + 100 < 9900 ? idle + idle_ws + 100 : 9900) : 4096))
    ulimit-n 19900
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout tunnel 1h
    http-reuse always
frontend fe
    bind 127.0.0.1:$P_HAPROXY
    bind 127.0.0.1:$S_HAPROXY ssl crt $work/site-combined.pem alpn http/1.1 ssl-min-ver TLSv1.3
    default_backend app
backend app
    balance roundrobin
    server b1 127.0.0.1:$B1
    server b2 127.0.0.1:$B2
    server b3 127.0.0.1:$B3
frontend fe_sticky
    bind 127.0.0.1:$K_HAPROXY
    default_backend sticky
frontend fe_cookie
    bind 127.0.0.1:$C_HAPROXY
    default_backend cookie
backend cookie
    balance roundrobin
    cookie SERVERID insert indirect nocache
    server b1 127.0.0.1:$B1 cookie b1
    server b2 127.0.0.1:$B2 cookie b2
    server b3 127.0.0.1:$B3 cookie b3
backend sticky
    balance hash req.cook(JSESSIONID)
    hash-type consistent
    server b1 127.0.0.1:$B1
    server b2 127.0.0.1:$B2
    server b3 127.0.0.1:$B3
CONF

if [[ $websocket -eq 1 || $idle_ws -gt 0 ]]; then
    for b in $B1 $B2 $B3; do "${on_load_core[@]}" "$keepload" echo "$b" & pids+=($!); done
else
    "${on_load_core[@]}" nginx -c "$work/backends.conf" & pids+=($!)
fi
cat > "$work/tether.conf" <<CONF
listen 127.0.0.1:$P_TETHER
listen 127.0.0.1:$S_TETHER tls cert=$work/site.pem key=$work/site.key min_version=1.3
admin 127.0.0.1:18099
workers $workers
max_connections $((idle + idle_ws > 0 ? idle + idle_ws + 1000 : 10000))
access_log off
routing balanced
health_check enabled=off
backend b1 127.0.0.1:$B1
backend b2 127.0.0.1:$B2
backend b3 127.0.0.1:$B3
CONF
[[ $proxy_protocol -eq 1 ]] && echo "listen 127.0.0.1:$P_PP proxy_protocol trusted=127.0.0.1" >> "$work/tether.conf"
"${on_proxy_core[@]}" "$tether_bin" run --config "$work/tether.conf" 2>"$work/tether.err" & pids+=($!)
tether_pid=$!
if [[ $proxy_protocol -eq 1 ]]; then
    # An L4 balancer in front, on the load core: the same relay to Tether's
    # plain listener and, with send-proxy-v2, to its PROXY listener.
    cat > "$work/relay.cfg" <<CONF
global
    maxconn 4000
    nbthread 1
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend l4
    bind 127.0.0.1:$R_L4
    default_backend plain
frontend pp2
    bind 127.0.0.1:$R_PP
    default_backend pp2
backend plain
    server t 127.0.0.1:$P_TETHER
backend pp2
    server t 127.0.0.1:$P_PP send-proxy-v2
CONF
    "${on_load_core[@]}" haproxy -f "$work/relay.cfg" -db 2>"$work/relay.err" & pids+=($!)
fi
sed -e "s/:$P_TETHER\$/:$K_TETHER/" -e "/ tls cert=/d" -e "/proxy_protocol/d" -e "s/^admin .*/admin 127.0.0.1:18097/" \
    -e "s/^routing balanced/routing sticky\napp_cookie JSESSIONID\nhash_secret bench-secret-0123456789abcdef/" \
    "$work/tether.conf" > "$work/tether-sticky.conf"
"${on_proxy_core[@]}" "$tether_bin" run --config "$work/tether-sticky.conf" 2>"$work/tether-sticky.err" & pids+=($!)
sticky_pid=$!
if [[ $access_log -eq 1 ]]; then
    sed -e "s/:$P_TETHER\$/:$P_LOG/" -e "/ tls cert=/d" -e "/proxy_protocol/d" -e "s/^admin .*/admin 127.0.0.1:18096/" \
        -e "s#^access_log off#access_log $work/tether-access.json format=json#" "$work/tether.conf" > "$work/tether-log.conf"
    "${on_proxy_core[@]}" "$tether_bin" run --config "$work/tether-log.conf" 2>"$work/tether-log.err" & pids+=($!)
    log_pid=$!
fi
P_NOSTATS=18083
if [[ $stats_overhead -eq 1 ]]; then
    "${on_proxy_core[@]}" "$nostats_bin" run --listen 127.0.0.1:$P_NOSTATS --workers 1 --access-log off \
        --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2 --backend 127.0.0.1:$B3 2>/dev/null & pids+=($!)
    nostats_pid=$!
fi
P_BASE=18084; S_BASE=18446
if [[ -n $baseline_bin ]]; then
    sed -e "s/:$P_TETHER\$/:$P_BASE/" -e "s/:$S_TETHER /:$S_BASE /" -e "/proxy_protocol/d" -e "s/^admin .*/admin 127.0.0.1:18098/" \
        "$work/tether.conf" > "$work/baseline.conf"
    "${on_proxy_core[@]}" "$baseline_bin" run --config "$work/baseline.conf" 2>"$work/baseline.err" & pids+=($!)
    baseline_pid=$!
fi
"${on_proxy_core[@]}" nginx -c "$work/nginx-proxy.conf" & pids+=($!)
"${on_proxy_core[@]}" haproxy -f "$work/haproxy.cfg" -db 2>"$work/haproxy.err" & pids+=($!)
haproxy_pid=$!

wait_port() {
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    echo "bench.sh: nothing answers on port $1" >&2
    exit 1
}
for p in $B1 $P_TETHER $P_NGINX $P_HAPROXY $K_TETHER $K_NGINX $K_HAPROXY $C_HAPROXY; do wait_port "$p"; done
for p in $S_TETHER $S_NGINX $S_HAPROXY; do
    for _ in $(seq 1 100); do curl -skf -o /dev/null "https://127.0.0.1:$p/" && break; sleep 0.1; done
done
[[ $stats_overhead -eq 1 ]] && wait_port $P_NOSTATS
[[ $access_log -eq 1 ]] && wait_port $P_LOG && wait_port $N_LOG
[[ $proxy_protocol -eq 1 ]] && wait_port $R_L4 && wait_port $R_PP
[[ -n $baseline_bin ]] && wait_port $P_BASE
# The cookies each proxy gave 256 new clients, for the cookie rows.
for _ in $(seq 1 256); do
    curl -s -o /dev/null -D - "http://127.0.0.1:$K_TETHER/" | tr -d '\r' | awk -F'[ ;]' '/^Set-Cookie: TETHER=/ {print $2}'
done > "$work/tether-cookie.cookies"
for _ in $(seq 1 256); do
    curl -s -o /dev/null -D - "http://127.0.0.1:$C_HAPROXY/" | tr -d '\r' | awk -F'[ ;]' '/^[Ss]et-[Cc]ookie: SERVERID=/ {print $2}'
done > "$work/haproxy-cookie.cookies"
# nginx's worker, not its master, does the proxying.
nginx_pid=$(pgrep -P "$(cat "$work/proxy.pid")" | paste -sd,)

# PIDS is comma-separated (nginx's workers); sums over them.
cpu_ticks() { local p; for p in ${1//,/ }; do cat "/proc/$p/stat"; done | awk '{s += $14 + $15} END {print s}'; }
user_ticks() { local p; for p in ${1//,/ }; do cat "/proc/$p/stat"; done | awk '{s += $14} END {print s}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

hz=$(getconf CLK_TCK)

declare -A round_pc  # requests per proxy CPU-second, per target and round
declare -A sum_rps sum_p50 sum_p99 sum_cpu sum_req sum_user sum_cs sum_sc sum_ew prof_req
targets=(direct tether nginx haproxy tether-sticky tether-rr-sticky nginx-sticky haproxy-sticky tether-cookie haproxy-cookie)
[[ $tls -eq 1 ]] && targets+=(tether-tls nginx-tls haproxy-tls tether-handshake nginx-handshake haproxy-handshake)
[[ $stats_overhead -eq 1 ]] && targets=(tether nostats)
[[ $access_log -eq 1 ]] && targets=(tether tether-log nginx nginx-log)
[[ $proxy_protocol -eq 1 ]] && targets=(tether tether-pp2 tether-l4 tether-l4-pp2)
if [[ -n $baseline_bin ]]; then
    targets=(tether baseline)
    [[ $tls -eq 1 ]] && targets+=(tether-tls baseline-tls tether-handshake baseline-handshake)
fi
url_of() {
    case "$1" in
        direct) echo "http://127.0.0.1:$B1/" ;;
        tether) echo "http://127.0.0.1:$P_TETHER/" ;;
        nginx) echo "http://127.0.0.1:$P_NGINX/" ;;
        haproxy) echo "http://127.0.0.1:$P_HAPROXY/" ;;
        tether-sticky) echo "http://127.0.0.1:$K_TETHER/" ;;
        tether-rr-sticky) echo "http://127.0.0.1:$P_TETHER/" ;;
        nginx-sticky) echo "http://127.0.0.1:$K_NGINX/" ;;
        haproxy-sticky) echo "http://127.0.0.1:$K_HAPROXY/" ;;
        tether-cookie) echo "http://127.0.0.1:$K_TETHER/" ;;
        haproxy-cookie) echo "http://127.0.0.1:$C_HAPROXY/" ;;
        nostats) echo "http://127.0.0.1:$P_NOSTATS/" ;;
        tether-log) echo "http://127.0.0.1:$P_LOG/" ;;
        tether-pp2) echo "http://127.0.0.1:$P_PP/" ;;
        tether-l4) echo "http://127.0.0.1:$R_L4/" ;;
        tether-l4-pp2) echo "http://127.0.0.1:$R_PP/" ;;
        nginx-log) echo "http://127.0.0.1:$N_LOG/" ;;
        baseline) echo "http://127.0.0.1:$P_BASE/" ;;
        baseline-*) echo "https://127.0.0.1:$S_BASE/" ;;
        tether-*) echo "https://127.0.0.1:$S_TETHER/" ;;
        nginx-*) echo "https://127.0.0.1:$S_NGINX/" ;;
        haproxy-*) echo "https://127.0.0.1:$S_HAPROXY/" ;;
    esac
}
# "handshake" rows: a new connection (and TLS handshake) per request.
wrk_run() { # TARGET WRK-ARGS...
    local t=$1; shift
    if [[ $proxy_protocol -eq 1 && ( $t == tether || $t == tether-pp2 ) ]]; then
        # keepload takes only the duration (wrk's -dNs) and always reports latency.
        local d header=()
        d=$(printf '%s\n' "$@" | sed -n 's/^-d\([0-9.]*\)s$/\1/p')
        [[ $t == tether-pp2 ]] && header=(proxy-v2)
        "${on_load_core[@]}" "$keepload" 127.0.0.1 "$(url_of "$t" | sed -E 's#.*:([0-9]+)/$#\1#')" "$connections" "$d" "${header[@]}"
        return
    fi
    case "$t" in
        *-handshake) "${on_load_core[@]}" wrk -t$wrk_threads -c"$connections" "$@" -H "Connection: close" "$(url_of "$t")" ;;
        *-sticky) "${on_load_core[@]}" wrk -t$wrk_threads -c"$connections" "$@" -s scripts/lib/sticky.lua "$(url_of "$t")" ;;
        *-cookie) "${on_load_core[@]}" wrk -t$wrk_threads -c"$connections" "$@" -s scripts/lib/cookies.lua "$(url_of "$t")" -- "$work/$t.cookies" ;;
        *) "${on_load_core[@]}" wrk -t$wrk_threads -c"$connections" "$@" "$(url_of "$t")" ;;
    esac
}
pid_of() { case "$1" in tether-sticky|tether-cookie) echo "$sticky_pid" ;; tether-log) echo "$log_pid" ;; tether*) echo "$tether_pid" ;; baseline*) echo "$baseline_pid" ;; nginx*) echo "$nginx_pid" ;; haproxy*) echo "$haproxy_pid" ;; nostats) echo "$nostats_pid" ;; *) echo "" ;; esac; }
to_ms() { # wrk latency (e.g. 512.00us, 1.20ms, 1.01s) -> milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# median_ratio A B: the median over rounds of A's requests per CPU-second
# over B's in the same round (interleaved runs: a pair shares the VM's
# drift, which moves single rounds by +-10 % here).
median_ratio() {
    local r
    for r in $(seq 1 "$rounds"); do
        awk -v a="${round_pc[$1,$r]}" -v b="${round_pc[$2,$r]}" 'BEGIN { if (b > 0) printf "%.4f\n", a / b }'
    done | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# idle_rss NAME PID N CMD...: KiB of PID's RSS per connection that CMD
# holds open, twice: "cold" (a proxy that has served nothing yet) and
# "steady" (the same again after the first connections closed and 3 s
# passed: what the proxy kept from the first burst, such as pools at their
# floors, grown fd-indexed tables and allocator arenas, is no longer charged
# to the connections). nginx and HAProxy keep what a burst made them
# allocate, so their steady figure is near zero: compare cold with cold.
# CMD reads a fifo as stdin (it keeps its N connections until that closes)
# and prints "ready" once they are open; RSS is sampled 3 s later, when
# Tether has freed the spares the burst left and returned pages (both on
# 1 s ticks), and compared with before. Prints "COLD STEADY".
idle_rss() {
    local name=$1 pid=$2 n=$3; shift 3
    local before after client pass result=""
    for pass in cold steady; do
        before=$(rss_kb "$pid")
        mkfifo "$work/hold-$name-$pass"
        "$@" < "$work/hold-$name-$pass" > "$work/$name.out" 2>&1 &
        client=$!
        exec 7> "$work/hold-$name-$pass"
        for _ in $(seq 1 2400); do
            grep -q '^ready' "$work/$name.out" 2>/dev/null && break
            kill -0 "$client" 2>/dev/null || break
            sleep 0.1
        done
        if ! grep -q '^ready' "$work/$name.out"; then
            echo "bench.sh: $name: the clients failed: $(cat "$work/$name.out")" >&2
            exec 7>&-; kill "$client" 2>/dev/null || true; exit 1
        fi
        sleep 3
        after=$(rss_kb "$pid")
        exec 7>&-
        wait "$client" 2>/dev/null || true
        result+="$(awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN{printf "%.2f", (a-b)/n}') "
        sleep 3
    done
    echo "${result% }"
}

if [[ $idle_cpu -gt 0 ]]; then
    # An idle proxy should burn nothing: after a 2 s load (pools and
    # buffers exist, then go idle), CPU over SECONDS with no traffic.
    idle_targets=(tether nginx haproxy)
    [[ -n $baseline_bin ]] && idle_targets=(tether baseline nginx haproxy)
    for t in "${idle_targets[@]}"; do wrk_run "$t" -d2s >/dev/null; done
    sleep 2
    declare -A idle_before
    for t in "${idle_targets[@]}"; do idle_before[$t]=$(cpu_ticks "$(pid_of "$t")"); done
    sleep "$idle_cpu"
    echo "| proxy | CPU with no traffic over ${idle_cpu} s (% of a core) |"
    echo "|---|---|"
    for t in "${idle_targets[@]}"; do
        after=$(cpu_ticks "$(pid_of "$t")")
        echo "| $t | $(awk -v d=$((after - idle_before[$t])) -v hz="$hz" -v s="$idle_cpu" 'BEGIN{printf "%.3f", 100 * d / hz / s}') |"
    done
    exit 0
fi

if [[ $idle_ws -gt 0 ]]; then
    # Memory per idle WebSocket: RSS after N upgraded connections went
    # quiet (3 s: pools trimmed), minus before.
    echo "idle WebSockets: $idle_ws per proxy"
    declare -A per_ws
    for t in tether nginx haproxy; do
        pid=$(pid_of "$t")
        port=$(url_of "$t" | sed -E 's#.*:([0-9]+)/$#\1#')
        per_ws[$t]=$(idle_rss "ws-$t" "$pid" "$idle_ws" "${on_load_core[@]}" "$keepload" idle 127.0.0.1 "$port" "$idle_ws")
        printf '  %-8s %5d idle WebSockets: %s KiB each (cold, steady)\n' "$t" "$idle_ws" "${per_ws[$t]}"
    done
    echo
    echo "| proxy | KiB per idle WebSocket, cold | steady |"
    echo "|---|---|---|"
    for t in tether nginx haproxy; do read -r c w <<<"${per_ws[$t]}"; echo "| $t | $c | $w |"; done
    exit 0
fi

if [[ $websocket -eq 1 ]]; then
    # Small WebSocket messages echoed through each proxy: $connections
    # connections, each sending a 32-byte frame and waiting for its echo;
    # the proxy's CPU per message decides the comparison. The client and the
    # echo backends are keepload (C, epoll): with Python's asyncio on the
    # load core the proxies idled between messages and the rows measured
    # their wake-ups (0.24 context switches per message) more than their
    # tunnels.
    declare -A ws_msgs ws_cpu
    for t in tether nginx haproxy; do ws_msgs[$t]=0; ws_cpu[$t]=0; done
    ws_port() { url_of "$1" | sed -E 's#.*:([0-9]+)/$#\1#'; }
    for t in tether nginx haproxy; do "${on_load_core[@]}" "$keepload" ws 127.0.0.1 "$(ws_port "$t")" "$connections" 1 32 >/dev/null; done
    ws_targets=(tether nginx haproxy)
    for r in $(seq 1 "$rounds"); do
        order=("${ws_targets[@]}")
        (( r % 2 == 0 )) && order=(haproxy nginx tether)
        for t in "${order[@]}"; do
            pid=$(pid_of "$t")
            before=$(cpu_ticks "$pid")
            n=$("${on_load_core[@]}" "$keepload" ws 127.0.0.1 "$(ws_port "$t")" "$connections" "$duration" 32)
            after=$(cpu_ticks "$pid")
            printf '  round %d %-8s %8d messages  %8.0f msg/s  cpu %5.2f s\n' "$r" "$t" "$n" \
                "$(awk -v n="$n" -v d="$duration" 'BEGIN{print n/d}')" "$(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN{print d/hz}')"
            ws_msgs[$t]=$((ws_msgs[$t] + n))
            ws_cpu[$t]=$((ws_cpu[$t] + after - before))
            round_pc[$t,$r]=$(awk -v n="$n" -v c=$((after - before)) -v hz="$hz" 'BEGIN{ if (c > 0) printf "%.0f", n / (c / hz); else print 0 }')
        done
    done
    echo
    echo "$(date -u +%Y-%m-%d) on $(nproc) cores; WebSocket echo, 32-byte messages, $connections connections, ${rounds}x${duration}s interleaved (ABBA)"
    echo "| proxy | messages/s | messages per proxy CPU-s |"
    echo "|---|---|---|"
    declare -A ws_per
    for t in tether nginx haproxy; do
        ws_per[$t]=$(awk -v m="${ws_msgs[$t]}" -v c="${ws_cpu[$t]}" -v hz="$hz" 'BEGIN{ if (c > 0) printf "%.0f", m / (c / hz); else print "?" }')
        echo "| $t | $(awk -v m="${ws_msgs[$t]}" -v n="$rounds" -v d="$duration" 'BEGIN{printf "%.0f", m/(n*d)}') | ${ws_per[$t]} |"
    done
    awk -v t="${ws_per[tether]}" -v n="${ws_per[nginx]}" -v h="${ws_per[haproxy]}" \
        'BEGIN { printf "totals: tether/nginx %.3fx, tether/haproxy %.3fx (messages per proxy CPU-second)\n", t/n, t/h }'
    echo "median of rounds: tether/nginx $(median_ratio tether nginx)x, tether/haproxy $(median_ratio tether haproxy)x"
    exit 0
fi

if [[ $idle -gt 0 ]]; then
    # Memory per idle connection: RSS after N clients made one request each
    # and went quiet (3 s, so Tether's pool has freed the spares the burst
    # left and malloc_trim has run, both once a second), minus before.
    echo "idle keep-alive connections: $idle per proxy"
    declare -A per_idle
    # HAProxy reserves two descriptors per connection and refuses to start if
    # the hard limit (20000 here) cannot cover maxconn: it gets at most 9,800.
    hap_idle=$((idle < 9800 ? idle : 9800))
    idle_targets=(tether nginx haproxy)
    [[ -n $baseline_bin ]] && idle_targets=(tether baseline nginx haproxy)
    [[ $idle_tls -eq 1 ]] && idle_targets+=(tether-tls nginx-tls haproxy-tls)
    for t in "${idle_targets[@]}"; do
        n=$idle; [[ $t == haproxy* ]] && n=$hap_idle
        pid=$(pid_of "$t")
        port=$(url_of "$t" | sed -E 's#.*:([0-9]+)/$#\1#')
        mode=plain; [[ $t == *-tls ]] && mode=tls
        per_idle[$t]=$(idle_rss "idle-$t" "$pid" "$n" python3 scripts/lib/idle_clients.py 127.0.0.1 "$port" "$n" 300 "$mode")
        printf '  %-11s %5d idle: %s KiB per idle connection (cold, steady)\n' "$t" "$n" "${per_idle[$t]}"
        sleep 1
    done
    echo
    echo "| proxy | KiB per idle keep-alive connection, cold | steady |"
    echo "|---|---|---|"
    for t in "${idle_targets[@]}"; do read -r c w <<<"${per_idle[$t]}"; echo "| $t | $c | $w |"; done
    exit 0
fi

for t in "${targets[@]}"; do sum_rps[$t]=0; sum_p50[$t]=0; sum_p99[$t]=0; sum_cpu[$t]=0; sum_req[$t]=0; done
echo "warming up..."
for t in "${targets[@]}"; do wrk_run "$t" -d2s >/dev/null; done

# With --profile, one more round with perf stat attached to each proxy: its
# counts only (perf adds kernel time to every system call, so that round's
# CPU and requests stay out of the sums).
# Even rounds run the targets in reverse order (ABBA): a target's place in
# the round (right after another load, or first after a pause) and the
# VM's slow drift then weigh on every target alike.
for r in $(seq 1 $((rounds + profile))); do
    profiled=0; [[ $r -gt $rounds ]] && profiled=1
    order=("${targets[@]}")
    if (( r % 2 == 0 )); then order=(); for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done; fi
    for t in "${order[@]}"; do
        pid=$(pid_of "$t")
        if [[ $profiled -eq 1 ]]; then
            [[ -z "$pid" ]] && continue
            perf stat -x, -o "$work/perf.out" -p "$pid" \
                -e context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_pwait2 2>/dev/null &
            perf_pid=$!
            sleep 0.3  # perf attaches
            out=$(wrk_run "$t" -d"${duration}s")
            kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
            reqs=$(awk '/requests in/ {print $1}' <<<"$out")
            counts=$(awk -F, '$3 == "context-switches" {c = $1} $3 == "raw_syscalls:sys_enter" {s = $1}
                $3 ~ /sys_enter_epoll_(p)?wait2?$/ {e += $1} END {print c + 0, s + 0, e + 0}' "$work/perf.out")
            read -r cs sc ew <<<"$counts"
            prof_req[$t]=$reqs; sum_cs[$t]=$cs; sum_sc[$t]=$sc; sum_ew[$t]=$ew
            continue
        fi
        before=0; [[ -n "$pid" ]] && before=$(cpu_ticks "$pid")
        ubefore=0; [[ -n "$pid" ]] && ubefore=$(user_ticks "$pid")
        out=$(wrk_run "$t" -d"${duration}s" --latency)
        after=0; [[ -n "$pid" ]] && after=$(cpu_ticks "$pid")
        uafter=0; [[ -n "$pid" ]] && uafter=$(user_ticks "$pid")
        sum_user[$t]=$(( ${sum_user[$t]:-0} + uafter - ubefore ))
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        reqs=$(awk '/requests in/ {print $1}' <<<"$out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
        errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
        [[ -n "$errors" ]] && echo "  $t round $r: $errors"
        printf '  round %d %-17s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms  cpu %5.2f s\n' "$r" "$t" "$rps" "$p50" "$p99" "$(awk -v d=$((after - before)) -v hz="$hz" 'BEGIN{print d/hz}')"
        sum_rps[$t]=$(awk -v a="${sum_rps[$t]}" -v b="$rps" 'BEGIN{print a+b}')
        sum_req[$t]=$(awk -v a="${sum_req[$t]}" -v b="$reqs" 'BEGIN{print a+b}')
        sum_p50[$t]=$(awk -v a="${sum_p50[$t]}" -v b="$p50" 'BEGIN{print a+b}')
        sum_p99[$t]=$(awk -v a="${sum_p99[$t]}" -v b="$p99" 'BEGIN{print a+b}')
        sum_cpu[$t]=$((sum_cpu[$t] + after - before))
        round_pc[$t,$r]=$(awk -v n="$reqs" -v c=$((after - before)) -v hz="$hz" 'BEGIN{ if (c > 0) printf "%.0f", n / (c / hz); else print 0 }')
        # Keep the disk out of it: the log files start empty each round
        # (both proxies append, so truncating is safe).
        [[ $access_log -eq 1 ]] && : > "$work/tether-access.json" && : > "$work/nginx-access.json"
    done
done

echo
echo "$(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); wrk -c$connections, ${rounds}x${duration}s interleaved"
printf '| %-17s | %10s | %8s | %8s | %22s |\n' target "req/s" "p50 ms" "p99 ms" "req per proxy CPU-s"
printf '|%s|%s|%s|%s|%s|\n' ------------------- ------------ ---------- ---------- ------------------------
declare -A per_cpu avg_rps
for t in "${targets[@]}"; do
    rps=$(awk -v a="${sum_rps[$t]}" -v n="$rounds" 'BEGIN{printf "%.0f", a/n}')
    p50=$(awk -v a="${sum_p50[$t]}" -v n="$rounds" 'BEGIN{printf "%.3f", a/n}')
    p99=$(awk -v a="${sum_p99[$t]}" -v n="$rounds" 'BEGIN{printf "%.3f", a/n}')
    if [[ "$t" == direct ]]; then
        pc="n/a (no proxy)"
    else
        pc=$(awk -v r="${sum_req[$t]}" -v c="${sum_cpu[$t]}" -v hz="$hz" 'BEGIN{ if (c > 0) printf "%.0f", r / (c / hz); else print "?" }')
        per_cpu[$t]=$pc
    fi
    printf '| %-17s | %10s | %8s | %8s | %22s |\n' "$t" "$rps" "$p50" "$p99" "$pc"
    avg_rps[$t]=$rps
done
echo
if [[ $profile -eq 1 ]]; then
    # Where each proxy's time goes, per request served (CPU from /proc at
    # clock-tick resolution; counts from perf stat, which itself adds a
    # little kernel time to every system call, alike for all three).
    printf '| %-17s | %12s | %14s | %14s | %15s | %14s |\n' target "user µs/req" "kernel µs/req" "syscalls/req" "ctx switch/req" "epoll_wait/req"
    printf '|%s|%s|%s|%s|%s|%s|\n' ------------------- -------------- ---------------- ---------------- ----------------- ----------------
    for t in "${targets[@]}"; do
        [[ "$t" == direct ]] && continue
        awk -v t="$t" -v r="${sum_req[$t]}" -v c="${sum_cpu[$t]}" -v u="${sum_user[$t]}" -v hz="$hz" -v pr="${prof_req[$t]:-0}" \
            -v cs="${sum_cs[$t]:-0}" -v sc="${sum_sc[$t]:-0}" -v ew="${sum_ew[$t]:-0}" \
            'BEGIN { if (pr == 0) pr = 1; printf "| %-17s | %12.2f | %14.2f | %14.2f | %15.3f | %14.3f |\n", t, u / hz * 1e6 / r, (c - u) / hz * 1e6 / r, sc / pr, cs / pr, ew / pr }'
    done
    echo
fi
if [[ $access_log -eq 1 ]]; then
    awk -v t="${per_cpu[tether]}" -v tl="${per_cpu[tether-log]}" -v n="${per_cpu[nginx]}" -v nl="${per_cpu[nginx-log]}" \
        'BEGIN { printf "access log per proxy CPU-s, totals:          Tether JSON log / log off %.3fx (nginx %.3fx); Tether JSON log / nginx JSON log %.2fx\n", tl/t, nl/n, tl/nl }'
    echo "access log per proxy CPU-s, median of rounds: Tether JSON log / log off $(median_ratio tether-log tether)x (nginx $(median_ratio nginx-log nginx)x); Tether JSON log / nginx JSON log $(median_ratio tether-log nginx-log)x"
    exit 0
fi
if [[ $proxy_protocol -eq 1 ]]; then
    awk -v t="${per_cpu[tether]}" -v p="${per_cpu[tether-pp2]}" -v l="${per_cpu[tether-l4]}" -v lp="${per_cpu[tether-l4-pp2]}" \
        'BEGIN { printf "PROXY v2 per proxy CPU-s, totals:          PROXY v2 / plain (keepload) %.3fx; behind the relay with / without send-proxy-v2 %.3fx\n", p/t, lp/l }'
    echo "PROXY v2 per proxy CPU-s, median of rounds: PROXY v2 / plain (keepload) $(median_ratio tether-pp2 tether)x; behind the relay with / without send-proxy-v2 $(median_ratio tether-l4-pp2 tether-l4)x"
    exit 0
fi
if [[ $stats_overhead -eq 1 ]]; then
    awk -v t="${per_cpu[tether]}" -v n="${per_cpu[nostats]}" -v a="${sum_rps[tether]}" -v b="${sum_rps[nostats]}" \
        'BEGIN { printf "stats on / stats compiled out: req/s %.3fx, requests per proxy CPU-second %.3fx\n", a/b, t/n }'
    exit 0
fi
if [[ -n $baseline_bin ]]; then
    for sfx in "" -tls -handshake; do
        [[ -z "${per_cpu[tether$sfx]:-}" ]] && continue
        awk -v g="${sfx:--plain}" -v t="${per_cpu[tether$sfx]}" -v b="${per_cpu[baseline$sfx]}" \
            -v rt="${avg_rps[tether$sfx]}" -v rb="${avg_rps[baseline$sfx]}" \
            'BEGIN { printf "%-10s this/baseline: req/s %.3fx, requests per proxy CPU-second %.3fx\n", substr(g, 2), rt/rb, t/b }'
    done
    exit 0
fi
ratios() { # GROUP SUFFIX
    awk -v g="$1" -v t="${per_cpu[tether$2]}" -v n="${per_cpu[nginx$2]}" -v h="${per_cpu[haproxy$2]}" \
        -v rt="${avg_rps[tether$2]}" -v rn="${avg_rps[nginx$2]}" -v rh="${avg_rps[haproxy$2]}" \
        'BEGIN { printf "%-10s req/s Tether/nginx %.2fx, Tether/HAProxy %.2fx; per proxy CPU-s Tether/nginx %.2fx, Tether/HAProxy %.2fx\n", g, rt/rn, rt/rh, t/n, t/h }'
}
ratios plain ""
ratios sticky -sticky
awk -v s="${per_cpu[tether-sticky]:-0}" -v t="${per_cpu[tether-cookie]:-0}" -v h="${per_cpu[haproxy-cookie]:-0}" -v rr="${per_cpu[tether-rr-sticky]:-0}" \
    'BEGIN { if (h > 0 && rr > 0) printf "cookie     per proxy CPU-s Tether sealed cookie / HAProxy cookie insert %.2fx\nvs rr      per proxy CPU-s, against round-robin Tether under the same wrk script: app cookie %.2fx, sealed cookie %.2fx\n", t/h, s/rr, t/rr }'
if [[ $tls -eq 1 ]]; then
    ratios tls -tls
    ratios handshake -handshake
fi
echo "median of rounds (paired, per proxy CPU-s): plain Tether/nginx $(median_ratio tether nginx)x, Tether/HAProxy $(median_ratio tether haproxy)x;" \
    "app cookie/rr $(median_ratio tether-sticky tether-rr-sticky)x, /nginx hash $(median_ratio tether-sticky nginx-sticky)x, /HAProxy hash $(median_ratio tether-sticky haproxy-sticky)x;" \
    "sealed/rr $(median_ratio tether-cookie tether-rr-sticky)x, /HAProxy cookie insert $(median_ratio tether-cookie haproxy-cookie)x"
