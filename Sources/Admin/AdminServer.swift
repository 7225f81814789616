import CSystem
import Config
import EventLoop
import Glibc
import Proxy

/// The admin listener: dashboard, JSON stats, Prometheus metrics and backend
/// actions, served on the first event loop. Its connections are not counted
/// against `max_connections`, so the admin endpoint answers even when the
/// proxy listeners are full.
public final class AdminServer: EventHandler, @unchecked Sendable {
    let fd: Int32
    let server: ProxyServer
    let loop: EventLoop
    /// The bearer token as bytes (nil: none required).
    let token: [UInt8]?
    public let port: Int

    public init(config: AdminConfig, server: ProxyServer) throws(ProxyServer.StartError) {
        let address: SocketAddress
        do { address = try SocketAddress(parsing: config.address, allowAnyPort: true) } catch {
            throw .badAddress("admin: \(error.description)")
        }
        do { fd = try Socket.listen(address, backlog: 64) } catch { throw .socket(error) }
        port = Socket.localPort(fd)
        self.server = server
        self.loop = server.loops[0]
        self.token = config.token.map { Array($0.utf8) }
    }

    public func start() {
        loop.execute { _ = self.loop.register(self.fd, events: EventLoop.readable, handler: self) }
    }

    public func handleEvent(_ events: UInt32) {
        for _ in 0..<16 {
            let c = csys_accept4(fd, nil, nil)
            if c < 0 { return }
            Socket.setNoDelay(c)
            AdminConnection(fd: c, admin: self).start()
        }
    }

    /// Constant-time comparison of the presented token with the configured one.
    func authorized(_ presented: [UInt8]?) -> Bool {
        guard let token else { return true }
        guard let presented else { return false }
        var diff = UInt8(truncatingIfNeeded: presented.count ^ token.count)
        for i in 0..<token.count {
            diff |= token[i] ^ (i < presented.count ? presented[i] : 0)
        }
        return diff == 0
    }
}
