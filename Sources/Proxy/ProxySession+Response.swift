import EventLoop

/// The backend leg as the session sees it (see `BackendConnection+Exchange`).
extension ProxySession {
    /// The wait for `100` is over: the client's clock goes back to the body.
    func continueSettled() {
        if clock.waitingFor == .expect && exchange.pointee.continueSettled { setDeadline(exchange.pointee.clientDeadline) }
    }

    func detachBackend() {
        backend = nil
        ctx.releaseLoad(exchange, runtime)
    }

    func dropBackend() {
        guard let b = backend else { return }
        detachBackend()
        b.close()
    }

    func finished(_ finish: Exchange.Finish) {
        logRequest()
        guard finish.keepClient else {
            cleanEnd = finish.requestReadWhole
            return closeAfterFlush()
        }
        phase = .idle
        if input.isEmpty { input.compact() }
        setDeadline(input.isEmpty ? .idle : .header)
        flushOutput()
    }

    func backendFailed(_ f: BackendFailure) {
        guard phase == .exchange, let b = backend else { return }
        let attempt = Exchange.Attempt(
            receivedForRequest: b.receivedForRequest, reusedConnection: b.requestsServed > 0, queued: .bytes(b.send.bytes))
        dropBackend()
        failed(f, attempt)
    }
}
