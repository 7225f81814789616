import EventLoop
import Glibc
import HTTP1

/// One TCP connection to a backend, bound to one loop. It moves bytes,
/// keeps time, and is the backend side of its exchange (`+Exchange`): it
/// takes the request body from the client's buffer and puts the response
/// into the client's output; the session hears the end. Between requests
/// it sits in its loop's pool, still watched, so that a backend closing it is
/// noticed before the connection is handed out again.
final class BackendConnection: EventHandler, TimerTarget {
    enum State {
        case connecting
        case active
        case idle
        case closed
    }

    let fd: Int32
    /// Re-pointed on reload when the backend (name and address) still exists.
    var target: BackendTarget
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    private(set) var state: State
    var input: ReceiveBuffer
    var send = SendQueue()
    /// The session using this connection (nil while pooled). Strong, and
    /// cleared on every detach: a weak reference costs a side-table lookup
    /// on each event.
    var session: ProxySession?
    /// Requests completed on this connection: > 0 means it came from the pool.
    var requestsServed = 0
    /// Any byte arrived since the current request was sent.
    var receivedForRequest = false
    var readPaused = false
    /// A write failed: the backend stopped reading, typically because it
    /// answered early (401, 413) and closed. Request bytes are dropped from
    /// then on; the answer may still be waiting to be read.
    private(set) var sendFailed = false
    private var interest: UInt32 = 0
    /// The response to the current request (one at a time on a connection).
    var reader = ResponseReader()

    var deadline: UInt64 = 0
    var timerSlot = -1

    enum OpenError: Error {
        case connect(Int32)
    }

    private init(fd: Int32, target: BackendTarget, ctx: LoopContext, connected: Bool) {
        self.fd = fd
        self.target = target
        self.ctx = ctx
        self.state = connected ? .active : .connecting
        self.input = ReceiveBuffer(capacity: 0)
        takeSpareBuffers()
    }

    /// Starts connecting to `target` on `ctx`'s loop.
    static func open(_ target: BackendTarget, ctx: LoopContext) -> Result<BackendConnection, OpenError> {
        switch Socket.connect(target.address) {
        case .failed(let e):
            return .failure(.connect(e))
        case .connected(let fd):
            let c = BackendConnection(fd: fd, target: target, ctx: ctx, connected: true)
            c.registerOrFail()
            return .success(c)
        case .inProgress(let fd):
            let c = BackendConnection(fd: fd, target: target, ctx: ctx, connected: false)
            c.registerOrFail()
            c.deadline = ctx.loop.now + ctx.runtime.connectTimeout
            ctx.loop.schedule(c)
            return .success(c)
        }
    }

    private func registerOrFail() {
        interest = state == .connecting ? EventLoop.writable : EventLoop.readable
        _ = ctx.loop.register(fd, events: interest, handler: self)
    }

    var isConnected: Bool { state == .active }

    // MARK: Lifecycle driven by the session

    /// Starts a request on this connection: what it begins with (see
    /// `Exchange.Carry`), then the response clock once it is on its way.
    func begin(_ carry: Exchange.Carry, for s: ProxySession) {
        let e = s.exchange
        switch carry {
        case .head: send.bytes.append(contentsOf: e.pointee.forwarder.head)
        case .bytes(let bytes): send.bytes.append(contentsOf: bytes)
        }
        e.pointee.attached(now: ctx.loop.now, connected: state != .connecting)
        session = s
        reader.begin(method: e.pointee.request.method, limits: s.runtime.config.limits, upgrade: e.pointee.request.upgrade != nil)
        receivedForRequest = false
        sendFailed = false
        readPaused = false
        if state == .idle { state = .active }
    }

    /// The request's first bytes (and any body so far) are queued: send.
    func requestQueued() {
        if state == .active {
            armResponseTimer()
            flush()
        }
        updateInterest()
    }

    func armResponseTimer() {
        deadline = ctx.loop.now + ctx.runtime.backendTimeout
        ctx.loop.schedule(self)
    }

    /// Buffers from the loop's spares (or new ones): a new connection, or
    /// one taken out of the pool for a request.
    func takeSpareBuffers() {
        var spare = ctx.backendBuffers.pop() ?? SpareBuffers()
        spare.lend(to: &input, &send, bufferSize: ctx.runtime.receiveBufferSize)
    }

