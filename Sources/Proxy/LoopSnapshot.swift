import Config
import Stats

/// One loop's contribution to a snapshot (a copy taken on that loop).
struct LoopSnapshot: Sendable {
    /// One backend on that loop.
    struct Backend: Sendable {
        var stats: BackendLoopStats
        var inFlight: Int
        var queued: Int
        var idle: Int
        var healthUp: Bool
        var adminState: AdminState
    }

    var generation: Int
    var backends: [Backend]
    var loopStats: LoopStats
    var connections: Int
    var idleConnections: Int
    var spareExchanges: Int
}

extension LoopContext {
    func snapshot() -> LoopSnapshot {
        LoopSnapshot(
            generation: runtime.generation,
            backends: upstreams.indices.map { i in
                let u = upstreams[i]
                return LoopSnapshot.Backend(
                    stats: u.stats, inFlight: view.load[i], queued: u.queue.count, idle: u.pool.idleCount,
                    healthUp: u.status.healthUp, adminState: u.status.adminState)
            },
            loopStats: loopStats, connections: sessions.count + lingering + tunnels.count, idleConnections: idleSessionCount, spareExchanges: exchanges.count)
    }

    /// Sessions between requests that hold no exchange (no buffers): counted
    /// when a snapshot is taken (once a second and per admin request), so
    /// the data path keeps no counter for it.
    private var idleSessionCount: Int {
        var n = 0
        for s in sessions.values where s.phase == .idle && s.held == nil { n += 1 }
        return n
    }
}
