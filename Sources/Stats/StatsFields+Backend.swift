extension StatsFields {
    /// Per backend: labelled `backend`. Counters are the loops' sums.
    public static let backend: [Backend] = [
        Backend(["name"], .info, "As configured.") { .text($0.name) },
        Backend(["address"], .info, "host:port") { .text($0.address) },
        Backend(["weight"], .info, "Share of new sessions relative to the others.") { .int($0.weight) },
        Backend(["route"], .info, "Tomcat `jvmRoute` suffix it answers to (null: none).") { .text($0.route) },
        Backend(["backup"], .info, "Takes traffic only while no primary is up.") { .flag($0.backup) },
        Backend(["state"], .info, column: "state", "`up`, `down`, `draining` or `maintenance`.") { .text($0.state) },
    ] + ["up", "down", "draining", "maintenance"].map { state in
        Backend(nil, metric: "tether_backend_state", labels: { [.init("backend", $0.name), .init("state", state)] }, .gauge,
                "1 while the backend is `\(state)`.") { .flag($0.state == state) }
            .family("The backend's state: 1 for the current one.")
    } + [
        Backend(["admin_state"], .info, "`active`, `draining` or `maintenance` (set by config or the admin endpoint).") { .text($0.adminState) },
        Backend(["healthy"], metric: "tether_backend_up", labels: named, .gauge, "Health checks and passive failures say it is up.") { .flag($0.healthUp) },
        Backend(["since"], .info, "Wall-clock seconds of the last health change.") { .int($0.since) },
        Backend(["check", "enabled"], .info, "Active health checks run.") { .flag($0.checksEnabled) },
        Backend(["check", "last"], .info, "The last check: `ok`, `status`, `latency_ms`, `detail`, `at` (null: none yet).") { .check($0.lastCheck) },
        Backend(["check", "history"], .info, "Recent checks, oldest first, as `last`.") { .checks($0.checkHistory) },
        Backend(["connections", "active"], metric: "tether_backend_active_connections", labels: named, .gauge, "Requests in flight to the backend.") {
            .int($0.activeConnections)
        },
        Backend(["connections", "idle"], metric: "tether_backend_idle_connections", labels: named, .gauge, "Idle pooled connections to the backend.") {
            .int($0.idleConnections)
        },
        Backend(["connections", "max_conns"], .info, "`max_conns` (0: no limit).") { .int($0.maxConns) },
        Backend(["connections", "queued"], metric: "tether_backend_queue", labels: named, .gauge, "Requests waiting for a slot (at `max_conns`).") {
            .int($0.queued)
        },
        counter(.queueRejected, ["connections", "queue_rejected"], "tether_backend_queue_rejected_total",
                "Requests refused with 503 at `max_conns`: queue full or `queue_timeout`."),
        counter(.requests, ["requests"], "tether_backend_requests_total", column: "requests", "Requests sent to the backend."),
        Backend(["rate", "1s"], .gauge, column: "req/s", "Requests per second over the last second.") { .number($0.rate1s) },
        Backend(["rate", "10s"], .gauge, "Requests per second over the last 10 s.") { .number($0.rate10s) },
        Backend(["rate", "60s"], .gauge, "Requests per second over the last minute.") { .number($0.rate60s) },
    ] + (1...5).map { k in
        let c = BackendCounter(rawValue: BackendCounter.responses1xx.rawValue + k - 1)!
        return Backend(["responses", "\(k)xx"], metric: "tether_backend_responses_total", labels: { [.init("backend", $0.name), .init("code", "\(k)xx")] },
                       .counter, column: k == 2 || k >= 4 ? "\(k)xx" : nil, "Responses with a \(k)xx status.") { .int($0[c]) }
            .family("Responses by status class.")
    } + [
        counter(.bytesIn, ["bytes", "in"], "tether_backend_received_bytes_total", "Request bytes sent to the backend (head and body)."),
        counter(.bytesOut, ["bytes", "out"], "tether_backend_sent_bytes_total", "Response body bytes relayed to clients."),
        counter(.retries, ["retries"], "tether_backend_retries_total", column: "retries", "Requests retried elsewhere after this backend failed."),
        counter(.failoversAway, ["failovers"], "tether_backend_failovers_total", column: "failovers", "Sessions that had to leave this backend."),
        counter(.newSessions, ["sessions", "new"], "tether_backend_new_sessions_total", column: "new", "New sessions placed on the backend."),
        counter(.stickyHits, ["sessions", "sticky_hits"], nil, column: "sticky", "Requests that reached their session's backend by its key."),
        counter(.routeHits, ["sessions", "route_hits"], nil, "Requests that reached their backend by a `jvmRoute` suffix."),
        Backend(nil, metric: "tether_backend_sticky_hits_total", labels: named, .counter,
                "Requests that reached their session's backend (by key or route).") { .int($0[.stickyHits] + $0[.routeHits]) },
        Backend(["sessions", "pinned_estimate"], metric: "tether_backend_sessions_pinned", labels: named, .gauge, column: "pinned",
                "Sessions pinned to the backend, estimated over the last 5-10 minutes (sticky mode).") { .int($0.sessionsPinned) },
        counter(.recreated, ["sessions", "recreated"], "tether_backend_sessions_recreated_total", column: "recreated",
                "Sessions that arrived by failover and were re-created."),
    ] + AffinityBreak.allCases.map { cause in
        Backend(["sessions", "broken", cause.name], metric: "tether_backend_affinity_broken_total",
                labels: { [.init("backend", $0.name), .init("cause", cause.name)] }, .counter,
                "Sessions whose affinity broke because \(Self.because(cause)).") { .int($0[cause.counter]) }
            .family("Sessions whose affinity broke, by cause: counted on the backend the session left (down, maintenance, refused, store_back), else where it landed (removed, forged, unknown_route, expired).")
    } + [
        Backend(["sessions", "broken", "total"], .counter, column: "broken", "All of the causes above (the dashboard lists them on hover).") { b in
            .int(AffinityBreak.allCases.reduce(0) { $0 + b[$1.counter] })
        },
        counter(.upgrades, ["tunnels", "upgrades"], "tether_backend_upgrades_total",
                "Requests the backend switched to another protocol (`101`, e.g. WebSocket)."),
        Backend(["tunnels", "open"], metric: "tether_backend_tunnels", labels: named, .gauge, column: "tunnels",
                "Tunnels (WebSockets) open now to the backend.") { .int($0[.tunnelsOpen]) },
        counter(.tunnelBytesIn, ["tunnels", "bytes_in"], "tether_backend_tunnel_received_bytes_total", "Tunnel bytes sent to the backend."),
        counter(.tunnelBytesOut, ["tunnels", "bytes_out"], "tether_backend_tunnel_sent_bytes_total", "Tunnel bytes relayed to clients."),
    ] + LocalAnswer.allCases.filter(\.isBackendSide).map { cause in
        Backend(["errors", cause.label], metric: "tether_backend_local_answers_total",
                labels: { [.init("backend", $0.name), .init("code", String(cause.status)), .init("cause", cause.label)] }, .counter,
                "Requests routed here that Tether answered \(cause.status) itself: \(cause.meaning).") { .int($0.traffic.answers[cause]) }
            .family("Requests routed to the backend that Tether answered itself, by status and cause (never in `responses`, which are the backend's own).")
    } + [
        Backend(["errors", "total"], .counter, column: "errors", "All of the causes above (the dashboard lists them on hover).") { b in
            .int(b.traffic.answers.total)
        },
        Backend(["latency_ms", "p50"], .gauge, column: "p50ms", "Response time, median (upper bound of its bucket).") { .number($0.traffic.latency.quantile(0.5)) },
        Backend(["latency_ms", "p90"], .gauge, "Response time, 90th percentile.") { .number($0.traffic.latency.quantile(0.9)) },
        Backend(["latency_ms", "p99"], .gauge, column: "p99ms", "Response time, 99th percentile.") { .number($0.traffic.latency.quantile(0.99)) },
        Backend(nil, metric: "tether_backend_response_seconds", labels: named, .histogram,
                "Time from sending a request to the end of its response (0.5 ms … 10 s).") { .histogram($0.traffic.latency) },
    ]

    static func because(_ cause: AffinityBreak) -> String {
        switch cause {
        case .down: return "this backend was marked down"
        case .maintenance: return "this backend is in maintenance"
        case .removed: return "a reload removed their backend (counted where they landed)"
        case .refused: return "the connection to this backend failed (retried elsewhere)"
        case .forged: return "their affinity cookie was not a seal of this secret (counted where they landed as new sessions)"
        case .unknownRoute: return "their application cookie names a route no backend has (counted where they landed)"
        case .expired: return "their affinity cookie passed `max_idle` or `max_life` (counted where they landed as new sessions)"
        case .storeBack: return "the session store came back after they were pinned here during its outage (`on_down=sticky`; their cookie is cleared)"
        }
    }

    @Sendable static func named(_ b: StatsSnapshot.Backend) -> [StatsField<StatsSnapshot.Backend>.Label] {
        [.init("backend", b.name)]
    }

    static func counter(_ c: BackendCounter, _ path: [String], _ metric: String?, column: String? = nil, _ help: String) -> Backend {
        Backend(path, metric: metric, labels: named, .counter, column: column, help) { .int($0[c]) }
    }
}
