import Config
import Stats

/// One loop's contribution to a snapshot (a copy taken on that loop).
struct LoopSnapshot: Sendable {
    var generation: Int
    var stats: [BackendLoopStats]
    var loopStats: LoopStats
    var inFlight: [Int]
    var queued: [Int]
    var idle: [Int]
    var healthUp: [Bool]
    var adminStates: [AdminState]
    var connections: Int
    var idleConnections: Int
    var spareExchanges: Int
}

extension LoopContext {
    func snapshot() -> LoopSnapshot {
        LoopSnapshot(
            generation: runtime.generation,
            stats: stats, loopStats: loopStats,
            inFlight: inFlight, queued: queues.map(\.count), idle: pools.map(\.idleCount), healthUp: healthUp, adminStates: adminStates,
            connections: sessions.count, idleConnections: idleSessionCount, spareExchanges: exchanges.count)
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
