import Stats
import Glibc
import HTTP1

/// Why an exchange's backend let it down, and what that means for the
/// client's status and the backend's health.
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

    /// What Tether answers for it: `504` when the backend was too slow,
    /// `502` when it failed, each with its cause.
    var answer: LocalAnswer {
        switch self {
        case .connect: return .backendRefused
        case .connectTimeout: return .connectTimeout
        case .responseTimeout: return .backendTimeout
        case .io, .closed: return .backendReset
        case .invalidResponse, .unrelayable: return .invalidResponse
        }
    }
}

/// What may be done about a failed backend before answering the client
/// (RFC 9110 §9.2.2: a request may be repeated only when repeating it
/// cannot do twice what the backend already did). Pure: the session gives
/// the facts.
enum RetryPolicy {
    struct Facts {
        var failure: BackendFailure
        /// A response byte of this request arrived on the connection.
        var receivedForRequest: Bool
        /// The connection came from the pool (it served a request before).
        var reusedConnection: Bool
        /// This request already met a stale pooled connection once.
        var retriedStale: Bool
        var idempotent: Bool
        /// The request has a body (it is streamed, so it cannot be replayed).
        var hasBody: Bool
        var responseHeadDone: Bool
    }

    enum Retry: Equatable {
        /// A pooled connection the backend closed just as it was reused:
        /// the backend never saw the request; send it again, to the same
        /// backend, on a fresh connection. The backend is not to blame.
        case freshConnection
        /// Try the next backend with what was queued for this one (the
        /// head and any body so far: nothing of it was sent).
        case nextBackendWithQueuedBytes
        /// Try the next backend with the forwarded head again (a body-less
        /// idempotent request that got no response byte).
        case nextBackendWithHead
    }

    static func retry(_ f: Facts) -> Retry? {
        switch f.failure {
        case .closed, .io:
            if !f.receivedForRequest && f.reusedConnection && !f.retriedStale && !f.hasBody { return .freshConnection }
            if !f.responseHeadDone && !f.receivedForRequest && f.idempotent && !f.hasBody { return .nextBackendWithHead }
            return nil
        case .connect, .connectTimeout:
            return .nextBackendWithQueuedBytes
        case .responseTimeout, .invalidResponse, .unrelayable:
            return nil
        }
    }
}
