import Stats
import EventLoop
import HTTP1

/// The request state, borrowed from the loop, and the carrying out of
/// what it decides.
extension ProxySession {
    /// The exchange in progress. A plain read: the session borrows one
    /// (`ctx.exchanges.lend`) where a request's state begins (bytes arrive,
    /// or Tether answers a connection that sent none), so this never allocates.
    @inline(__always)
    var exchange: UnsafeMutablePointer<Exchange> { held! }

    /// Between requests with nothing buffered either way, the exchange and
    /// both buffers go back to the loop (called wherever a session may become idle).
    func returnExchangeIfIdle() {
        if phase == .idle && input.isEmpty && output.isEmpty && backend == nil { ctx.exchanges.takeBack(from: self) }
    }

    func perform(_ action: Exchange.Action) {
        switch action {
        case .wait: updateInterest()
        case .route: route()
        case .connect(let i, let fresh, let carry): connect(i, fresh: fresh, carry: carry)
        case .failOver(let carry): failOver(carry)
        case .pumpBody: backend?.pullBody(from: self)
        case .tunnel: Tunnel.open(from: self)
        case .answer(let cause): respond(cause)
        case .answered:
            logRequest()
            closeAfterFlush()
        case .reset:
            dropBackend()
            abort()  // logs the request with its termination
        }
    }

    func respond(_ cause: LocalAnswer) {
        let e = ctx.exchanges.lend(to: self)  // a 408 may answer a connection that sent nothing
        dropBackend()
        e.pointee.writeAnswer(
            cause, input, into: &output, now: ctx.loop.now, ids: &ctx.requestIDs, makeID: runtime.config.requestID != .off)
        logRequest()
        closeAfterFlush()
    }

    /// The request's line in the books and the access log, once.
    func logRequest() {
        let e = exchange
        guard !e.pointee.logged else { return }
        e.pointee.logged = true
        let start = e.pointee.backendStart
        ctx.record(e, runtime: runtime, transport: transport, backendNanos: start == 0 ? 0 : ctx.loop.now - start)
    }

    /// The connection ends while a request is in flight (the client left,
    /// a timeout, a reset): the request still gets its line, with who ended
    /// it (the client, unless someone said otherwise).
    func logCutRequest() {
        guard let e = held, e.pointee.state != .head, e.pointee.requestStart != 0, !e.pointee.logged else { return }
        e.pointee.end(.clientClosed)
        // nginx's 499: the client left before any response. A request Tether
        // cut itself with no response logs status 0.
        let cause = e.pointee.termination?.cause
        if !e.pointee.responseHeadDone && e.pointee.answer == nil && (cause == .clientClosed || cause == .clientTimeout) {
            e.pointee.status = 499
        }
        logRequest()
    }
}
