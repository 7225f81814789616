import EventLoop

/// One client connection (its TLS handshake done, see `TLSHandshake`): the
/// transport, buffers, clock and event interest, carrying out what its
/// requests' `Exchange` decides. The rules of a request are the exchange's;
/// this class moves bytes and keeps time.
///
/// A class because a connection has identity: the loop, its timers, its
/// backend connection and a backend's queue refer to it. It lives on one
/// loop and is never touched from another thread. Between requests it holds
/// no exchange and no buffers (see `Exchange`).
final class ProxySession: EventHandler, TimerTarget, QueueWaiter {
    enum Phase {
        case idle
        case exchange
        /// Writing the last bytes (then closing, or a `LingeringClose`).
        case closing
        case closed
    }

    let transport: ClientTransport
    /// A plain listener that answers every request with a redirect to https.
    let redirectsToHTTPS: Bool
    /// The loop context outlives every connection on it.
    unowned(unsafe) let ctx: LoopContext
    /// The configuration snapshot of the current request (see `LoopContext.install`).
    var runtime: ProxyRuntime

    var phase = Phase.idle
    var input = ReceiveBuffer(capacity: 0)  // buffers come with the first exchange
    var output = SendQueue()
    /// The request in progress, borrowed from the loop (see `+Exchange`).
    var held: UnsafeMutablePointer<Exchange>?
    var backend: BackendConnection?
    var clientEOF = false
    /// The last request was read whole (see `endAfterResponse`).
    var cleanEnd = false
    /// The backend whose queue this session waits in (-1: none). Not on the
    /// exchange: a stale queue entry is told apart without one.
    var queuedOn = -1

    var clock = ClientClock()
    var deadline: UInt64 = 0
    var timerSlot = -1
    var interest: UInt32 = 0
    /// TLS: decrypted bytes wait for a later turn of the loop (see `updateInterest`).
    var pendingReadScheduled = false

    init(_ transport: ClientTransport, ctx: LoopContext, redirectsToHTTPS: Bool) {
        self.transport = transport
        self.ctx = ctx
        self.runtime = ctx.runtime
        self.redirectsToHTTPS = redirectsToHTTPS
    }

    var fd: Int32 { transport.fd }

    deinit {
        // Closed mid-request: its exchange goes with it (see `teardown`).
        if let e = held { ExchangePool.free(e) }
    }

    /// A plain connection registers its socket; a TLS one takes it over
    /// from its handshake, registered with `handshakeInterest`.
    func start(takingOver handshakeInterest: UInt32? = nil) {
        ctx.add(self)
        if let registered = handshakeInterest {
            interest = registered
            setInterest(EventLoop.readable)
        } else {
            interest = EventLoop.readable
            _ = ctx.loop.register(fd, events: interest, handler: self)
        }
        setDeadline(.header)
    }

    func handleEvent(_ events: UInt32) {
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

    func readAvailable() {
        guard phase == .idle || phase == .exchange, !clientEOF, makeRoomInInput() else { return updateInterest() }
        switch transport.read(into: &input) {
        case .bytes(let n) where n > 0:
            if phase == .idle { return parseNextRequest() }
            let action = exchange.pointee.clientSent()
            if action == .pumpBody && queuedOn < 0 { setDeadline(.body) }  // while queued, queue_timeout rules
            perform(action)
        case .bytes:
            break
        case .wouldBlock:
            returnExchangeIfIdle()  // a TLS record that carried no request bytes
        case .eof:
            clientEOF = true
            if phase == .idle { closeNow() } else { perform(exchange.pointee.clientClosed()) }
        case .error:
            abort()
        }
    }

    func makeRoomInInput() -> Bool {
        if input.freeTail > 0 { return true }
        if input.storage.isEmpty {
            ctx.exchanges.lend(to: self)  // between requests the buffer waits in the loop's pool
        } else if phase == .idle {
            // A head is partly parsed: its indices must stay put, so grow up to the limit.
            input.grow(upTo: runtime.config.limits.headBufferLimit, from: runtime.receiveBufferSize)
        } else {
            input.compact()  // the head was copied out; only body and pipelined bytes remain
        }
        return input.freeTail > 0
    }
}
