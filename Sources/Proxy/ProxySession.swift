import EventLoop
import Glibc
import HTTP1
import Stats
import TLS

/// One client connection and the requests on it: the story of a request, from
/// its head arriving to its response leaving, told in the extensions
/// `+Request` (parse and forward), `+Response` (relay back) and `+Failure`.
/// The state of the request in progress is borrowed per exchange (`+Exchange`),
/// so what stays here between requests is small: an idle keep-alive
/// connection is this object and nothing else.
///
/// A class because a connection has identity: the loop, its timers and its
/// backend connection refer to it. It lives on one loop and is never touched
/// from another thread.
final class ProxySession: EventHandler, TimerTarget, QueueWaiter {
    enum Phase {
        /// TLS listeners: the handshake has not finished yet.
        case handshake
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
        case handshake, header, idle, body, send, linger, queue
        /// A request with `Expect: 100-continue` waits for the backend's `100` (see `+Continue`).
        case expect
        /// TLS, idle for a second: OpenSSL's buffers go, then `.idle` runs on.
        case tlsIdle
    }

    let fd: Int32
    /// Plain or TLS: everything below reads and writes through it.
    let transport: ClientTransport
    /// A plain listener that answers every request with a redirect to https.
    let redirectsToHTTPS: Bool
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    /// The configuration snapshot of the current request (see `LoopContext.install`).
    var runtime: ProxyRuntime
    /// The client's address as text, for X-Forwarded-For and the access log.
    let peer: [UInt8]

    var phase: Phase = .idle
    var input: ReceiveBuffer
    var output = SendQueue()
    /// The backend connection serving the current request.
    var backend: BackendConnection?
    /// The request in progress (see `exchange` in `+Exchange`); nil while
    /// idle between requests.
    var held: UnsafeMutablePointer<Exchange>?
    /// The listener this connection came from, for per-listener counts.
    let listener: String

    var closeAfterResponse = false
    var clientEOF = false
    /// The connection ends after a response to a request read in full (see `beginLingering`).
    var cleanEnd = false
    /// The backend whose queue this session waits in (-1: none). Kept on the
    /// session, not the exchange: a session that timed out or closed stays
    /// in the queue until it reaches the front, and telling it is stale must
    /// not borrow an exchange (16 KiB of buffers) for a closed connection.
    var queuedOn = -1
    /// TLS: when the keep-alive idle timeout ends (while `.tlsIdle` runs first).
    var idleUntil: UInt64 = 0

    var interest: UInt32 = 0
    var deadline: UInt64 = 0
    var timerSlot = -1
    var deadlineKind: DeadlineKind = .header

    /// A TLS connection waits for a later event before
    /// reading what OpenSSL already decrypted (see `updateInterest`).
    var pendingReadScheduled = false

    /// The listener's own connection cap, released with the connection.
    let listenerLimit: ConnectionLimit

    init(fd: Int32, peer: [UInt8], ctx: LoopContext, listener: String, listenerLimit: ConnectionLimit, tls: TLSConnection?, redirectsToHTTPS: Bool) {
        self.fd = fd
        self.listenerLimit = listenerLimit
        self.transport = ClientTransport(fd: fd, tls: tls)
        self.redirectsToHTTPS = redirectsToHTTPS
        self.listener = listener
        self.peer = peer
        self.ctx = ctx
        self.runtime = ctx.runtime
        // Buffers come with the first exchange (see `+Exchange`).
        self.input = ReceiveBuffer(capacity: 0)
    }

    deinit {
        // Closed mid-request: its exchange goes with it (see `teardown`).
        if let e = held { ExchangePool.free(e) }
    }

    func start() {
        ctx.add(self)
        #if !TETHER_NO_STATS
        ctx.loopStats.connectionsTotal += 1
        ctx.loopStats.perListener[listener, default: Counters()][.current] += 1
        ctx.loopStats.perListener[listener, default: Counters()][.total] += 1
        #endif
        interest = EventLoop.readable
        _ = ctx.loop.register(fd, events: interest, handler: self)
        if transport.isTLS {
            phase = .handshake
            setDeadline(.handshake)
        } else {
            setDeadline(.header)
        }
    }

