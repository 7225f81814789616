import Config

/// Everything the admin endpoint shows, summed over all loops at one moment.
public struct StatsSnapshot: Sendable {
    public struct Backend: Sendable {
        public var name: String
        public var address: String
        public var weight: Int
        public var route: String?
        public var backup: Bool
        /// up, down, draining, maintenance (backup is a separate flag).
        public var state: String
        public var healthUp: Bool
        public var adminState: String
        /// Wall-clock seconds of the last health change.
        public var since: Int
        public var lastCheck: CheckResult?
        public var checkHistory: [CheckResult]
        public var checksEnabled: Bool
        public var activeConnections: Int
        public var idleConnections: Int
        /// `max_conns` (0: none), requests waiting for a slot now, and those
        /// refused with 503 because the queue was full or they waited too long.
        public var maxConns: Int
        public var queued: Int
        public var queueRejected: Int
        public var requests: Int
        /// 1xx, 2xx, 3xx, 4xx, 5xx.
        public var responses: [Int]
        public var bytesIn: Int
        public var bytesOut: Int
        public var retries: Int
        public var failoversAway: Int
        public var newSessions: Int
        public var stickyHits: Int
        public var routeHits: Int
        public var sessionsRecreated: Int
        public var sessionsPinned: Int
        public var rate1s: Double
        public var rate10s: Double
        public var rate60s: Double
        public var latencyBoundsMillis: [Double]
        /// Per bucket (not cumulative); the last bucket is +Inf.
        public var latencyCounts: [Int]
        public var latencySumSeconds: Double
        public var p50: Double?
        public var p90: Double?
        public var p99: Double?
    }

    public struct Listener: Sendable {
        public var address: String
        public var tls: Bool
        public var current: Int
        public var total: Int
        /// TLS listeners: finished handshakes, those resumed from a ticket, and
        /// failed or timed-out ones (garbage, old protocol versions, stalls).
        public var tlsHandshakes: Int
        public var tlsResumed: Int
        public var tlsFailed: Int
    }

    public var version: String
    public var uptimeSeconds: Int
    public var connectionsCurrent: Int
    public var connectionsTotal: Int
    /// Open connections between requests, holding no buffers (keep-alive idle).
    public var connectionsIdle: Int
    /// Per-request state and buffers the loops keep ready for the next request.
    public var spareExchanges: Int
    public var listeners: [Listener]
    public var requests: Int
    /// Requests Tether answered itself, by status (400, 408, 413, 414, 431...).
    public var rejected: [Int: Int]
    public var reloads: Int
    public var reloadFailures: Int
    public var lastReloadError: String?
    public var store: ProxyServer.StoreStatus
    public var routingMode: String
    public var balance: String
    public var loops: Int
    public var backends: [Backend]
}

/// One loop's contribution to a snapshot (a copy taken on that loop).
struct LoopSnapshot: Sendable {
    var generation: Int
    var stats: [BackendStatsCopy]
    var loopStats: LoopStatsCopy
    var inFlight: [Int]
    var queued: [Int]
    var idle: [Int]
    var healthUp: [Bool]
    var adminStates: [AdminState]
    var connections: Int
    var idleConnections: Int
    var spareExchanges: Int
}

/// Sendable copies of the loop-local structures.
struct BackendStatsCopy: Sendable {
    var requests: Int
    var responses: [Int]
    var bytesIn: Int
    var bytesOut: Int
    var retries: Int
    var newSessions: Int
    var stickyHits: Int
    var routeHits: Int
    var failoversAway: Int
    var recreated: Int
    var queueRejected: Int
    var latency: LatencyHistogram
    var pinned: [UInt8]

    init(_ s: BackendLoopStats) {
        requests = s.requests
        responses = s.responses
        bytesIn = s.bytesIn
        bytesOut = s.bytesOut
        retries = s.retries
        newSessions = s.newSessions
        stickyHits = s.stickyHits
        routeHits = s.routeHits
        failoversAway = s.failoversAway
        recreated = s.recreated
        queueRejected = s.queueRejected
        latency = s.latency
        var registers = [UInt8](repeating: 0, count: 1 << SessionSketch.bits)
        s.pinned.merge(into: &registers)
        pinned = registers
    }
}

struct LoopStatsCopy: Sendable {
    var connectionsTotal: Int
    var requests: Int
    var rejected: [Int: Int]
    var perListener: [String: ListenerCounters]
}

extension LoopContext {
    func snapshot() -> LoopSnapshot {
        LoopSnapshot(
            generation: runtime.generation,
            stats: stats.map(BackendStatsCopy.init),
            loopStats: LoopStatsCopy(
                connectionsTotal: loopStats.connectionsTotal, requests: loopStats.requests,
                rejected: loopStats.rejected, perListener: loopStats.perListener),
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
