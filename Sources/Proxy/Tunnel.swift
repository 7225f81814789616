import EventLoop
import Glibc
import Stats

/// A client connection and its backend connection after a `101 Switching
/// Protocols` (a WebSocket): bytes go both ways as they come, with no HTTP
/// in between, as in nginx's and HAProxy's tunnels. Each direction has one
/// buffer of at most `bufferSize` bytes: when it is full its reader stops
/// until the other side takes them, so a slow reader holds back the other
/// side and memory per tunnel is bounded whatever flows through it. A
/// buffer goes back to the loop's spares whenever it is empty, so an idle
/// tunnel holds none. A half-close is passed on (EOF from one side, once
/// its bytes are written, shuts the other side's write direction); the
/// tunnel ends when both directions have, on an error (both are reset), on
/// `tunnel_timeout` with no byte either way, or when its backend goes out
/// of service (`close(because:)`).
final class Tunnel: TimerTarget, EventHandler {
    /// One direction: bytes read from one side, waiting to be written to the other.
    struct Flow {
        var buffer = ReceiveBuffer(capacity: 0)
        /// The reading side closed its end.
        var eof = false
        /// The writing side was told (its write direction shut).
        var shut = false
        var bytes = 0
    }

    enum End {
        case closed, clientError, backendError, timeout, backendDown, maintenance, stopped

        /// As the access log and the event log say it.
        var name: StaticString {
            switch self {
            case .closed: return "closed"
            case .clientError: return "client_error"
            case .backendError: return "backend_error"
            case .timeout: return "timeout"
            case .backendDown: return "backend_down"
            case .maintenance: return "maintenance"
            case .stopped: return "stopped"
            }
        }

        /// As the access log's `termination` says it.
        var termination: Termination.Cause {
            switch self {
            case .closed: return .ok
            case .clientError: return .clientClosed
            case .backendError: return .backendClosed
            case .timeout: return .limit
            case .backendDown: return .backendDown
            case .maintenance: return .maintenance
            case .stopped: return .stopped
            }
        }
    }

    static let bufferSize = 16 * 1024

    let client: ClientTransport
    let backendFd: Int32
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    /// The configuration the tunnel was opened under, and its backend there.
    let runtime: ProxyRuntime
    let backendIndex: Int
    /// For its access-log line (empty with the access log off; the others
    /// also unless the format or `request_id` asked).
    let requestLine: [UInt8]
    let requestID: [UInt8]
    let userAgent: [UInt8]
    let referer: [UInt8]
    let bytesReceived: Int
    let opened: UInt64
    /// Client to backend, backend to client.
    var up = Flow()
    var down = Flow()
    var deadline: UInt64 = 0
    var timerSlot = -1
    private var lastActivity: UInt64
    private var closed = false
    private var interest: (client: UInt32, backend: UInt32) = (0, 0)
    private var pendingScheduled = false
    /// TLS: OpenSSL's record buffers were freed while the tunnel idled.
    private var tlsBuffersFreed = false
    /// Set by a read or write that failed; the event ends the tunnel.
    private var failure: End? = nil

    /// The backend switched protocols: `session`'s socket and its backend
    /// connection's go to a new tunnel, and the session ends.
    static func open(from session: ProxySession) {
        guard let b = session.backend else { return }
        session.detachBackend()
        Tunnel(from: session, backend: b).start(clientInterest: session.interest, backendInterest: b.handOverSocket())
        session.teardown(.handedOver)
    }

    /// Takes over what `session` and `backend` had not passed on yet: the
    /// `101` head and anything after it for the client, and for the backend
    /// what the client sent after its upgrade request.
    private init(from session: ProxySession, backend: BackendConnection) {
        client = session.transport
        backendFd = backend.fd
        ctx = session.ctx
        runtime = session.runtime
        let e = session.exchange
        backendIndex = e.pointee.backendIndex
        // Copies of its own: the exchange's arrays keep their capacity for the
        // next request. Only for the log line: an idle tunnel keeps nothing else.
        let logged = session.runtime.accessLog != nil
        func own(_ a: [UInt8]) -> [UInt8] { !logged || a.isEmpty ? [] : a.withUnsafeBufferPointer { [UInt8]($0) } }
        requestLine = own(e.pointee.requestLine)
        requestID = own(e.pointee.requestID)
        userAgent = own(e.pointee.userAgent)
        referer = own(e.pointee.referer)
        bytesReceived = e.pointee.bytesFromClient
        opened = ctx.loop.now
        lastActivity = opened
        let ctx = self.ctx
        session.output.unsent.withUnsafeBytes { Self.carry($0, into: &down.buffer, ctx) }
        backend.input.storage.withUnsafeBytes { all in
            Self.carry(UnsafeRawBufferPointer(rebasing: all[backend.input.readIndex..<backend.input.writeIndex]), into: &down.buffer, ctx)
        }
        backend.send.unsent.withUnsafeBytes { Self.carry($0, into: &up.buffer, ctx) }
        session.input.storage.withUnsafeBytes { all in
            Self.carry(UnsafeRawBufferPointer(rebasing: all[session.input.readIndex..<session.input.writeIndex]), into: &up.buffer, ctx)
        }
    }

