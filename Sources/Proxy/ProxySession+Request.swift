import EventLoop
import Stats
import HTTP1

/// The request's way to a backend: parse, route, queue, connect, body.
extension ProxySession {
    func parseNextRequest() {
        guard phase == .idle else { return }
        if input.isEmpty {
            input.compact()
            if ctx.draining && !awaitingFirstRequest { return closeNow() }
            returnExchangeIfIdle()
            return updateInterest()
        }
        if !ctx.isCurrent(runtime) { runtime = ctx.runtime }  // a reload: the next request takes the new configuration
        // Pipelined requests wait until the client has read earlier responses.
        if output.count >= runtime.highWater { return updateInterest() }
        let action = exchange.pointee.parseHead(&input, limits: runtime.config.limits, now: ctx.loop.now)
        if action == .wait && (clock.waitingFor == .idle || clock.waitingFor == .tlsIdle) { setDeadline(.header) }
        perform(action)
    }

    func route() {
        let e = exchange
        if redirectsToHTTPS { return perform(e.pointee.redirect(input, portSuffix: runtime.httpsPortSuffix, into: &output)) }
        let route = input.storage.withUnsafeBufferPointer { ctx.route($0, e.pointee.request) }
        if runtime.notesHead {
            input.storage.withUnsafeBufferPointer {
                e.pointee.noteHead(
                    $0, userAgent: runtime.logsUserAgent, referer: runtime.logsReferer, requestID: runtime.config.requestID, ids: &ctx.requestIDs)
            }
        }
        let action = e.pointee.routed(
            route, &input, peer: transport.peer, isTLS: transport.isTLS, trustedHop: transport.isTrustedHop(runtime.trustedProxies),
            emitForwarded: runtime.emitForwarded, host: route.map { runtime.backends[$0.backend].hostBytes } ?? [],
            maxBody: runtime.config.limits.maxBodySize, deadline: runtime.requestTimeout > 0 ? ctx.loop.now + runtime.requestTimeout : 0,
            draining: ctx.draining)
        if case .connect = action {
            phase = .exchange
            setDeadline(e.pointee.clientDeadline)
        }
        perform(action)
    }

    /// Sends the request on a pooled connection or a new one, or queues it
    /// when the backend has no free slot (`max_conns`).
    func connect(_ i: Int, fresh: Bool, carry: Exchange.Carry) {
        switch ctx.link(self, to: i, of: runtime, fresh: fresh) {
        case .ready(let b):
            backend = b
            ctx.holdLoad(exchange, i, runtime)
            b.begin(carry, for: self)
            b.pullBody(from: self, flush: false)
            b.requestQueued()
        case .queued:
            queuedOn = i
            exchange.pointee.queued(fresh: fresh, carry: carry)
            setDeadline(.queue)
        case .queueFull:
            respond(.queueFull)
        case .refused(let e):
            failed(.connect(e), Exchange.Attempt(queued: carry))
        }
    }

    func failed(_ f: BackendFailure, _ attempt: Exchange.Attempt) {
        conclude(f, exchange.pointee.backendFailed(f, attempt, output: &output))
    }

    func failOver(_ carry: Exchange.Carry) {
        let e = exchange
        if ctx.isCurrent(runtime), let next = ctx.failover(e, retries: runtime.config.retries) {
            return perform(e.pointee.failedOver(to: next, sticky: ctx.router.mode == .sticky, carry: carry))
        }
        conclude(e.pointee.failure ?? .closed, e.pointee.giveUp(output: &output))
    }

    private func conclude(_ f: BackendFailure, _ outcome: Exchange.FailureOutcome) {
        ctx.failed(f, outcome, backend: exchange.pointee.backendIndex, runtime)
        perform(outcome.action)
    }

    /// A slot freed up (or a reload let everyone through): on to the backend.
    func leaveQueue() {
        guard queuedOn >= 0 else { return }
        queuedOn = -1
        guard phase == .exchange else { return }
        setDeadline(exchange.pointee.clientDeadline)
        perform(exchange.pointee.admitted())
    }

    /// The wait ended without a slot: `queue_timeout`, or the client left.
    func abandonQueue(timedOut: Bool = false) {
        guard queuedOn >= 0 else { return }
        ctx.leftQueue(queuedOn, timedOut: timedOut)
        queuedOn = -1
    }
}
