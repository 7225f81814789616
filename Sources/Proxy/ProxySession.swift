import EventLoop
import Glibc
import HTTP1

/// One client connection and the requests on it: the story of a request, from
/// its head arriving to its response leaving, told in the extensions
/// `+Request` (parse and forward), `+Response` (relay back) and `+Failure`.
///
/// A class because a connection has identity: the loop, its timers and its
/// backend connection refer to it. It lives on one loop and is never touched
/// from another thread.
final class ProxySession: EventHandler, TimerTarget {
    enum Phase {
        /// Waiting for (the rest of) a request head.
        case idle
        /// A request is being forwarded and its response relayed.
        case exchange
        /// Writing the last bytes, then lingering.
        case closing
        /// Write side shut; reading and dropping until the client closes, so the
        /// last response is not destroyed by an RST.
        case lingering
        case closed
    }

    enum DeadlineKind {
        case header, idle, body, send, linger
    }

    let fd: Int32
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    /// The configuration snapshot of the current request (see `LoopContext.install`).
    var runtime: ProxyRuntime
    /// The client's address as text, for X-Forwarded-For and the access log.
    let peer: [UInt8]

    var phase: Phase = .idle
    var input: ReceiveBuffer
    var output = SendQueue()
    var parser: RequestParser
    var request = RequestHead()
    var requestBody = BodyRelay()
    var responseParser: ResponseParser
    var response = ResponseHead()
    var responseBody = BodyRelay()
    var backend: BackendConnection?
    var backendIndex = -1

    // Routing of the current request (see Router and +Routing).
    var keyHash: UInt64? = nil
    var issueCookie = false
    /// Backends tried for this request, in order.
    var tried: [Int] = []
    /// The backend whose in-flight count this request holds (-1: none).
    var loadHeld = -1
    var sessionKey: [UInt8] = []
    var extraFields: [UInt8] = []
    /// Request bytes handed to the backend (head and body), for stats.
    var bytesToBackend = 0
    /// The listener this connection came from, for per-listener counts.
    let listener: String

    /// The forwarded head, kept so that a request that met a stale pooled
    /// connection can be sent again on a fresh one.
    var forwardHead: [UInt8] = []
    var retriedStale = false
    var responseHeadDone = false
    var closeAfterResponse = false
    var clientEOF = false
    var requestsServed = 0

    // Access-log facts about the current request.
    var requestLine: [UInt8] = []
    var status = 0
    var bytesToClient = 0
    var requestStart: UInt64 = 0
    var backendStart: UInt64 = 0

    private var interest: UInt32 = 0
    var deadline: UInt64 = 0
    var scheduledDeadline: UInt64 = 0
    var deadlineKind: DeadlineKind = .header

    init(fd: Int32, peer: [UInt8], ctx: LoopContext, listener: String) {
        self.fd = fd
        self.listener = listener
        self.peer = peer
        self.ctx = ctx
        self.runtime = ctx.runtime
        self.input = ReceiveBuffer(capacity: ctx.runtime.receiveBufferSize)
        self.parser = RequestParser(limits: ctx.runtime.config.limits)
        self.responseParser = ResponseParser(limits: ctx.runtime.config.limits)
        requestLine.reserveCapacity(256)
        forwardHead.reserveCapacity(1024)
    }

    func start() {
        ctx.add(self)
        #if !TETHER_NO_STATS
        ctx.loopStats.connectionsTotal += 1
        ctx.loopStats.perListener[listener, default: ListenerCounters()].current += 1
        ctx.loopStats.perListener[listener, default: ListenerCounters()].total += 1
        #endif
        interest = EventLoop.readable
        _ = ctx.loop.register(fd, events: interest, handler: self)
        setDeadline(.header)
    }

    // MARK: Events

    func handleEvent(_ events: UInt32) {
        if events & EventLoop.writable != 0 {
            flushOutput()
            if phase == .closed { return }
        }
        if events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0 {
            readAvailable()
        }
    }

    private func readAvailable() {
        guard phase != .closed, !clientEOF else { return }
        guard makeRoomInInput() else {
            updateInterest()
            return
        }
        switch input.read(from: fd) {
        case .bytes(let n):
            if n == 0 { return }
            onClientBytes()
        case .wouldBlock:
            return
        case .eof:
            clientEOF = true
            onClientEOF()
        case .error:
            abort()
        }
    }

    /// Makes free space at the end of the input buffer, if it can be done safely.
    private func makeRoomInInput() -> Bool {
        if input.freeTail > 0 { return true }
        switch phase {
        case .idle:
            // A head is partly parsed: its indices must stay put, so grow up to the limit.
            let limit = runtime.config.limits.maxHeaderBytes + 4096
            if input.storage.count < limit { input.reserve(min(limit, input.storage.count * 2)) }
        case .exchange:
            input.compact()  // the head was copied out; only body and pipelined bytes remain
        case .lingering:
            input.readIndex = input.writeIndex
            input.compact()
        case .closing, .closed:
            return false
        }
        return input.freeTail > 0
    }