    /// Takes both sockets over and starts moving bytes.
    private func start(clientInterest: UInt32, backendInterest: UInt32) {
        ctx.tunnels[ObjectIdentifier(self)] = self
        count(.upgrades)
        count(.tunnelsOpen)
        interest = (clientInterest, backendInterest)
        ctx.loop.handOver(client.fd, to: self)
        ctx.loop.handOver(backendFd, to: self)
        deadline = opened + idleStep
        ctx.loop.schedule(self)
        // What either side had buffered goes on first.
        write(&up, toClient: false)
        write(&down, toClient: true)
        settle()
    }

    /// One event on one side (the loop's `eventFD` says which): only that
    /// side's reads and writes run, so a message costs one read and one
    /// write (a read that fills less than the room there was drained the
    /// socket: no read to find EAGAIN).
    func handleEvent(_ events: UInt32) {
        guard !closed else { return }
        let isClient = ctx.loop.eventFD == client.fd
        let readable = events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0
        let writable = events & EventLoop.writable != 0
        if isClient {
            // TLS: a write may wait for a read, and a read for a write.
            if writable || (readable && client.tls?.writeWantsRead == true) { write(&down, toClient: true) }
            if readable || (writable && client.tls?.readWantsWrite == true) { read(&up, fromClient: true) }
        } else {
            if writable { write(&up, toClient: false) }
            if readable { read(&down, fromClient: false) }
        }
        settle()
    }

    /// Reads what the side has (a few reads at most, so one busy tunnel
    /// cannot hold the loop) and writes it on at once.
    private func read(_ flow: inout Flow, fromClient: Bool) {
        for _ in 0..<4 {
            guard failure == nil, !flow.eof, room(&flow.buffer) else { return }
            let free = flow.buffer.freeTail
            switch fromClient ? client.read(into: &flow.buffer) : flow.buffer.read(from: backendFd) {
            case .bytes(let n) where n > 0:
                flow.bytes += n
                active()
                write(&flow, toClient: !fromClient)
                if n < free && !(fromClient && client.hasPendingInput) { return }
            case .bytes, .wouldBlock:
                return
            case .eof:
                flow.eof = true
                write(&flow, toClient: !fromClient)  // passes the half-close on
            case .error:
                failure = fromClient ? .clientError : .backendError
            }
        }
    }

    /// Writes what is buffered for the side; an EOF goes on once the bytes
    /// before it are out.
    private func write(_ flow: inout Flow, toClient: Bool) {
        if !flow.buffer.isEmpty {
            let r = toClient ? client.write(from: &flow.buffer) : flow.buffer.drain { p, n in SendQueue.send(backendFd, p, n) }
            if case .error = r { failure = toClient ? .clientError : .backendError }
        }
        if flow.eof && flow.buffer.isEmpty && !flow.shut && failure == nil {
            if toClient { client.shutdownWrite() } else { _ = shutdown(backendFd, Int32(SHUT_WR)) }
            flow.shut = true
        }
    }

    /// After an event: the end, or what to wait for next.
    private func settle() {
        if let end = failure { return close(because: end) }
        if up.eof && down.eof && up.shut && down.shut { return close(because: .closed) }
        release(&up.buffer)
        release(&down.buffer)
        updateInterest()
        // TLS records OpenSSL decrypted ahead are announced by no socket
        // event; read them once there is room (a full buffer waits for the
        // backend to take bytes, whose event settles again).
        if client.hasPendingInput && !up.eof && !pendingScheduled && interest.client & EventLoop.readable != 0 {
            pendingScheduled = true
            ctx.loop.later { [self] in
                pendingScheduled = false
                guard !closed else { return }
                read(&up, fromClient: true)
                settle()
            }
        }
    }

