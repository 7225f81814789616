import Config
import EventLoop
import HTTP1

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

    let headerTimeout: UInt64
    let clientIdleTimeout: UInt64
    let clientBodyTimeout: UInt64
    let sendTimeout: UInt64
    let connectTimeout: UInt64
    let backendTimeout: UInt64
    let poolIdleTimeout: UInt64

    /// `; Path=/; HttpOnly; SameSite=Lax…` for the affinity cookie, rendered once.
    let cookieAttributes: [UInt8]
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
        let t = config.timeouts
        headerTimeout = t.header.nanoseconds
        clientIdleTimeout = t.clientIdle.nanoseconds
        clientBodyTimeout = t.clientBody.nanoseconds
        sendTimeout = t.send.nanoseconds
        connectTimeout = t.connect.nanoseconds
        backendTimeout = t.backendResponse.nanoseconds
        poolIdleTimeout = config.pool.idleTimeout.nanoseconds
        let k = config.routing.cookie
        var attributes = "; Path=\(k.path)"
        if let d = k.domain { attributes += "; Domain=\(d)" }
        if let age = k.maxAge { attributes += "; Max-Age=\(age.components.seconds)" }
        if k.secure == .on { attributes += "; Secure" }
        if k.httpOnly { attributes += "; HttpOnly" }
        attributes += "; SameSite=" + ["lax": "Lax", "strict": "Strict", "none": "None"][k.sameSite.rawValue, default: "Lax"]
        cookieAttributes = Array(attributes.utf8)
        cookieName = Array(k.name.utf8)
    }
}
