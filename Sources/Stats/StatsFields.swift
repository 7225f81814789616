/// The stats table: every number and fact the admin endpoint reports, in the
/// order `/stats` writes them. Adding a counter: a case in `BackendCounter`
/// (or `ListenerCounter`), the line that counts it, and a row here; the
/// outputs and docs/ADMIN.md follow (a test fails until the doc is
/// regenerated with `tether stats-reference`).
public enum StatsFields {
    public typealias Global = StatsField<StatsSnapshot>
    public typealias Listener = StatsField<StatsSnapshot.Listener>
    public typealias Backend = StatsField<StatsSnapshot.Backend>

    public static let global: [Global] = [
        Global(["version"], metric: "tether_build_info", labels: { [.init("version", $0.version)] }, .info,
               "Tether's version (the metric is 1, with the version as a label).") { .text($0.version) }
            .sampled { _ in .int(1) }.family("Tether's version, as a label."),
        Global(["uptime_seconds"], metric: "tether_uptime_seconds", .gauge, "Seconds since the process started.") { .int($0.uptimeSeconds) },
        Global(["loops"], .info, "Event loops (`workers`).") { .int($0.loops) },
        Global(["routing", "mode"], .info, "`sticky` or `balanced` (as configured, or sticky while the store is down with `on_down=sticky`).") { .text($0.routingMode) },
        Global(["routing", "balance"], .info, "`round_robin` or `least_conn`: how new sessions are placed.") { .text($0.balance) },
        Global(["routing", "fingerprint"], metric: "tether_routing_fingerprint_info", labels: { [.init("fingerprint", $0.fingerprint)] }, .info,
               "16 hex digits hashing everything that decides routing (backends, routes, weights, cookies, `hash_secret` as the key); replicas that agree show the same (the metric is 1, with it as a label).") { .text($0.fingerprint) }
            .sampled { _ in .int(1) }.family("The routing configuration's fingerprint, as a label: replicas that route alike have the same."),
        Global(["connections", "current"], .gauge, "Client connections open now (tunnels and lingering closes included).") { .int($0.connectionsCurrent) },
        Global(["connections", "total"], .counter, "Client connections accepted.") { .int($0.connectionsTotal) },
        Global(["connections", "idle"], metric: "tether_connections_idle", .gauge,
               "Client connections between requests, holding no buffers.") { .int($0.connectionsIdle) },
        Global(["connections", "spare_exchanges"], metric: "tether_spare_exchanges", .gauge,
               "Per-request state with buffers kept ready by the loops.") { .int($0.spareExchanges) },
        .rows(["connections", "listeners"], .listeners, "One object per listener (below)."),
        Global(["requests"], metric: "tether_requests_total", .counter, "Requests received (answered by a backend or by Tether).") { .int($0.requests) },
    ] + LocalAnswer.allCases.map { cause in
        Global(["rejected", cause.label], metric: "tether_rejected_requests_total",
               labels: { _ in [.init("code", String(cause.status)), .init("cause", cause.label)] }, .counter,
               "\(cause.status): \(cause.meaning).") { .int($0.rejected[cause]) }
            .family("Requests Tether answered itself, by status and cause (a backend's own statuses are in tether_backend_responses_total).")
    } + [
        Global(["rejected", "total"], .counter, "All of Tether's own error answers (the causes above).") { s in
            .int(s.rejected.total)
        },
        Global(["redirects"], metric: "tether_redirects_total", .counter, "Requests answered with the redirect to https (`redirect_https` listeners).") { .int($0.redirects) },
        Global(["reloads", "succeeded"], metric: "tether_config_reloads_total", labels: { _ in [.init("result", "success")] },
               .counter, "Configuration reloads, by result.") { .int($0.reloads) },
        Global(["reloads", "failed"], metric: "tether_config_reloads_total", labels: { _ in [.init("result", "failure")] },
               .counter, "Configuration reloads, by result.") { .int($0.reloadFailures) },
        Global(["reloads", "last_error"], .info, "Why the last failed reload failed (null: none failed).") { .text($0.lastReloadError) },
        Global(["session_store", "url"], .info, "The configured session store (null: none).") { .text($0.store.url) },
        Global(["session_store", "state"], metric: "tether_session_store_up", labels: { [.init("store", $0.store.url ?? "")] },
               .gauge, "`up`, `down`, `unknown` (not checked yet) or `none`; the metric is 1 when it answered its last PING.") { s in
            .text(s.store.url == nil ? "none" : s.store.up.map { $0 ? "up" : "down" } ?? "unknown")
        }.sampled { s in s.store.url == nil ? .absent : .flag(s.store.up == true) }
            .family("1 when the session store answered its last PING."),
        Global(["session_store", "last_error"], .info, "The store's last error (null: none).") { .text($0.store.lastError) },
        .rows(["backends"], .backends, "One object per backend (below)."),
    ]

