import EventLoop
import Stats

/// `max_conns`: a request for a backend that has no free slot on this loop
/// waits in the backend's queue (bounded by `max_queue`, for at most
/// `queue_timeout`), as in HAProxy; past either bound it gets `503` with
/// `Retry-After`, which tells a client the truth: overloaded, try again.
extension ProxySession {
    func waitForSlot(fresh: Bool, carry: [UInt8]?) {
        let i = backendIndex
        guard ctx.upstreams[i].queue.count < ctx.upstreams[i].queueLimit else {
            ctx.count(.queueRejected, i)
            respondWithError(status: 503)
            return
        }
        queuedOn = i
        queuedFresh = fresh
        queuedCarry = carry
        ctx.upstreams[i].queue.push(self)
        setDeadline(.queue)
    }

    /// A slot freed up (or a reload let everyone through): on to the backend.
    func leaveQueue() {
        guard queuedOn >= 0 else { return }
        queuedOn = -1
        let carry = queuedCarry
        queuedCarry = nil
        guard phase == .exchange else { return }
        setDeadline(bodyDeadline)
        attachBackend(fresh: queuedFresh, carry: carry)
    }

    /// The wait ended without a slot: `queue_timeout`, or the client left.
    func abandonQueue() {
        guard queuedOn >= 0 else { return }
        if queuedOn < ctx.upstreams.count { ctx.upstreams[queuedOn].queue.forget() }
        queuedOn = -1
        queuedCarry = nil
    }

    func queueTimedOut() {
        let i = queuedOn
        abandonQueue()
        if i >= 0 && i < ctx.upstreams.count { ctx.count(.queueRejected, i) }
        respondWithError(status: 503)
    }
}