    private func onClientBytes() {
        switch phase {
        case .idle:
            parseNextRequest()
        case .exchange:
            if !requestBody.isDone {
                setDeadline(.body)
                pumpRequestBody()
            } else {
                updateInterest()  // pipelined bytes wait in the buffer
            }
        case .lingering:
            input.readIndex = input.writeIndex
        case .closing, .closed:
            break
        }
    }

    private func onClientEOF() {
        switch phase {
        case .idle, .closing, .lingering:
            closeNow()
        case .exchange:
            if requestBody.isDone {
                // Half-close after a complete request: answer it, then close.
                closeAfterResponse = true
                updateInterest()
            } else {
                status = 499
                abort()
            }
        case .closed:
            break
        }
    }

    // MARK: Output

    /// Writes pending output; on drain, lets the backend side go on.
    func flushOutput() {
        guard phase != .closed else { return }
        if !output.isEmpty {
            switch output.flush(to: fd) {
            case .done:
                break
            case .partial:
                setDeadline(.send)
                // Below half the high-water mark, let the backend refill while
                // the client drains the rest.
                if phase == .exchange, let b = backend, b.readPaused, output.count < runtime.highWater / 2 {
                    b.setReadPaused(false)
                    relayResponse()
                    return
                }
                updateInterest()
                return
            case .error:
                abort()
                return
            }
        }
        switch phase {
        case .closing:
            beginLingering()
            return
        case .exchange:
            if deadlineKind == .send { setDeadline(requestBody.isDone ? nil : .body) }
            if let b = backend, b.readPaused {
                b.setReadPaused(false)
                relayResponse()
                return
            }
        case .idle:
            if deadlineKind == .send { setDeadline(input.isEmpty ? .idle : .header) }
            if !input.isEmpty { parseNextRequest() }
        default:
            break
        }
        updateInterest()
    }

    func updateInterest() {
        guard phase != .closed else { return }
        var want: UInt32 = 0
        let hw = runtime.highWater
        switch phase {
        case .idle:
            if !clientEOF && output.count < hw { want = EventLoop.readable }
        case .exchange:
            let backendFull = !requestBody.isDone && (backend?.send.count ?? 0) >= hw
            if !clientEOF && !backendFull && (input.freeTail > 0 || input.readIndex > 0) { want = EventLoop.readable }
        case .lingering:
            want = EventLoop.readable
        case .closing, .closed:
            break
        }
        if !output.isEmpty { want |= EventLoop.writable }
        if want != interest {
            interest = want
            ctx.loop.modify(fd, events: want)
        }
    }

    // MARK: Closing

    /// Stops after the current response (graceful stop).
    func drain() {
        if phase == .idle && input.isEmpty {
            closeNow()
        } else {
            closeAfterResponse = true
        }
    }

    func closeAfterFlush() {
        phase = .closing
        flushOutput()
    }

    private func beginLingering() {
        shutdown(fd, Int32(SHUT_WR))
        phase = .lingering
        setDeadline(.linger)
        input.readIndex = input.writeIndex
        updateInterest()
    }

    func closeNow() { teardown(reset: false) }

    /// Closes with RST: the client must not take a cut-short response for a whole one.
    func abort() { teardown(reset: true) }

    private func teardown(reset: Bool) {
        guard phase != .closed else { return }
        phase = .closed
        deadline = 0
        if let b = backend {
            backend = nil
            b.close()
        }
        releaseLoad()
        ctx.loop.deregister(fd)
        if reset { Socket.abort(fd) } else { Glibc.close(fd) }
        #if !TETHER_NO_STATS
        ctx.loopStats.perListener[listener]?.current -= 1
        #endif
        ctx.remove(self)
    }

    // MARK: Timers

    func setDeadline(_ kind: DeadlineKind?) {
        guard let kind else {
            deadline = 0
            return
        }
        let timeout: UInt64
        switch kind {
        case .header: timeout = runtime.headerTimeout
        case .idle: timeout = runtime.clientIdleTimeout
        case .body: timeout = runtime.clientBodyTimeout
        case .send: timeout = runtime.sendTimeout
        case .linger: timeout = 2_000_000_000
        }
        deadlineKind = kind
        deadline = ctx.loop.now + timeout
        ctx.loop.schedule(self)
    }

    func deadlineExpired(now: UInt64) {
        switch deadlineKind {
        case .idle, .linger:
            closeNow()
        case .header:
            respondWithError(status: 408)
        case .body:
            if responseHeadDone { abort() } else { respondWithError(status: 408) }
        case .send:
            abort()
        }
    }
}