    /// Into the pool: an idle connection holds no buffers (64 pooled
    /// connections per backend per loop would otherwise pin 16 KiB each).
    func becomeIdle() {
        giveBackBuffers()
        state = .idle
        session = nil
        readPaused = false
        deadline = ctx.loop.now + ctx.runtime.poolIdleTimeout
        ctx.loop.schedule(self)
        updateInterest()
    }

    /// Stops or resumes reading while the client is slow. The response
    /// timer runs only while Tether is reading: a slow client is the send
    /// timeout's business, not a slow backend.
    func setReadPaused(_ paused: Bool) {
        guard paused != readPaused else { return }
        readPaused = paused
        if state == .active {
            if paused {
                deadline = 0
            } else {
                armResponseTimer()
            }
        }
        updateInterest()
    }

    /// The socket now belongs to a `Tunnel` (which took what was buffered):
    /// this object lets go of it without closing it, and returns the events
    /// it is registered for.
    func handOverSocket() -> UInt32 {
        retire()
        giveBackBuffers()
        return interest
    }

    /// Out of service: no timer, no session; the socket is closed or handed over.
    private func retire() {
        state = .closed
        deadline = 0
        ctx.loop.cancelTimer(self)
        session = nil
    }

    /// The buffers go to the loop's spares (pooled or handed over, it reads nothing).
    private func giveBackBuffers() {
        let spare = SpareBuffers(from: &input, &send, bufferSize: ctx.runtime.receiveBufferSize)
        if !ctx.backendBuffers.push(spare) { IdleMemory.released(spare.bytes) }
    }

    func close() {
        guard state != .closed else { return }
        retire()
        ctx.loop.deregister(fd)
        Glibc.close(fd)
    }

    /// Writes what is queued. Errors are reported to the session.
    func flush() {
        guard state == .active, !send.isEmpty else { return }
        if sendFailed {
            send.clear()
            return
        }
        switch send.flush(to: fd) {
        case .done:
            updateInterest()
            if let s = session, s.phase == .exchange, !s.exchange.pointee.bodyDone { pullBody(from: s) }  // more may follow
        case .partial:
            updateInterest()
        case .error:
            // Read before failing: a reset after an early answer leaves the
            // answer readable, and the read reports the failure otherwise.
            sendFailed = true
            send.clear()
            updateInterest()
            readAvailable()
        }
    }

    func updateInterest() {
        var want: UInt32
        switch state {
        case .connecting: want = EventLoop.writable
        case .idle: want = EventLoop.readable
        case .active:
            want = readPaused ? 0 : EventLoop.readable
            if !send.isEmpty { want |= EventLoop.writable }
        case .closed: return
        }
        if want != interest {
            interest = want
            ctx.loop.modify(fd, events: want)
        }
    }

    // MARK: Events

    func handleEvent(_ events: UInt32) {
        switch state {
        case .connecting:
            let err = Socket.pendingError(fd)
            if err != 0 {
                session?.backendFailed(.connect(err))
                return
            }
            state = .active
            if let s = session { s.exchange.pointee.connectedAt = ctx.loop.now }
            armResponseTimer()
            updateInterest()
            flush()
            session?.updateInterest()
        case .idle:
            // A pooled connection became readable: the backend closed it (or
            // sent bytes nobody asked for). Either way it is not reusable.
            ctx.pool(for: target)?.remove(self)
            close()
        case .active:
            if events & EventLoop.writable != 0 { flush() }
            guard state == .active else { return }
            if events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0 && !readPaused {
                readAvailable()
            }
        case .closed:
            return
        }
    }

    private func readAvailable() {
        if input.freeTail == 0 {
            if let s = session { makeRoom(limits: s.runtime.config.limits) }
            if input.freeTail == 0 {
                // The session cannot take more until the client reads; it resumes us.
                setReadPaused(true)
                return
            }
        }
        switch input.read(from: fd) {
        case .bytes(let n):
            if n == 0 { return }
            receivedForRequest = true
            armResponseTimer()
            relay()
        case .wouldBlock:
            return
        case .eof:
            endOfStream()
        case .error(let e):
            session?.backendFailed(.io(e))
        }
    }

    func deadlineExpired(now: UInt64) {
        switch state {
        case .idle:
            ctx.pool(for: target)?.remove(self)
            close()
        case .connecting:
            session?.backendFailed(.connectTimeout)
        case .active:
            session?.backendFailed(.responseTimeout)
        case .closed:
            return
        }
    }
}
