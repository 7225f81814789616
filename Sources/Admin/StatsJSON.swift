import Proxy

/// `GET /stats`: the snapshot as JSON. The schema is documented in docs/ADMIN.md.
enum StatsJSON {
    static func render(_ s: StatsSnapshot) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.value("version", s.version)
        w.value("uptime_seconds", s.uptimeSeconds)
        w.value("loops", s.loops)
        w.beginObject("routing")
        w.value("mode", s.routingMode)
        w.value("balance", s.balance)
        w.endObject()
        w.beginObject("connections")
        w.value("current", s.connectionsCurrent)
        w.value("total", s.connectionsTotal)
        w.value("idle", s.connectionsIdle)
        w.value("spare_exchanges", s.spareExchanges)
        w.beginArray("listeners")
        for l in s.listeners {
            w.beginObject()
            w.value("address", l.address)
            w.value("tls", l.tls)
            w.value("current", l.current)
            w.value("total", l.total)
            if l.tls {
                w.beginObject("tls_handshakes")
                w.value("ok", l.tlsHandshakes)
                w.value("resumed", l.tlsResumed)
                w.value("failed", l.tlsFailed)
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.value("requests", s.requests)
        w.beginObject("rejected")
        for (status, reason) in rejectReasons { w.value(reason, s.rejected[status] ?? 0) }
        w.value("other", s.rejected.filter { k, _ in !rejectReasons.contains { $0.0 == k } }.values.reduce(0, +))
        w.endObject()
        w.beginObject("reloads")
        w.value("succeeded", s.reloads)
        w.value("failed", s.reloadFailures)
        w.value("last_error", s.lastReloadError)
        w.endObject()
        w.beginObject("session_store")
        w.value("url", s.store.url)
        w.value("state", s.store.url == nil ? "none" : s.store.up.map { $0 ? "up" : "down" } ?? "unknown")
        w.value("last_error", s.store.lastError)
        w.endObject()
        w.beginArray("backends")
        for b in s.backends { backend(&w, b) }
        w.endArray()
        w.endObject()
        return w.text
    }

    /// Tether's own answers by reason, as the dashboard and metrics name them.
    static let rejectReasons: [(Int, String)] = [
        (400, "bad_request"), (408, "timeout"), (413, "body_too_large"), (414, "uri_too_long"),
        (417, "expectation_failed"), (431, "headers_too_large"), (501, "not_implemented"), (503, "no_backend"),
    ]

    private static func backend(_ w: inout JSONWriter, _ b: StatsSnapshot.Backend) {
        w.beginObject()
        w.value("name", b.name)
        w.value("address", b.address)
        w.value("weight", b.weight)
        w.value("route", b.route)
        w.value("backup", b.backup)
        w.value("state", b.state)
        w.value("admin_state", b.adminState)
        w.value("healthy", b.healthUp)
        w.value("since", b.since)
        w.beginObject("check")
        w.value("enabled", b.checksEnabled)
        w.key("last")
        if let c = b.lastCheck { check(&w, c) } else { w.value(nil, nil as String?) }
        w.beginArray("history")
        for c in b.checkHistory { check(&w, c) }
        w.endArray()
        w.endObject()
        w.beginObject("connections")
        w.value("active", b.activeConnections)
        w.value("idle", b.idleConnections)
        w.value("max_conns", b.maxConns)
        w.value("queued", b.queued)
        w.value("queue_rejected", b.queueRejected)
        w.endObject()
        w.value("requests", b.requests)
        w.beginObject("rate")
        w.value("1s", b.rate1s)
        w.value("10s", b.rate10s)
        w.value("60s", b.rate60s)
        w.endObject()
        w.beginObject("responses")
        for (i, c) in b.responses.enumerated() { w.value("\(i + 1)xx", c) }
        w.endObject()
        w.beginObject("bytes")
        w.value("in", b.bytesIn)
        w.value("out", b.bytesOut)
        w.endObject()
        w.value("retries", b.retries)
        w.value("failovers", b.failoversAway)
        w.beginObject("sessions")
        w.value("new", b.newSessions)
        w.value("sticky_hits", b.stickyHits)
        w.value("route_hits", b.routeHits)
        w.value("pinned_estimate", b.sessionsPinned)
        w.value("recreated", b.sessionsRecreated)
        w.endObject()
        w.beginObject("latency_ms")
        w.value("p50", b.p50)
        w.value("p90", b.p90)
        w.value("p99", b.p99)
        w.endObject()
        w.endObject()
    }

    private static func check(_ w: inout JSONWriter, _ c: CheckResult) {
        w.beginObject()
        w.value("ok", c.ok)
        w.value("status", c.status)
        w.value("latency_ms", c.latencyMillis)
        w.value("detail", c.detail)
        w.value("at", c.at)
        w.endObject()
    }
}
