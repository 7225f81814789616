import Proxy

/// `GET /metrics`: Prometheus text exposition format 0.0.4. Base units
/// (seconds, bytes), `_total` counters, `backend` labels, a latency histogram.
enum PrometheusText {
    static func render(_ s: StatsSnapshot) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let l = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
            out += "\(name)\(l) \(format(value))\n"
        }
        /// A family with one sample per backend, labelled `backend`.
        func perBackend(_ name: String, _ type: String, _ help: String, _ value: (StatsSnapshot.Backend) -> Double) {
            family(name, type, help)
            for b in s.backends { sample(name, [("backend", b.name)], value(b)) }
        }
        family("tether_build_info", "gauge", "Tether version.")
        sample("tether_build_info", [("version", s.version)], 1)
        family("tether_uptime_seconds", "gauge", "Seconds since the process started.")
        sample("tether_uptime_seconds", [], Double(s.uptimeSeconds))
        family("tether_connections", "gauge", "Client connections open now, per listener.")
        for l in s.listeners { sample("tether_connections", [("listener", l.address), ("tls", l.tls ? "true" : "false")], Double(l.current)) }
        family("tether_connections_idle", "gauge", "Client connections between requests, holding no buffers.")
        sample("tether_connections_idle", [], Double(s.connectionsIdle))
        family("tether_spare_exchanges", "gauge", "Per-request state with buffers kept ready by the loops.")
        sample("tether_spare_exchanges", [], Double(s.spareExchanges))
        family("tether_connections_total", "counter", "Client connections accepted, per listener.")
        for l in s.listeners { sample("tether_connections_total", [("listener", l.address), ("tls", l.tls ? "true" : "false")], Double(l.total)) }
        family("tether_tls_handshakes_total", "counter", "TLS handshakes per TLS listener: ok (of which resumed from a ticket) and failed (errors and timeouts).")
        for l in s.listeners where l.tls {
            sample("tether_tls_handshakes_total", [("listener", l.address), ("result", "ok")], Double(l.tlsHandshakes))
            sample("tether_tls_handshakes_total", [("listener", l.address), ("result", "failed")], Double(l.tlsFailed))
        }
        family("tether_tls_resumed_total", "counter", "TLS handshakes resumed from a session ticket, per TLS listener.")
        for l in s.listeners where l.tls { sample("tether_tls_resumed_total", [("listener", l.address)], Double(l.tlsResumed)) }
        family("tether_requests_total", "counter", "Requests received (answered by a backend or by Tether).")
        sample("tether_requests_total", [], Double(s.requests))
        family("tether_rejected_requests_total", "counter", "Requests Tether answered itself, by status.")
        for (status, reason) in StatsJSON.rejectReasons {
            sample("tether_rejected_requests_total", [("code", String(status)), ("reason", reason)], Double(s.rejected[status] ?? 0))
        }
        family("tether_config_reloads_total", "counter", "Configuration reloads, by result.")
        sample("tether_config_reloads_total", [("result", "success")], Double(s.reloads))
        sample("tether_config_reloads_total", [("result", "failure")], Double(s.reloadFailures))
        family("tether_session_store_up", "gauge", "1 when the session store answered its last PING.")
        if let url = s.store.url { sample("tether_session_store_up", [("store", url)], s.store.up == true ? 1 : 0) }

        perBackend("tether_backend_up", "gauge", "1 when the backend is healthy.") { b in b.healthUp ? 1 : 0 }
        family("tether_backend_state", "gauge", "The backend's state (1 for the current one).")
        for b in s.backends {
            for state in ["up", "down", "draining", "maintenance"] {
                sample("tether_backend_state", [("backend", b.name), ("state", state)], b.state == state ? 1 : 0)
            }
        }
        perBackend("tether_backend_active_connections", "gauge", "Requests in flight to the backend.") { b in Double(b.activeConnections) }
        perBackend("tether_backend_queue", "gauge", "Requests waiting for a slot of the backend (at max_conns).") { b in Double(b.queued) }
        perBackend("tether_backend_queue_rejected_total", "counter", "Requests refused with 503 at max_conns: queue full or queue_timeout.") { b in Double(b.queueRejected) }
        perBackend("tether_backend_idle_connections", "gauge", "Idle pooled connections to the backend.") { b in Double(b.idleConnections) }
        perBackend("tether_backend_requests_total", "counter", "Requests sent to the backend.") { b in Double(b.requests) }
        family("tether_backend_responses_total", "counter", "Responses by status class.")
        for b in s.backends {
            for (i, c) in b.responses.enumerated() { sample("tether_backend_responses_total", [("backend", b.name), ("code", "\(i + 1)xx")], Double(c)) }
        }
        perBackend("tether_backend_received_bytes_total", "counter", "Request bytes sent to the backend.") { b in Double(b.bytesIn) }
        perBackend("tether_backend_sent_bytes_total", "counter", "Response body bytes relayed from the backend.") { b in Double(b.bytesOut) }
        perBackend("tether_backend_retries_total", "counter", "Requests retried elsewhere after this backend failed.") { b in Double(b.retries) }
        perBackend("tether_backend_failovers_total", "counter", "Sessions that had to leave this backend.") { b in Double(b.failoversAway) }
        perBackend("tether_backend_new_sessions_total", "counter", "New sessions placed on the backend.") { b in Double(b.newSessions) }
        perBackend("tether_backend_sticky_hits_total", "counter", "Requests that reached their session's backend.") { b in Double(b.stickyHits + b.routeHits) }
        perBackend("tether_backend_sessions_recreated_total", "counter", "Sessions that arrived by failover and were re-created.") { b in Double(b.sessionsRecreated) }
        perBackend("tether_backend_sessions_pinned", "gauge", "Sessions pinned to the backend (estimate, last 5-10 minutes).") { b in Double(b.sessionsPinned) }
        family("tether_backend_response_seconds", "histogram", "Time from sending a request to the end of its response.")
        for b in s.backends {
            var cumulative = 0
            for (i, c) in b.latencyCounts.enumerated() {
                cumulative += c
                let le = i < b.latencyBoundsMillis.count ? format(b.latencyBoundsMillis[i] / 1000) : "+Inf"
                sample("tether_backend_response_seconds_bucket", [("backend", b.name), ("le", le)], Double(cumulative))
            }
            sample("tether_backend_response_seconds_sum", [("backend", b.name)], b.latencySumSeconds)
            sample("tether_backend_response_seconds_count", [("backend", b.name)], Double(cumulative))
        }
        return out
    }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
        return String(v)
    }

    static func escape(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
