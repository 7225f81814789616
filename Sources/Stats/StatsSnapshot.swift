/// Everything the admin endpoint shows, summed over all loops at one moment.
/// What each field means, and where it appears, is `StatsFields`.
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
        /// `max_conns` (0: none) and requests waiting for a slot now.
        public var maxConns: Int
        public var queued: Int
        /// The loops' counters and histograms, added up.
        public var traffic: BackendLoopStats
        /// Sticky mode only (0 otherwise): sessions pinned, estimated.
        public var sessionsPinned: Int
        public var rate1s: Double
        public var rate10s: Double
        public var rate60s: Double

        public init(
            name: String, address: String, weight: Int, route: String?, backup: Bool, state: String, healthUp: Bool,
            adminState: String, since: Int, lastCheck: CheckResult?, checkHistory: [CheckResult], checksEnabled: Bool,
            activeConnections: Int, idleConnections: Int, maxConns: Int, queued: Int, traffic: BackendLoopStats,
            sessionsPinned: Int, rate1s: Double, rate10s: Double, rate60s: Double
        ) {
            self.name = name
            self.address = address
            self.weight = weight
            self.route = route
            self.backup = backup
            self.state = state
            self.healthUp = healthUp
            self.adminState = adminState
            self.since = since
            self.lastCheck = lastCheck
            self.checkHistory = checkHistory
            self.checksEnabled = checksEnabled
            self.activeConnections = activeConnections
            self.idleConnections = idleConnections
            self.maxConns = maxConns
            self.queued = queued
            self.traffic = traffic
            self.sessionsPinned = sessionsPinned
            self.rate1s = rate1s
            self.rate10s = rate10s
            self.rate60s = rate60s
        }

        public subscript(_ c: BackendCounter) -> Int { traffic.counters[c] }
    }

    public struct Listener: Sendable {
        public var address: String
        public var tls: Bool
        /// Connections start with a PROXY protocol header.
        public var proxyProtocol: Bool
        public var counters: Counters<ListenerCounter>

        public init(address: String, tls: Bool, proxyProtocol: Bool = false, counters: Counters<ListenerCounter>) {
            self.address = address
            self.tls = tls
            self.proxyProtocol = proxyProtocol
            self.counters = counters
        }
    }

    public var version: String
    public var uptimeSeconds: Int
    public var loops: Int
    public var routingMode: String
    public var balance: String
    public var connectionsCurrent: Int
    public var connectionsTotal: Int
    /// Open connections between requests, holding no buffers (keep-alive idle).
    public var connectionsIdle: Int
    /// Per-request state and buffers the loops keep ready for the next request.
    public var spareExchanges: Int
    public var listeners: [Listener]
    public var requests: Int
    /// Requests Tether answered itself, by cause.
    public var rejected: Counters<LocalAnswer>
    /// Requests answered with the redirect to https.
    public var redirects: Int
    public var reloads: Int
    public var reloadFailures: Int
    public var lastReloadError: String?
    public var store: StoreStatus
    public var backends: [Backend]
    /// `RoutingFingerprint` of the running configuration.
    public var fingerprint: String

    public init(
        version: String, uptimeSeconds: Int, loops: Int, routingMode: String, balance: String, connectionsCurrent: Int,
        connectionsTotal: Int, connectionsIdle: Int, spareExchanges: Int, listeners: [Listener], requests: Int,
        rejected: Counters<LocalAnswer>, redirects: Int, reloads: Int, reloadFailures: Int, lastReloadError: String?, store: StoreStatus,
        backends: [Backend], fingerprint: String = ""
    ) {
        self.fingerprint = fingerprint
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.loops = loops
        self.routingMode = routingMode
        self.balance = balance
        self.connectionsCurrent = connectionsCurrent
        self.connectionsTotal = connectionsTotal
        self.connectionsIdle = connectionsIdle
        self.spareExchanges = spareExchanges
        self.listeners = listeners
        self.requests = requests
        self.rejected = rejected
        self.redirects = redirects
        self.reloads = reloads
        self.reloadFailures = reloadFailures
        self.lastReloadError = lastReloadError
        self.store = store
        self.backends = backends
    }
}

/// The session store as its pinger last saw it.
public struct StoreStatus: Sendable {
    public var url: String? = nil
    /// nil until the first check finished.
    public var up: Bool? = nil
    public var lastError: String? = nil
    public var changes = 0

    public init(url: String? = nil) {
        self.url = url
    }
}

/// One check's outcome, kept in a short history for the admin endpoint.
public struct CheckResult: Sendable, Equatable {
    public var ok: Bool
    /// Status code, or 0 when there was no response.
    public var status: Int
    public var latencyMillis: Double
    /// Why it failed (connect refused, timeout, status...).
    public var detail: String
    /// Wall-clock seconds.
    public var at: Int

    public init(ok: Bool, status: Int, latencyMillis: Double, detail: String, at: Int) {
        self.ok = ok
        self.status = status
        self.latencyMillis = latencyMillis
        self.detail = detail
        self.at = at
    }
}
