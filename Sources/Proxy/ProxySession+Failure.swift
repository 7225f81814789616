import EventLoop
import Glibc
import HTTP1

/// What happens when a request cannot be completed.
extension ProxySession {
    /// The backend failed. Before any response byte reached the client the
    /// client gets a 502/504; after, its connection is reset, because a
    /// half-written response must never look complete or be followed by another.
    func backendFailed(_ failure: BackendFailure) {
        guard phase == .exchange else { return }
        if let b = backend {
            backend = nil
            releaseLoad()
            b.close()
            let retry = RetryPolicy.retry(
                .init(failure: failure, receivedForRequest: b.receivedForRequest, reusedConnection: b.requestsServed > 0,
                      retriedStale: retriedStale, idempotent: request.method.isIdempotent, hasBody: request.framing != .none,
                      responseHeadDone: responseHeadDone))
            if retry == .freshConnection {
                retriedStale = true
                attachBackend(fresh: true)
                return
            }
            if failure.blamesBackend, let i = ctx.currentIndex(runtime, backendIndex) { ctx.passiveFailure(i, failure.reason) }
            switch retry {
            case .nextBackendWithQueuedBytes: if failOver(carrying: b.send.bytes) { return }
            case .nextBackendWithHead: if failOver(carrying: forwarder.head) { return }
            case .freshConnection, nil: break
            }
        }
        if responseHeadDone {
            // Nothing of the response left yet: the client gets a clean 502
            // instead of a head that promises a body that will not come.
            if output.dropUnsent(after: responseStart) {
                responseHeadDone = false
                ctx.event(backend: backendIndex, runtime, "\(failure.reason); answered \(failure.status)")
                respondWithError(status: failure.status)
                return
            }
            ctx.event(backend: backendIndex, runtime, "\(failure.reason); response cut after \(bytesToClient) body bytes")
            logRequest(backendNanos: ctx.loop.now - backendStart)
            abort()
            return
        }
        switch failure {
        case .invalidResponse, .unrelayable:
            // The status alone would not say why; timeouts and refusals
            // show in the health log and the backend's counters.
            ctx.event(backend: backendIndex, runtime, "\(failure.reason); answered \(failure.status)")
        default:
            break
        }
        respondWithError(status: failure.status)
    }

    /// `request_timeout` passed: 504 if the client has no response head yet,
    /// else a reset (a cut-short response must never look complete). The
    /// backend is not blamed: the limit is the operator's, not its failure.
    func requestTimedOut() {
        abandonQueue()
        endExchange(status: 504)
    }

    /// The request body broke its framing or its size limit mid-stream.
    func requestBodyFailed(_ error: HTTPParseError) {
        endExchange(status: error.status)
    }

    /// Drops the backend side and answers `status`, or resets the client if
    /// part of a response already went out.
    private func endExchange(status: Int) {
        if let b = backend {
            backend = nil
            releaseLoad()
            b.close()
        }
        if responseHeadDone {
            abort()
            return
        }
        respondWithError(status: status)
    }

    /// Writes one of Tether's own responses and closes after it.
    func respondWithError(status: Int) {
        borrowExchange()  // a 408 may answer a connection that sent nothing
        let bytes = ErrorResponse.bytes(status: status)
        if phase == .idle {
            requestStart = ctx.loop.now
            backendIndex = -1
            recordRequestLine(fallback: true)  // the head did not parse (or found no backend)
        }
        self.status = status
        bytesToClient = ErrorResponse.bodyLength(bytes)
        output.append(static: bytes)
        logRequest(backendNanos: 0)
        closeAfterFlush()
    }
}
