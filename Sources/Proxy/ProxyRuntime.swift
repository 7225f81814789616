import ClientAddress
import Config
import EventLoop
import Health
import Routing
import HTTP1
import TLS

/// A backend with its address resolved, as every loop sees it.
struct BackendTarget: Sendable {
    let index: Int
    /// The runtime (configuration generation) this target belongs to.
    let generation: Int
    let name: String
    let address: SocketAddress
    /// `name` as bytes, for the access log.
    let label: [UInt8]
    /// `host:port` as bytes: the Host of a request that came without one.
    let hostBytes: [UInt8]
}

/// What every loop shares and nobody mutates: the configuration, resolved
/// addresses, timeouts in loop units.
final class ProxyRuntime: Sendable {
    let config: ProxyConfig
    /// Increases with every successful reload.
    let generation: Int
    let backends: [BackendTarget]
    /// One per backend, in backend order; kept across reloads for backends
    /// whose name and address did not change.
    let monitors: [HealthMonitor]
    let checkSettings: [HealthCheckSettings]
    let slowStart: UInt64
    let accessLog: AccessLogWriter?
    let accessLogFormat: AccessLogFormat
    /// The format writes more than the standard line's fields.
    let logsDetail: Bool
    /// The log's format writes these fields, so they are copied from the head.
    let logsUserAgent: Bool
    let logsReferer: Bool
    /// Routing a request copies from its head (the two above, or a request id).
    let notesHead: Bool

    /// TLS per listener address (absent: plain). Built from the files each
    /// time a runtime is made, so a reload re-reads certificates.
    let tlsContexts: [String: TLSServerContext]
    /// Plain listeners that answer with a redirect to https.
    let redirectListeners: Set<String>
    /// `:8443` for the Location of those redirects (empty for 443).
    let httpsPortSuffix: [UInt8]
    /// Listeners whose connections start with a PROXY header, and who may send one.
    let proxyProtocolListeners: [String: [Network]]
    /// `trusted_proxies`: hops whose forwarding fields are kept.
    let trustedProxies: [Network]
    let emitForwarded: Bool
    /// `RoutingFingerprint` of `config`, for /stats and the dashboard.
    let fingerprint: String

    let handshakeTimeout: UInt64
    let queueTimeout: UInt64
    /// `request_timeout` (0: none).
    let requestTimeout: UInt64
    let headerTimeout: UInt64
    let clientIdleTimeout: UInt64
    let clientBodyTimeout: UInt64
    let sendTimeout: UInt64
    let connectTimeout: UInt64
    let backendTimeout: UInt64
    let expectTimeout: UInt64
    let tunnelTimeout: UInt64
    let poolIdleTimeout: UInt64

    /// `; Path=/; HttpOnly; SameSite=Lax…` for the affinity cookie, rendered once.
    let cookieAttributes: [UInt8]
    /// The same for TLS listeners (`Secure` added when `secure=auto`).
    let cookieAttributesTLS: [UInt8]
    let cookieName: [UInt8]
    /// The session store's address, resolved with the rest.
    let storeAddress: SocketAddress?

    /// Past this many unsent bytes toward one side, Tether stops reading from the other.
    let highWater = 256 * 1024
    let receiveBufferSize = 16 * 1024

    /// Resolves every backend address (may block: start-up and reload only).
    static func resolve(_ config: ProxyConfig, generation: Int) throws -> [BackendTarget] {
        var targets: [BackendTarget] = []
        for (i, b) in config.backends.enumerated() {
            let address = try SocketAddress(parsing: b.address)
            targets.append(BackendTarget(index: i, generation: generation, name: b.name, address: address, label: Array(b.name.utf8), hostBytes: Array(b.address.utf8)))
        }
        return targets
    }

    init(config: ProxyConfig, generation: Int, backends targets: [BackendTarget], monitors: [HealthMonitor]) throws {
        self.config = config
        self.generation = generation
        self.backends = targets
        self.monitors = monitors
        self.checkSettings = config.backends.map { HealthCheckSettings(global: config.health, backend: $0) }
        self.slowStart = config.slowStart?.nanoseconds ?? 0
        if let url = config.routing.sessionStore {
            storeAddress = try SocketAddress(parsing: String(url.dropFirst("redis://".count)))
        } else {
            storeAddress = nil
        }
        self.accessLog = try AccessLogWriter(config.accessLog)
        accessLogFormat = config.accessLogFormat
        logsDetail = config.accessLogFormat != .standard
        logsUserAgent = accessLog != nil && config.accessLogFormat.writes(.userAgent)
        logsReferer = accessLog != nil && config.accessLogFormat.writes(.referer)
        notesHead = logsUserAgent || logsReferer || config.requestID != .off
        var contexts: [String: TLSServerContext] = [:]
        for l in config.listeners {
            guard let tls = l.tls else { continue }
            do { contexts[l.address] = try TLSServerContext(tls) } catch { throw ListenerTLSError(listener: l.address, error: error) }
        }
        tlsContexts = contexts
        redirectListeners = Set(config.listeners.filter(\.redirectHTTPS).map(\.address))
        proxyProtocolListeners = Dictionary(
            config.listeners.filter(\.proxyProtocol).map { ($0.address, $0.proxyTrusted ?? []) }, uniquingKeysWith: { a, _ in a })
        trustedProxies = config.trustedProxies
        emitForwarded = config.forwardedHeader
        fingerprint = RoutingFingerprint.of(config)
        let httpsPort = config.listeners.first { $0.tls != nil }.flatMap { l in l.address.split(separator: ":").last.map(String.init) }
        httpsPortSuffix = httpsPort == nil || httpsPort == "443" ? [] : Array(":\(httpsPort!)".utf8)
        let t = config.timeouts
        handshakeTimeout = t.handshake.nanoseconds
        queueTimeout = t.queue.nanoseconds
        requestTimeout = t.request?.nanoseconds ?? 0
        headerTimeout = t.header.nanoseconds
        clientIdleTimeout = t.clientIdle.nanoseconds
        clientBodyTimeout = t.clientBody.nanoseconds
        sendTimeout = t.send.nanoseconds
        connectTimeout = t.connect.nanoseconds
        backendTimeout = t.backendResponse.nanoseconds
        expectTimeout = t.expectContinue.nanoseconds
        tunnelTimeout = t.tunnel.nanoseconds
        poolIdleTimeout = config.pool.idleTimeout.nanoseconds
        let k = config.routing.cookie
        var attributes = "; Path=\(k.path)"
        if let d = k.domain { attributes += "; Domain=\(d)" }
        if let age = k.maxAge { attributes += "; Max-Age=\(age.components.seconds)" }
        var rest = ""
        if k.httpOnly { rest += "; HttpOnly" }
        rest += "; SameSite=" + ["lax": "Lax", "strict": "Strict", "none": "None"][k.sameSite.rawValue, default: "Lax"]
        cookieAttributes = Array((attributes + (k.secure == .on ? "; Secure" : "") + rest).utf8)
        cookieAttributesTLS = Array((attributes + (k.secure != .off ? "; Secure" : "") + rest).utf8)
        cookieName = Array(k.name.utf8)
    }
}

/// A TLS listener whose certificate or settings could not be loaded.
struct ListenerTLSError: Error, CustomStringConvertible {
    let listener: String
    let error: TLSSetupError

    var description: String { "listen \(listener): \(error)" }
}
