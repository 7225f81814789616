import Config
import EventLoop
import HTTP1
import HTTPServer
import Proxy

/// The admin listener: dashboard, JSON stats, Prometheus metrics and backend
/// actions, served on the first event loop. Its connections are not counted
/// against `max_connections`, so the admin endpoint answers even when the
/// proxy listeners are full.
public final class AdminServer: @unchecked Sendable {
    let http: HTTPServer
    let routes: AdminRoutes
    public var port: Int { http.port }

    /// Admin requests are small: heads up to 16 KiB, bodies up to 1 KiB
    /// (the actions take none); a connection idle for 30 s is closed.
    static let limits = HTTPLimits(maxRequestLine: 4096, maxHeaderBytes: 16 * 1024, maxHeaderCount: 50, maxBodySize: 1024)

    public init(config: AdminConfig, server: ProxyServer) throws(ProxyServer.StartError) {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: config.address, allowAnyPort: true) } catch {
            throw .badAddress("admin: \(error.description)")
        }
        let fd: Int32
        do { fd = try Socket.listen(address, backlog: 64) } catch { throw .socket(error) }
        let routes = AdminRoutes(server: server, access: AdminAccess(token: config.token, readToken: config.readToken))
        self.routes = routes
        http = HTTPServer(fd: fd, loop: server.loops[0], limits: Self.limits, idleTimeout: 30_000_000_000) { request, responder in
            routes.handle(request, responder)
        }
    }

    public func start() {
        http.start()
    }
}
