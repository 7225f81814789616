import EventLoop
import Glibc

/// A connection after its last response while the client may still be
/// sending (a body not read whole, pipelined requests): the write side is
/// shut, and what arrives is read and dropped until the client closes or
/// two seconds pass, so that unread bytes do not turn the close into an RST
/// that destroys the response still on its way (RFC 9112 §9.6). nginx hands
/// such a connection to `ngx_http_lingering_close_handler` the same way:
/// the session, its exchange and its buffers are free at once, and a
/// lingering client costs this small object.
final class LingeringClose: EventHandler, TimerTarget {
    let transport: ClientTransport
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    var deadline: UInt64 = 0
    var timerSlot = -1
    /// How long a client may keep sending after its last response.
    static let timeout: UInt64 = 2_000_000_000

    init(_ transport: ClientTransport, ctx: LoopContext) {
        self.transport = transport
        self.ctx = ctx
    }

    var fd: Int32 { transport.fd }

    /// Takes the socket over from its session and shuts its write side.
    func start() {
        transport.shutdownWrite()
        transport.tls?.release()  // nothing more is read or written through it
        ctx.lingering += 1
        ctx.loop.handOver(fd, to: self)
        ctx.loop.modify(fd, events: EventLoop.readable)
        deadline = ctx.loop.now + Self.timeout
        ctx.loop.schedule(self)
    }

    func handleEvent(_ events: UInt32) {
        // Raw bytes (a TLS client's records too): nothing of them is read.
        // At most 64 KiB an event; the level-triggered loop comes back.
        let drained: Bool = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16 * 1024) { scratch in
            for _ in 0..<4 {
                let n = Glibc.read(fd, scratch.baseAddress, scratch.count)
                if n > 0 { continue }
                return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            }
            return false
        }
        if drained { close() }
    }

    func deadlineExpired(now: UInt64) { close() }

    private func close() {
        deadline = 0
        ctx.loop.cancelTimer(self)
        ctx.loop.deregister(fd)
        Glibc.close(fd)
        ctx.clientClosed(transport)
        ctx.lingerEnded()
    }
}
