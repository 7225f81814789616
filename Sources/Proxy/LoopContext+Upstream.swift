import Stats

/// A request's dealings with a backend's `Upstream` on this loop: a
/// connection or a place in the queue, its share of the load, and what
/// passive health and the operator learn from how it went.
extension LoopContext {
    enum Link {
        case ready(BackendConnection)
        /// No free slot (`max_conns`): the session waits in the queue.
        case queued
        /// No free slot and the queue is full (`max_queue`): `503`.
        case queueFull
        case refused(Int32)
    }

    /// A connection to backend `i` of `runtime` for `session`: from the
    /// pool (LIFO: the most recently used is the least likely to have been
    /// closed by the backend) unless `fresh`, or new; or a place in the
    /// queue while the backend has no slot.
    func link(_ session: ProxySession, to i: Int, of runtime: ProxyRuntime, fresh: Bool) -> Link {
        if isCurrent(runtime) && !hasSlot(i) {
            guard upstreams[i].queue.count < upstreams[i].queueLimit else {
                count(.queueRejected, i)
                return .queueFull
            }
            upstreams[i].queue.push(session)
            return .queued
        }
        let target = runtime.backends[i]
        if !fresh, let c = pool(for: target)?.take() { return .ready(c) }
        switch BackendConnection.open(target, ctx: self) {
        case .success(let c): return .ready(c)
        case .failure(.connect(let e)): return .refused(e)
        }
    }

    /// A waiter left backend `i`'s queue without a slot (`queue_timeout`, or it closed).
    func leftQueue(_ i: Int, timedOut: Bool) {
        guard i < upstreams.count else { return }
        upstreams[i].queue.forget()
        if timedOut { count(.queueRejected, i) }
    }

    /// The request in `e` counts against backend `i`'s load on this loop
    /// (a request begun before a reload counts nowhere: see `isCurrent`).
    func holdLoad(_ e: UnsafeMutablePointer<Exchange>, _ i: Int, _ runtime: ProxyRuntime) {
        releaseLoad(e, runtime)
        guard isCurrent(runtime) else { return }
        e.pointee.loadHeld = i
        loadTaken(i)
    }

    func releaseLoad(_ e: UnsafeMutablePointer<Exchange>, _ runtime: ProxyRuntime) {
        let i = e.pointee.loadHeld
        guard i >= 0 else { return }
        e.pointee.loadHeld = -1
        if isCurrent(runtime) { loadReleased(i) }
    }

    /// A response head from backend `i`: with `passive_5xx`, a 5xx counts
    /// as a failure; anything else ends a run of them.
    func responded(_ status: Int, backend i: Int, _ runtime: ProxyRuntime) {
        guard let c = currentIndex(runtime, i) else { return }
        if status >= 500 && runtime.checkSettings[i].passive5xx {
            passiveFailure(c, "status \(status)")
        } else {
            passiveSuccess(c)
        }
    }

    /// What a backend failure comes to, for passive health and the operator.
    func failed(_ f: BackendFailure, _ outcome: Exchange.FailureOutcome, backend i: Int, _ runtime: ProxyRuntime) {
        if outcome.blamesBackend, let c = currentIndex(runtime, i) { passiveFailure(c, f.reason) }
        switch outcome.note {
        case .answered(let cause): event(backend: i, runtime, "\(f.reason); answered \(cause.status) (\(cause.name))")
        case .cut(let n): event(backend: i, runtime, "\(f.reason); response cut after \(n) body bytes")
        case nil: break
        }
    }
}
