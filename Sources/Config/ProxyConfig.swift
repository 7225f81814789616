import HTTP1

/// The whole configuration as one immutable value. Built once (from the
/// command line, or from proxy.conf), validated, then only read: no module
/// parses strings after start-up.
public struct ProxyConfig: Sendable, Equatable {
    public var listeners: [ListenerConfig] = []
    public var backends: [BackendConfig] = []
    /// Event loops; 0 means one per core.
    public var workers: Int = 0
    public var limits = HTTPLimits()
    public var timeouts = Timeouts()
    public var pool = PoolConfig()
    public var accessLog: AccessLogTarget = .stdout
    /// Highest number of client connections open at once; past it the
    /// listeners stop accepting until one closes.
    public var maxConnections: Int = 10_000

    public init() {}
}

public struct ListenerConfig: Sendable, Equatable {
    /// `host:port` as written.
    public var address: String

    public init(address: String) { self.address = address }
}

public struct BackendConfig: Sendable, Equatable {
    public var name: String
    /// `host:port` as written.
    public var address: String
    public var weight: Int

    public init(name: String, address: String, weight: Int = 1) {
        self.name = name
        self.address = address
        self.weight = weight
    }
}

/// Every timeout the data path applies, with nginx/HAProxy-like defaults.
public struct Timeouts: Sendable, Equatable {
    /// From accept (or from the first byte of a later request) to a complete head.
    public var header: Duration = .seconds(10)
    /// Idle keep-alive between requests on a client connection.
    public var clientIdle: Duration = .seconds(60)
    /// Longest pause while reading a request body.
    public var clientBody: Duration = .seconds(60)
    /// Longest pause while the client does not read what it asked for.
    public var send: Duration = .seconds(60)
    /// Connecting to a backend.
    public var connect: Duration = .seconds(5)
    /// Longest wait for (each read of) a backend response.
    public var backendResponse: Duration = .seconds(60)
    /// How long a graceful stop waits for in-flight requests.
    public var gracefulStop: Duration = .seconds(10)

    public init() {}
}

/// Backend keep-alive pools: one per backend per loop.
public struct PoolConfig: Sendable, Equatable {
    /// Idle connections kept per backend per loop.
    public var maxIdlePerBackend: Int = 64
    /// An idle pooled connection is closed after this.
    public var idleTimeout: Duration = .seconds(60)

    public init() {}
}

public enum AccessLogTarget: Sendable, Equatable {
    case off
    case stdout
    case file(String)
}

extension Duration {
    /// Whole nanoseconds, saturating; what the event loops count in.
    public var nanoseconds: UInt64 {
        let (s, atto) = components
        guard s >= 0 else { return 0 }
        let (ns, overflow) = UInt64(s).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : ns &+ UInt64(atto / 1_000_000_000)
    }
}
