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
    /// Requests placed here as new sessions because their affinity cookie
    /// was not a seal of this secret (tampered, truncated, made up).
    case forgedCookies
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

/// What each loop counts per listener.
public enum ListenerCounter: Int, CaseIterable, Sendable {
    /// Connections open now (a gauge kept as a running count).
    case current
    case total
    /// TLS listeners: handshakes finished, of which resumed from a ticket,
    /// and handshakes that failed or timed out.
    case tlsHandshakes, tlsResumed, tlsFailed
}
