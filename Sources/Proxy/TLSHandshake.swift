import EventLoop
import Stats
import TLS

/// A TLS client before its first byte of HTTP. The handshake runs here, on
/// its own, as nginx runs `ngx_ssl_handshake` before an HTTP request exists
/// and HAProxy in the connection layer before a stream: a client that
/// stalls or fails it costs this small object and OpenSSL's state, never a
/// session. Once it is done, a session takes the socket over.
final class TLSHandshake: EventHandler, TimerTarget {
    let transport: ClientTransport
    let tls: TLSConnection
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    var deadline: UInt64 = 0
    var timerSlot = -1
    private var interest = EventLoop.readable

    init(_ transport: ClientTransport, tls: TLSConnection, ctx: LoopContext) {
        self.transport = transport
        self.tls = tls
        self.ctx = ctx
    }

    var fd: Int32 { transport.fd }

    /// `registered`: the socket is already watched for reading (after a PROXY header).
    func start(registered: Bool = false) {
        ctx.starting += 1
        if registered {
            ctx.loop.handOver(fd, to: self)
        } else {
            _ = ctx.loop.register(fd, events: interest, handler: self)
        }
        deadline = ctx.loop.now + ctx.runtime.handshakeTimeout
        ctx.loop.schedule(self)
    }

    func handleEvent(_ events: UInt32) {
        switch tls.handshake() {
        case .done:
            ctx.count(transport.listener, .tlsHandshakes)
            if tls.resumed { ctx.count(transport.listener, .tlsResumed) }
            deadline = 0
            ctx.loop.cancelTimer(self)
            let session = ProxySession(transport, ctx: ctx, redirectsToHTTPS: false)
            ctx.loop.handOver(fd, to: session)
            session.start(takingOver: interest)
            session.readAvailable()  // the first request may have come with the last handshake flight
            ctx.starting -= 1
            ctx.drainedIfDone()
        case .wantRead:
            setInterest(EventLoop.readable)
        case .wantWrite:
            setInterest(EventLoop.writable)
        case .failed:
            fail()
        }
    }

    func deadlineExpired(now: UInt64) { fail() }

    private func setInterest(_ want: UInt32) {
        guard want != interest else { return }
        interest = want
        ctx.loop.modify(fd, events: want)
    }

    private func fail() {
        ctx.count(transport.listener, .tlsFailed)
        deadline = 0
        ctx.loop.cancelTimer(self)
        ctx.loop.deregister(fd)
        Socket.abort(fd)
        tls.release()
        ctx.clientClosed(transport)
        ctx.starting -= 1
        ctx.drainedIfDone()
    }
}
