import ClientAddress
import EventLoop
import Glibc
import Stats

/// A `proxy_protocol` connection before its PROXY header is read: the
/// stage that, as HAProxy's `accept-proxy` and nginx's `proxy_protocol`,
/// learns the client's address from the balancer in front before TLS or
/// HTTP begin. The header is taken off the socket to the byte (peek, take
/// what belongs to it), so the ClientHello or request after it is the next
/// stage's. A bad header closes the connection with nothing forwarded; a
/// slow one is bound by `handshake_timeout`, like a TLS handshake.
final class ProxyHeaderReader: EventHandler, TimerTarget {
    let fd: Int32
    let socketPeer: IPAddress
    let listener: String
    let listenerLimit: ConnectionLimit
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    var deadline: UInt64 = 0
    var timerSlot = -1
    private var header = ProxyHeaderAccumulator()

    init(fd: Int32, socketPeer: IPAddress, listener: String, listenerLimit: ConnectionLimit, ctx: LoopContext) {
        self.fd = fd
        self.socketPeer = socketPeer
        self.listener = listener
        self.listenerLimit = listenerLimit
        self.ctx = ctx
    }

    func start() {
        ctx.starting += 1
        _ = ctx.loop.register(fd, events: EventLoop.readable, handler: self)
        deadline = ctx.loop.now + ctx.runtime.handshakeTimeout
        ctx.loop.schedule(self)
    }

    func handleEvent(_ events: UInt32) {
        // 128 bytes a look: a v1 line (107 at most) or a v2 header without long TLVs in one.
        var peeked = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                      UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let outcome: ProxyHeaderParser.Result? = withUnsafeMutableBytes(of: &peeked) { raw in
            let want = min(raw.count, header.peekLimit)
            let n = recv(fd, raw.baseAddress, want, Int32(MSG_PEEK))
            if n == 0 { return .invalid(.truncated) }
            if n < 0 { return errno == EAGAIN || errno == EINTR ? nil : .invalid(.truncated) }
            let bytes = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
            let (take, result) = header.offer(bytes)
            // The bytes are in the socket (just peeked): this read takes exactly them.
            if take > 0 && recv(fd, raw.baseAddress, take, 0) != take { return .invalid(.truncated) }
            return result
        }
        switch outcome {
        case nil, .incomplete?:
            return
        case .invalid(let reason)?:
            refuse(reason)
        case .complete(let h, _)?:
            deadline = 0
            ctx.loop.cancelTimer(self)
            ctx.count(listener, .proxyHeaders)
            // LOCAL, UNKNOWN, UNSPEC, a Unix socket: the balancer's own connection; its address stands.
            let client = h.source?.address ?? socketPeer
            ctx.beginClient(fd: fd, peer: client.text, address: client, listener: listener, listenerLimit: listenerLimit, registered: true)
            ctx.starting -= 1
            ctx.drainedIfDone()
        }
    }

    func deadlineExpired(now: UInt64) { refuse(.truncated) }

    private func refuse(_ reason: ProxyHeaderError) {
        ctx.count(listener, ListenerCounter(refused: reason))
        ctx.budgetedEvent(.info, "proxy_protocol") { "\(self.listener): connection from \(self.socketPeer) closed: \(reason.rawValue) PROXY header" }
        deadline = 0
        ctx.loop.cancelTimer(self)
        ctx.loop.deregister(fd)
        Socket.abort(fd)
        ctx.clientClosed(listener: listener, limit: listenerLimit)
        ctx.starting -= 1
        ctx.drainedIfDone()
    }
}

extension ListenerCounter {
    /// The counter of each reason a PROXY header (or its source) was refused.
    init(refused reason: ProxyHeaderError) {
        switch reason {
        case .untrusted: self = .proxyUntrusted
        case .malformed: self = .proxyMalformed
        case .truncated: self = .proxyTruncated
        case .oversized: self = .proxyOversized
        }
    }
}

extension IPAddress {
    /// The peer of an accepted socket (nil for a family other than IPv4 and IPv6).
    init?(peer storage: inout sockaddr_storage) {
        let family = Int32(storage.ss_family)
        let parsed: IPAddress? = withUnsafePointer(to: &storage) { p in
            if family == AF_INET {
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                    let v = UInt32(bigEndian: a.pointee.sin_addr.s_addr)
                    return IPAddress(v4: UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
                }
            }
            if family == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                    withUnsafeBytes(of: a.pointee.sin6_addr) { IPAddress(bytes: $0.bindMemory(to: UInt8.self)) }
                }
            }
            return nil
        }
        guard let parsed else { return nil }
        self = parsed
    }
}
