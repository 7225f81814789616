import EventLoop
import Glibc
import HTTP1

/// What happens when a request cannot be completed.
extension ProxySession {
    enum BackendFailure {
        case connect(Int32)
        case connectTimeout
        case responseTimeout
        case io(Int32)
        case closed
        /// Bytes that are not HTTP, or break their own framing: the backend's fault.
        case invalidResponse(HTTPParseError)
        /// Valid HTTP that Tether will not pass on (a head over its limit, a
        /// `101` it never asked for): Tether's limits, not the backend's health.
        case unrelayable(StaticString)

        var reason: String {
            switch self {
            case .connect(let e): return "connect: \(String(cString: strerror(e)))"
            case .connectTimeout: return "connect timeout"
            case .responseTimeout: return "response timeout"
            case .io(let e): return "\(String(cString: strerror(e)))"
            case .closed: return "closed before a response"
            case .invalidResponse(let e): return "invalid response (\(e))"
            case .unrelayable(let why): return "\(why)"
            }
        }

        /// Passive health counts only what the backend did wrong.
        var blamesBackend: Bool {
            if case .unrelayable = self { return false }
            return true
        }

        /// `504` when the backend was too slow, `502` when it failed.
        var status: Int {
            switch self {
            case .connectTimeout, .responseTimeout: return 504
            default: return 502
            }
        }
    }

    /// The backend failed. Before any response byte reached the client the
    /// client gets a 502/504; after, its connection is reset, because a
    /// half-written response must never look complete or be followed by another.
    func backendFailed(_ failure: BackendFailure) {
        guard phase == .exchange else { return }
        if let b = backend {
            backend = nil
            releaseLoad()
            b.close()
            if isStaleReuse(b, failure) {
                retriedStale = true
                attachBackend(fresh: true)
                return
            }
            if runtime === ctx.runtime && failure.blamesBackend { ctx.passiveFailure(backendIndex, failure.reason) }
            switch failure {
            case .connect, .connectTimeout:
                // Nothing reached the backend: everything queued can go elsewhere.
                if failOver(carrying: b.send.bytes) { return }
            case .closed, .io:
                // RFC 9110 §9.2.2: an idempotent request that got no response
                // byte may be repeated; only when its body is not needed.
                if !responseHeadDone && !b.receivedForRequest && request.method.isIdempotent
                    && request.framing == .none && failOver(carrying: forwardHead)
                {
                    return
                }
            default:
                break
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

    /// A pooled connection the backend closed just as it was reused (EOF, or
    /// a reset on write or read) before any response byte: the backend never
    /// saw the request, so sending it again on a fresh connection cannot
    /// duplicate it. Only body-less requests: a streamed body cannot be replayed.
    private func isStaleReuse(_ b: BackendConnection, _ failure: BackendFailure) -> Bool {
        switch failure {
        case .closed, .io: break
        default: return false
        }
        return !b.receivedForRequest && b.requestsServed > 0 && !retriedStale && request.framing == .none
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
