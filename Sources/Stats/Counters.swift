/// A fixed set of `Int` counters indexed by an enum: what a loop counts per
/// backend or per listener. Each counter is defined once, as a case; adding
/// up the loops, copying, and every output walk the cases instead of naming
/// each counter at each step. (HAProxy does the same with the columns of
/// `stats-t.h`.)
public struct Counters<Key: RawRepresentable & CaseIterable & Sendable>: Sendable, Equatable where Key.RawValue == Int {
    @usableFromInline var values: [Int]

    public init() {
        values = Array(repeating: 0, count: Key.allCases.count)
    }

    @inlinable
    public subscript(_ key: Key) -> Int {
        get { values[key.rawValue] }
        _modify { yield &values[key.rawValue] }
    }

    /// All the counters together.
    public var total: Int { values.reduce(0, +) }

    /// Adds `other` counter by counter (merging the loops' copies).
    public mutating func add(_ other: Self) {
        for i in values.indices { values[i] += other.values[i] }
    }
}

/// What each loop counts per backend.
public enum BackendCounter: Int, CaseIterable, Sendable {
    case requests
    case responses1xx, responses2xx, responses3xx, responses4xx, responses5xx
    /// Request bytes sent to the backend (head and body).
    case bytesIn
    /// Response body bytes sent to clients.
    case bytesOut
    case retries
    /// Requests whose session had to leave this backend (down or refused).
    case failoversAway
    case newSessions, stickyHits, routeHits
    /// Sessions that arrived here by failover and were re-created.
    case recreated
    /// Why a session's affinity broke (see `AffinityBreak`): one counter
    /// per cause, in `AffinityBreak` order.
    case brokeDown, brokeMaintenance, brokeRemoved, brokeRefused, brokeForged, brokeUnknownRoute, brokeExpired, brokeStoreBack
    /// Requests refused with 503 at `max_conns`: queue full or `queue_timeout`.
    case queueRejected
    /// Requests the backend switched to another protocol (`101`).
    case upgrades
    /// Tunnels open now (a gauge kept as a running count), and the bytes
    /// they carried to the backend and to clients.
    case tunnelsOpen, tunnelBytesIn, tunnelBytesOut

    /// The status class counter of a response (nil outside 100...599).
    @inlinable
    public static func responses(status: Int) -> BackendCounter? {
        guard status >= 100 && status < 600 else { return nil }
        return BackendCounter(rawValue: BackendCounter.responses1xx.rawValue + status / 100 - 1)
    }
}

/// Why a session could not stay where it was, as `/stats`, `/metrics` and
/// the dashboard name it. Counted on the backend the session left when
/// there is one (down, maintenance, refused), else where it landed
/// (removed, forged, unknown route).
public enum AffinityBreak: Int, CaseIterable, Sendable {
    /// Its backend was marked down (health checks or passive failures).
    case down
    /// Its backend is in maintenance.
    case maintenance
    /// Its sealed backend is no longer configured (a reload removed it).
    case removed
    /// The connection to its backend failed; the request was retried elsewhere.
    case refused
    /// Its affinity cookie was not a seal of this secret (tampered,
    /// truncated, another secret's, made up): a new session.
    case forged
    /// Its application cookie ends in a `.route` no backend has.
    case unknownRoute
    /// Its seal was older than `max_life`, or idle past `max_idle`.
    case expired
    /// Pinned while the session store was down (`on_down=sticky`), and the
    /// store is back: balanced again, and its cookie cleared.
    case storeBack

    public var name: String {
        switch self {
        case .down: return "down"
        case .maintenance: return "maintenance"
        case .removed: return "removed"
        case .refused: return "refused"
        case .forged: return "forged"
        case .unknownRoute: return "unknown_route"
        case .expired: return "expired"
        case .storeBack: return "store_back"
        }
    }

    public var counter: BackendCounter { BackendCounter(rawValue: BackendCounter.brokeDown.rawValue + rawValue)! }
}

/// What each loop counts per listener.
public enum ListenerCounter: Int, CaseIterable, Sendable {
    /// Connections open now (a gauge kept as a running count).
    case current
    case total
    /// TLS listeners: handshakes finished, of which resumed from a ticket,
    /// and handshakes that failed or timed out.
    case tlsHandshakes, tlsResumed, tlsFailed
    /// `proxy_protocol` listeners: headers taken, and connections closed for
    /// a header from outside `trusted=`, a malformed one, one cut short
    /// (closed or `handshake_timeout`), or one too long.
    case proxyHeaders, proxyUntrusted, proxyMalformed, proxyTruncated, proxyOversized
}