    /// Bytes a side had buffered (the `101` head, what followed it) go into
    /// a tunnel buffer from the loop's spares, which goes back there once
    /// written, rather than into an array made to their size and freed.
    private static func carry(_ bytes: UnsafeRawBufferPointer, into buffer: inout ReceiveBuffer, _ ctx: LoopContext) {
        guard bytes.count > 0 else { return }
        if buffer.storage.isEmpty && bytes.count <= bufferSize { buffer.adopt(spare(ctx)) }
        buffer.append(bytes)
    }

    /// A buffer from the loop's spares, or a new one.
    private static func spare(_ ctx: LoopContext) -> [UInt8] {
        ctx.tunnelBuffers.pop() ?? ReceiveBuffer.storage(capacity: bufferSize)
    }

    /// Room to read into `buffer`: a spare from the loop if it has none.
    private func room(_ buffer: inout ReceiveBuffer) -> Bool {
        if buffer.storage.isEmpty { buffer.adopt(Self.spare(ctx)) }
        if buffer.freeTail == 0 { buffer.compact() }
        return buffer.freeTail > 0
    }

    /// An empty buffer goes back to the loop: an idle tunnel holds none.
    private func release(_ buffer: inout ReceiveBuffer) {
        guard buffer.isEmpty, !buffer.storage.isEmpty else { return }
        let storage = buffer.takeStorage()
        if storage.count != Self.bufferSize || !ctx.tunnelBuffers.push(storage) { IdleMemory.released(storage.count) }
    }

    private func updateInterest() {
        var c: UInt32 = 0, b: UInt32 = 0
        if !up.eof && (up.buffer.storage.isEmpty || up.buffer.readable < up.buffer.storage.count) { c |= EventLoop.readable }
        if !down.eof && (down.buffer.storage.isEmpty || down.buffer.readable < down.buffer.storage.count) { b |= EventLoop.readable }
        if !down.buffer.isEmpty { c |= EventLoop.writable }
        if !up.buffer.isEmpty { b |= EventLoop.writable }
        c |= client.extraInterest
        if c != interest.client {
            interest.client = c
            ctx.loop.modify(client.fd, events: c)
        }
        if b != interest.backend {
            interest.backend = b
            ctx.loop.modify(backendFd, events: b)
        }
    }

    /// TLS: after a second with no byte either way OpenSSL's two record
    /// buffers (~34 KiB) go, as for an idle keep-alive connection; the
    /// next record brings them back. Then `tunnel_timeout` ends the tunnel.
    private var idleStep: UInt64 {
        client.isTLS && !tlsBuffersFreed ? min(1_000_000_000, runtime.tunnelTimeout) : runtime.tunnelTimeout
    }

    private func active() {
        lastActivity = ctx.loop.now
        guard tlsBuffersFreed else { return }
        tlsBuffersFreed = false
        deadline = lastActivity + idleStep  // earlier than it was: the heap entry moves up
        ctx.loop.schedule(self)
    }

    func deadlineExpired(now: UInt64) {
        if now - lastActivity >= runtime.tunnelTimeout { return close(because: .timeout) }
        if client.isTLS && !tlsBuffersFreed && now - lastActivity >= 1_000_000_000 {
            client.releaseIdleBuffers()
            tlsBuffersFreed = true
        }
        deadline = lastActivity + idleStep  // bytes moved since, or the rest of the idle time
        ctx.loop.schedule(self)
    }

    /// Ends the tunnel: both sockets closed (reset after an error), its
    /// place in the limits given back, counted and logged.
    func close(because end: End) {
        guard !closed else { return }
        closed = true
        deadline = 0
        ctx.loop.cancelTimer(self)
        ctx.loop.deregister(client.fd)
        ctx.loop.deregister(backendFd)
        let reset = end != .closed && end != .timeout
        client.close(reset: reset)
        if reset { Socket.abort(backendFd) } else { Glibc.close(backendFd) }
        up.buffer.readIndex = up.buffer.writeIndex
        down.buffer.readIndex = down.buffer.writeIndex
        release(&up.buffer)
        release(&down.buffer)
        ctx.clientClosed(client)
        count(.tunnelsOpen, by: -1)
        count(.tunnelBytesIn, by: up.bytes)
        count(.tunnelBytesOut, by: down.bytes)
        ctx.tunnelEnded(self, end, runtime: runtime)  // its log line reads the TLS version and name
        client.tls?.release()
    }

    private func count(_ c: BackendCounter, by n: Int = 1) {
        if let i = ctx.currentIndex(runtime, backendIndex) { ctx.count(c, i, by: n) }
    }

    /// The backend this tunnel goes to, by name and address (they survive a reload).
    func goesTo(_ target: BackendTarget) -> Bool {
        let mine = runtime.backends[backendIndex]
        return mine.name == target.name && mine.address == target.address
    }
}