    /// Per listener: labelled `listener` (and `tls` for the connection counts).
    public static let listener: [Listener] = [
        Listener(["address"], .info, "As configured.") { .text($0.address) },
        Listener(["tls"], .info, "Whether the listener terminates TLS.") { .flag($0.tls) },
        Listener(["current"], metric: "tether_connections", labels: connectionLabels, .gauge, "Client connections open now, per listener.") {
            .int($0.counters[.current])
        },
        Listener(["total"], metric: "tether_connections_total", labels: connectionLabels, .counter, "Client connections accepted, per listener.") {
            .int($0.counters[.total])
        },
        Listener(["tls_handshakes", "ok"], metric: "tether_tls_handshakes_total", labels: { [.init("listener", $0.address), .init("result", "ok")] },
                 .counter, "TLS handshakes finished (TLS listeners only).") { tlsOnly($0, .tlsHandshakes) }
            .family("TLS handshakes per TLS listener, by result: `ok`, or `failed` (errors, old protocol versions, garbage, `handshake_timeout`)."),
        Listener(["tls_handshakes", "resumed"], metric: "tether_tls_resumed_total", labels: { [.init("listener", $0.address)] },
                 .counter, "Of those, resumed from a session ticket.") { tlsOnly($0, .tlsResumed) }
            .family("TLS handshakes resumed from a session ticket, per TLS listener."),
        Listener(["tls_handshakes", "failed"], metric: "tether_tls_handshakes_total", labels: { [.init("listener", $0.address), .init("result", "failed")] },
                 .counter, "TLS handshakes that failed: errors, old protocol versions, garbage, `handshake_timeout`.") { tlsOnly($0, .tlsFailed) }
            .family("TLS handshakes per TLS listener, by result: `ok`, or `failed` (errors, old protocol versions, garbage, `handshake_timeout`)."),
        Listener(["proxy_headers", "ok"], metric: "tether_proxy_headers_total", labels: { [.init("listener", $0.address), .init("result", "ok")] },
                 .counter, "PROXY headers taken (`proxy_protocol` listeners only).") { proxyOnly($0, .proxyHeaders) }
            .family("PROXY protocol headers per `proxy_protocol` listener, by result: `ok`, or why the connection was closed: `untrusted` (a source outside `trusted=`), `malformed`, `truncated` (closed or `handshake_timeout` before the header ended), `oversized`."),
        Listener(["proxy_headers", "untrusted"], metric: "tether_proxy_headers_total", labels: { [.init("listener", $0.address), .init("result", "untrusted")] },
                 .counter, "Connections closed: the source is outside the listener's `trusted=` networks.") { proxyOnly($0, .proxyUntrusted) }
            .family("PROXY protocol headers per `proxy_protocol` listener, by result: `ok`, or why the connection was closed: `untrusted` (a source outside `trusted=`), `malformed`, `truncated` (closed or `handshake_timeout` before the header ended), `oversized`."),
        Listener(["proxy_headers", "malformed"], metric: "tether_proxy_headers_total", labels: { [.init("listener", $0.address), .init("result", "malformed")] },
                 .counter, "Connections closed: not a valid PROXY v1 or v2 header.") { proxyOnly($0, .proxyMalformed) }
            .family("PROXY protocol headers per `proxy_protocol` listener, by result: `ok`, or why the connection was closed: `untrusted` (a source outside `trusted=`), `malformed`, `truncated` (closed or `handshake_timeout` before the header ended), `oversized`."),
        Listener(["proxy_headers", "truncated"], metric: "tether_proxy_headers_total", labels: { [.init("listener", $0.address), .init("result", "truncated")] },
                 .counter, "Connections closed: the header did not end before the client closed or `handshake_timeout` passed.") { proxyOnly($0, .proxyTruncated) }
            .family("PROXY protocol headers per `proxy_protocol` listener, by result: `ok`, or why the connection was closed: `untrusted` (a source outside `trusted=`), `malformed`, `truncated` (closed or `handshake_timeout` before the header ended), `oversized`."),
        Listener(["proxy_headers", "oversized"], metric: "tether_proxy_headers_total", labels: { [.init("listener", $0.address), .init("result", "oversized")] },
                 .counter, "Connections closed: a header longer than v1's 107 bytes or v2's 1,024.") { proxyOnly($0, .proxyOversized) }
            .family("PROXY protocol headers per `proxy_protocol` listener, by result: `ok`, or why the connection was closed: `untrusted` (a source outside `trusted=`), `malformed`, `truncated` (closed or `handshake_timeout` before the header ended), `oversized`."),
    ]

    @Sendable static func connectionLabels(_ l: StatsSnapshot.Listener) -> [StatsField<StatsSnapshot.Listener>.Label] {
        [.init("listener", l.address), .init("tls", l.tls ? "true" : "false")]
    }

    static func proxyOnly(_ l: StatsSnapshot.Listener, _ c: ListenerCounter) -> StatsValue {
        l.proxyProtocol ? .int(l.counters[c]) : .absent
    }

    static func tlsOnly(_ l: StatsSnapshot.Listener, _ c: ListenerCounter) -> StatsValue {
        l.tls ? .int(l.counters[c]) : .absent
    }
}
