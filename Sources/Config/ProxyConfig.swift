import ClientAddress
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
    public var accessLogFormat: AccessLogFormat = .standard
    /// An unreadable `format=` (reported by the validator with its line).
    var accessLogFormatProblem: String? = nil
    public var requestID: RequestIDMode = .off
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .text
    /// Hops whose forwarding fields are kept and extended (`trusted_proxies`).
    public var trustedProxies: [Network] = []
    /// Send RFC 7239 `Forwarded` too (`forwarded_header on`).
    public var forwardedHeader = false
    /// Highest number of client connections open at once; past it the
    /// listeners stop accepting until one closes.
    public var maxConnections: Int = 10_000
    public var admin = AdminConfig()
    public var routing = RoutingConfig()
    public var health = HealthCheckConfig()
    /// Further backends tried for one request whose connection attempt failed.
    public var retries: Int = 2
    /// A backend that comes back up ramps its share of new sessions over this; nil = off.
    public var slowStart: Duration? = nil

    public init() {}
}

public struct ListenerConfig: Sendable, Equatable {
    /// `host:port` as written.
    public var address: String
    public var tls: TLSListenerConfig? = nil
    /// Answer every request with a redirect to https (a plain listener beside a TLS one).
    public var redirectHTTPS = false
    /// This listener's own connection cap (nil: only the global one).
    public var maxConnections: Int? = nil
    /// Connections start with a PROXY protocol header (`proxy_protocol`).
    public var proxyProtocol = false
    /// Where PROXY headers are taken from (`trusted=`); validation requires it with `proxy_protocol`.
    public var proxyTrusted: [Network]? = nil

    public init(address: String) { self.address = address }
}

/// TLS settings of a listener. The files are read (and re-read on reload) by
/// the TLS module; the configuration only names them.
public struct TLSListenerConfig: Sendable, Equatable {
    /// Certificate chain and key PEM files; the first pair is the default, the others chosen by SNI.
    public var certificates: [(cert: String, key: String)] = []
    /// `key=` named a different number of files than `cert=` (reported by validation).
    public var keyCountMismatch = false
    public var minVersion: String = "1.2"
    public var ciphers: String? = nil

    public init() {}

    public static func == (a: TLSListenerConfig, b: TLSListenerConfig) -> Bool {
        a.certificates.map(\.cert) == b.certificates.map(\.cert) && a.certificates.map(\.key) == b.certificates.map(\.key)
            && a.minVersion == b.minVersion && a.ciphers == b.ciphers
    }
}

public struct AdminConfig: Sendable, Equatable {
    public var address: String = "127.0.0.1:9090"
    /// Bearer token required on every admin request; nil = none (then the
    /// address must be loopback, or `insecure` said).
    public var token: String? = nil
    /// A token that reads and changes nothing (Prometheus scrapes with it).
    public var readToken: String? = nil
    /// The operator accepts an admin endpoint other hosts reach with no token.
    public var insecure = false

    public init() {}

    /// Why this admin endpoint must not start as written (nil: it may):
    /// one that other hosts reach needs a token, or `insecure`. Checked by
    /// the validator and again after command-line overrides.
    public var exposureProblem: String? {
        guard token == nil, !insecure, !isLoopback else { return nil }
        return "admin \(address) can be reached from other hosts and has no token: anyone there could drain or disable backends; add token=SECRET (at least 8 characters), or insecure=on to accept that"
    }

    /// Only this machine can connect: 127.0.0.0/8, `[::1]` or `localhost`.
    public var isLoopback: Bool {
        guard let colon = address.lastIndex(of: ":") else { return false }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

public struct BackendConfig: Sendable, Equatable {
    public var name: String
    /// `host:port` as written.
    public var address: String
    public var weight: Int
    /// Tomcat jvmRoute: a session id ending in `.route` goes straight here.
    public var route: String? = nil
    /// Takes traffic only while no primary backend is up.
    public var backup = false
    /// Operator state at start (the admin endpoint changes it at run time).
    public var adminState: AdminState = .active
    /// Concurrent requests allowed to this backend; 0 = no limit.
    public var maxConnections: Int = 0
    /// Requests that may wait for a free slot when `maxConnections` is reached.
    public var maxQueue: Int = 128
    /// Per-backend health-check overrides of the global `health_check`.
    public var health = HealthCheckOverride()

    public init(name: String, address: String, weight: Int = 1) {
        self.name = name
        self.address = address
        self.weight = weight
    }
}

/// What the operator wants of a backend, apart from its health.
public enum AdminState: String, Sendable, Equatable, CaseIterable {
    /// Takes new and existing sessions (when healthy).
    case active
    /// No new sessions; sessions already on it keep going there.
    case draining
    /// Nothing is routed to it.
    case maintenance
}

/// How requests find their backend.
public struct RoutingConfig: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Sessions pinned by a keyed hash of the session cookie.
        case sticky
        /// No pinning: sessions are shared (replicated, or in a store).
        case balanced
    }

