import EventLoop
import Stats

/// One deadline per session at a time (see `ClientClock`).
extension ProxySession {
    func setDeadline(_ kind: ClientDeadline?) {
        deadline = clock.deadline(for: kind, now: ctx.loop.now, runtime, tls: transport.isTLS, requestDeadline: requestDeadline)
        if deadline != 0 { ctx.loop.schedule(self) }
    }

    var requestDeadline: UInt64 { phase == .exchange ? exchange.pointee.deadline : 0 }

    func deadlineExpired(now: UInt64) {
        switch clock.expired(now: now, requestDeadline: requestDeadline) {
        case .request:
            abandonQueue()
            perform(exchange.pointee.requestTimedOut())
        case .tlsIdleUntil(let idleEnds):
            transport.releaseIdleBuffers()
            deadline = idleEnds
            ctx.loop.schedule(self)
        case .waited(.queue):
            abandonQueue(timedOut: true)
            perform(exchange.pointee.queueTimedOut())
        case .waited(.expect):
            guard phase == .exchange, exchange.pointee.expectTimedOut(output: &output) else { return }
            setDeadline(exchange.pointee.clientDeadline)
            flushOutput()
        case .waited(.header): respond(.headerTimeout)
        case .waited(.body): perform(exchange.pointee.bodyTimedOut())
        case .waited(.idle), .waited(.tlsIdle): closeNow()
        case .waited(.send):
            if phase == .exchange { exchange.pointee.end(.clientTimeout) }
            abort()
        }
    }
}
