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
            logRequest(backendNanos: 0)
            closeAfterFlush()
        case .reset(let log):
            dropBackend()
            if log { logRequest(backendNanos: ctx.loop.now - exchange.pointee.backendStart) }
            abort()
        }
    }

    func respond(_ cause: LocalAnswer) {
        let e = ctx.exchanges.lend(to: self)  // a 408 may answer a connection that sent nothing
        dropBackend()
        e.pointee.writeAnswer(cause, input, into: &output, now: ctx.loop.now)
        logRequest(backendNanos: 0)
        closeAfterFlush()
    }

    func logRequest(backendNanos: UInt64) {
        ctx.record(exchange, runtime: runtime, peer: transport.peer, backendNanos: backendNanos)
    }
}
