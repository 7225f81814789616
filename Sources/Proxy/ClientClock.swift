/// What a client connection's one deadline is waiting for.
enum ClientDeadline {
    case header, idle, body, send, queue
    /// A request with `Expect: 100-continue` waits for the backend's `100`
    /// (see `ProxySession.expectTimedOut`).
    case expect
    /// TLS, idle for a second: OpenSSL's buffers go, then `.idle` runs on.
    case tlsIdle
}

/// A client connection's clock: one deadline at a time, for what the
/// connection waits for, and never past the request's own limit
/// (`request_timeout`). Pure: the session schedules the timer it returns.
struct ClientClock {
    private(set) var waitingFor = ClientDeadline.header
    /// TLS: when the keep-alive idle timeout ends, while `.tlsIdle` runs first.
    private var idleUntil: UInt64 = 0

    /// The deadline for waiting on `kind` from `now`; nil: only the
    /// request's limit (`requestDeadline`, 0: none) runs.
    mutating func deadline(
        for kind: ClientDeadline?, now: UInt64, _ timeouts: some ClientTimeouts, tls: Bool, requestDeadline: UInt64
    ) -> UInt64 {
        guard var kind else { return requestDeadline }
        let idle = timeouts.timeout(.idle)
        if kind == .idle && tls && idle > 1_000_000_000 {
            // An idle TLS connection keeps OpenSSL's buffers for a second
            // (the next request usually comes sooner), then lets them go.
            idleUntil = now + idle
            kind = .tlsIdle
        }
        waitingFor = kind
        let deadline = now + timeouts.timeout(kind)
        return requestDeadline != 0 && requestDeadline < deadline ? requestDeadline : deadline
    }

    enum Expiry: Equatable {
        /// `request_timeout`.
        case request
        case waited(ClientDeadline)
        /// The TLS idle second is over: free OpenSSL's buffers, and idle on until then.
        case tlsIdleUntil(UInt64)
    }

    /// What the deadline that just passed was for.
    mutating func expired(now: UInt64, requestDeadline: UInt64) -> Expiry {
        if requestDeadline != 0 && now >= requestDeadline { return .request }
        if waitingFor == .tlsIdle {
            waitingFor = .idle
            return .tlsIdleUntil(idleUntil)
        }
        return .waited(waitingFor)
    }
}

/// How long each kind of deadline gives (the configuration's timeouts).
protocol ClientTimeouts {
    func timeout(_ kind: ClientDeadline) -> UInt64
}

extension ProxyRuntime: ClientTimeouts {
    func timeout(_ kind: ClientDeadline) -> UInt64 {
        switch kind {
        case .header: return headerTimeout
        case .idle: return clientIdleTimeout
        case .body: return clientBodyTimeout
        case .send: return sendTimeout
        case .queue: return queueTimeout
        case .tlsIdle: return 1_000_000_000
        case .expect: return expectTimeout
        }
    }
}