    public enum Strategy: String, Sendable, Equatable, CaseIterable {
        case roundRobin = "round_robin"
        case leastConn = "least_conn"
    }

    public var mode: Mode = .sticky
    /// How a request without a session key (or any request, when balanced) picks a backend.
    public var strategy: Strategy = .roundRobin
    public var cookie = AffinityCookieConfig()
    /// An application session cookie to key on (JSESSIONID, PHPSESSID); nil = Tether's own.
    public var appCookie: String? = nil
    /// `app_cookie NAME prefix`: the backend's sealed identity is put before
    /// the application's cookie value in responses and taken off requests.
    public var appCookiePrefix = false
    /// Key of the session hash (SipHash); the same on every replica.
    public var hashSecret: String? = nil
    /// Bounded-load ε: a backend above (1 + ε) × average load takes no new sessions.
    public var boundedLoad: Double = 0.25
    /// `redis://host:port` when sessions live in a shared store.
    public var sessionStore: String? = nil
    public var store = StoreCheckConfig()

    public init() {}
}

/// How Tether watches the shared session store, and what it does when the
/// store is down.
public struct StoreCheckConfig: Sendable, Equatable {
    public enum OnDown: String, Sendable, Equatable, CaseIterable {
        /// Keep balancing (sessions may be lost while the store is down) and report it.
        case balance
        /// Pin sessions (needs hash_secret) until the store is back.
        case sticky
    }

    public var interval: Duration = .seconds(2)
    public var timeout: Duration = .seconds(1)
    public var onDown: OnDown = .balance

    public init() {}
}

public struct AffinityCookieConfig: Sendable, Equatable {
    public enum Secure: String, Sendable, Equatable, CaseIterable {
        /// Secure on TLS listeners only.
        case auto, on, off
    }

    public enum SameSite: String, Sendable, Equatable, CaseIterable {
        case lax, strict, none
    }

    public var name: String = "TETHER"
    public var maxAge: Duration? = nil
    /// The session's affinity ends after this long without a request
    /// (HAProxy's `maxidle`), and after this long in all (`maxlife`):
    /// enforced from dates sealed in the cookie itself, with no state.
    public var maxIdle: Duration? = nil
    public var maxLife: Duration? = nil
    public var path: String = "/"
    public var domain: String? = nil
    public var secure: Secure = .auto
    public var httpOnly = true
    public var sameSite: SameSite = .lax

    public init() {}
}

public struct HealthCheckConfig: Sendable, Equatable {
    public var enabled = true
    public var path: String = "/health"
    public var host: String? = nil
    public var interval: Duration = .seconds(2)
    public var timeout: Duration = .seconds(1)
    public var rise: Int = 2
    public var fall: Int = 3
    /// Expected status range (inclusive).
    public var statusLow: Int = 200
    public var statusHigh: Int = 399
    /// Count 5xx responses on the data path as failures.
    public var passive5xx = false

    public init() {}
}

/// Health-check settings a backend may override; nil = the global value.
public struct HealthCheckOverride: Sendable, Equatable {
    public var enabled: Bool? = nil
    public var path: String? = nil
    public var interval: Duration? = nil
    public var timeout: Duration? = nil
    public var rise: Int? = nil
    public var fall: Int? = nil

    public init() {}
}

/// Every timeout the data path applies, with nginx/HAProxy-like defaults.
public struct Timeouts: Sendable, Equatable {
    /// From accept (or from the first byte of a later request) to a complete head.
    public var header: Duration = .seconds(10)
    /// From accept to a finished TLS handshake.
    public var handshake: Duration = .seconds(10)
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
    /// How long a request with `Expect: 100-continue` waits for the
    /// backend's `100` before Tether sends one itself.
    public var expectContinue: Duration = .milliseconds(200)
    /// A tunnel (after a `101`) idle both ways for this long is closed.
    public var tunnel: Duration = .seconds(3600)
    /// The whole exchange, from a complete request head to the end of the
    /// response (nil: no limit, the per-phase timeouts apply).
    public var request: Duration? = nil
    /// Longest wait in a backend's queue.
    public var queue: Duration = .seconds(5)
    /// How long a graceful stop waits for in-flight requests.
    public var gracefulStop: Duration = .seconds(10)
    /// `stop_delay`: SIGTERM fails `/healthz` this long before accepts stop (nil: off).
    public var stopDelay: Duration? = nil

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
