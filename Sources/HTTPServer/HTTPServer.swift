import EventLoop
import HTTP1

/// A listening socket on one event loop, serving `HTTPServerConnection`s.
/// The admin endpoint and the demo backend are this plus a handler.
public final class HTTPServer: EventHandler, @unchecked Sendable {
    /// Answers a request: return the response, or nil and answer later
    /// through the responder (from any queue).
    public typealias Handler = (HTTPRequest, HTTPResponder) -> HTTPResponse?

    let fd: Int32
    public let loop: EventLoop
    let limits: HTTPLimits
    /// Nanoseconds a connection may sit idle (nil: no limit).
    let idleTimeout: UInt64?
    let handler: Handler

    /// Serves `fd` (a listening socket) on `loop` once `start` is called.
    public init(fd: Int32, loop: EventLoop, limits: HTTPLimits, idleTimeout: UInt64?, handler: @escaping Handler) {
        self.fd = fd
        self.loop = loop
        self.limits = limits
        self.idleTimeout = idleTimeout
        self.handler = handler
    }

    public var port: Int { Socket.localPort(fd) }

    public func start() {
        loop.execute { _ = self.loop.register(self.fd, events: EventLoop.readable, handler: self) }
    }

    public func handleEvent(_ events: UInt32) {
        // A bounded batch, as the proxy's acceptor: the loop has other work.
        for _ in 0..<16 {
            guard case .accepted(let c) = Socket.accept(fd) else { return }
            HTTPServerConnection(fd: c, server: self).start()
        }
    }
}