    // MARK: Events

    func handleEvent(_ events: UInt32) {
        if phase == .handshake {
            continueHandshake()
            return
        }
        if events & EventLoop.writable != 0 {
            let readWaited = transport.tls?.readWantsWrite ?? false
            flushOutput()
            if phase == .closed { return }
            if readWaited { readAvailable() }
        }
        if events & (EventLoop.readable | EventLoop.hangup | EventLoop.error) != 0 {
            if transport.tls?.writeWantsRead ?? false {
                flushOutput()
                if phase == .closed { return }
            }
            readAvailable()
        }
    }

    /// Drives the TLS handshake on each event until it finishes or fails.
    func continueHandshake() {
        guard let tls = transport.tls else { return }
        switch tls.handshake() {
        case .done:
            phase = .idle
            #if !TETHER_NO_STATS
            ctx.loopStats.perListener[listener, default: Counters()][.tlsHandshakes] += 1
            if tls.resumed { ctx.loopStats.perListener[listener, default: Counters()][.tlsResumed] += 1 }
            #endif
            setDeadline(.header)
            setInterest(EventLoop.readable)
            readAvailable()  // the first request may have come with the last handshake flight
        case .wantRead:
            setInterest(EventLoop.readable)
        case .wantWrite:
            setInterest(EventLoop.writable)
        case .failed:
            handshakeFailed()
        }
    }

    func handshakeFailed() {
        #if !TETHER_NO_STATS
        ctx.loopStats.perListener[listener, default: Counters()][.tlsFailed] += 1
        #endif
        abort()
    }

    func setInterest(_ want: UInt32) {
        if want != interest {
            interest = want
            ctx.loop.modify(fd, events: want)
        }
    }

    func readAvailable() {
        guard phase != .closed, !clientEOF else { return }
        guard makeRoomInInput() else {
            updateInterest()
            return
        }
        switch transport.read(into: &input) {
        case .bytes(let n):
            if n == 0 { return }
            onClientBytes()
        case .wouldBlock:
            returnExchangeIfIdle()  // a TLS record that carried no request bytes
            return
        case .eof:
            clientEOF = true
            onClientEOF()
        case .error:
            abort()
        }
    }

    /// Makes free space at the end of the input buffer, if it can be done safely.
    func makeRoomInInput() -> Bool {
        if input.freeTail > 0 { return true }
        if input.storage.isEmpty {
            // Between requests the buffer waits in the loop's pool: it comes
            // back with an exchange (see `+Exchange`).
            guard phase == .idle || phase == .lingering else { return false }
            borrowExchange()
            return input.freeTail > 0
        }
        switch phase {
        case .idle:
            // A head is partly parsed: its indices must stay put, so grow up to the limit.
            let limit = runtime.config.limits.headBufferLimit
            if input.storage.count < limit {
                // (An idle connection gave its buffer back: it starts again at the usual size.)
                input.reserve(min(limit, max(runtime.receiveBufferSize, input.storage.count * 2)))
            }
        case .exchange:
            input.compact()  // the head was copied out; only body and pipelined bytes remain
        case .lingering:
            input.readIndex = input.writeIndex
            input.compact()
        case .handshake, .closing, .closed:
            return false
        }
        return input.freeTail > 0
    }

    func onClientBytes() {
        switch phase {
        case .idle:
            parseNextRequest()
        case .exchange:
            if !forwarder.bodyDone {
                continueSettled = true  // the body comes anyway: no 100 needed
                if queuedOn < 0 { setDeadline(.body) }  // while queued, queue_timeout rules
                pumpRequestBody()
            } else {
                updateInterest()  // pipelined bytes wait in the buffer
            }
        case .lingering:
            input.readIndex = input.writeIndex
        case .handshake, .closing, .closed:
            break
        }
    }

    func onClientEOF() {
        switch phase {
        case .handshake, .idle, .closing, .lingering:
            closeNow()
        case .exchange:
            if forwarder.bodyDone {
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
}
