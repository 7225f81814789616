/// Why Tether answered a request itself instead of relaying a backend's
/// answer: the cause behind each of its own statuses, so that a 502 from
/// a refused connection is told from a 502 for a response that broke the
/// rules, and neither shows as the backend's own 5xx (HAProxy keeps the
/// same split between `eresp`/`econ` and the servers' `hrsp_5xx`).
public enum LocalAnswer: Int, CaseIterable, Sendable {
    /// 400: the request line (method, target, version) is malformed.
    case badRequestLine
    /// 400: a header field is malformed (bare CR/LF, folding, a name that
    /// is not a token, a control character in a value...).
    case badHeader
    /// 400: no Host, two of them, or one no URL can carry.
    case badHost
    /// 400: the body's framing is in doubt (Content-Length with
    /// Transfer-Encoding, a bad length or chunk): what smuggling needs.
    case badFraming
    /// 408: the request head did not arrive within `header_timeout`.
    case headerTimeout
    /// 408: the client paused its body past `client_body_timeout`.
    case bodyTimeout
    /// 413, 414, 417, 431, 501: over a limit, or something Tether does not do.
    case bodyTooLarge, uriTooLong, expectationFailed, headersTooLarge, notImplemented
    /// 502: no backend accepted the connection (after the retries).
    case backendRefused
    /// 502: the backend closed or reset the connection before its response was whole.
    case backendReset
    /// 502: the backend's response broke HTTP/1.1 or cannot be relayed.
    case invalidResponse
    /// 503: no backend can take the request (all down, in maintenance, or none configured).
    case noBackend
    /// 503: the backend's queue was full (`max_conns` and `max_queue`).
    case queueFull
    /// 503: the request waited in the queue past `queue_timeout`.
    case queueTimeout
    /// 504: the connection to the backend was not made within `connect_timeout`.
    case connectTimeout
    /// 504: a read of the backend's response took longer than `backend_timeout`.
    case backendTimeout
    /// 504: the whole exchange took longer than `request_timeout`.
    case requestTimeout

    public var status: Int {
        switch self {
        case .badRequestLine, .badHeader, .badHost, .badFraming: return 400
        case .headerTimeout, .bodyTimeout: return 408
        case .bodyTooLarge: return 413
        case .uriTooLong: return 414
        case .expectationFailed: return 417
        case .headersTooLarge: return 431
        case .notImplemented: return 501
        case .backendRefused, .backendReset, .invalidResponse: return 502
        case .noBackend, .queueFull, .queueTimeout: return 503
        case .connectTimeout, .backendTimeout, .requestTimeout: return 504
        }
    }

    /// As `/stats` and `/metrics` name it (a StaticString: a log line can
    /// carry it without building a String).
    public var name: StaticString {
        switch self {
        case .badRequestLine: return "bad_request_line"
        case .badHeader: return "bad_header"
        case .badHost: return "bad_host"
        case .badFraming: return "bad_framing"
        case .headerTimeout: return "header_timeout"
        case .bodyTimeout: return "body_timeout"
        case .bodyTooLarge: return "body_too_large"
        case .uriTooLong: return "uri_too_long"
        case .expectationFailed: return "expectation_failed"
        case .headersTooLarge: return "headers_too_large"
        case .notImplemented: return "not_implemented"
        case .backendRefused: return "backend_refused"
        case .backendReset: return "backend_reset"
        case .invalidResponse: return "invalid_response"
        case .noBackend: return "no_backend"
        case .queueFull: return "queue_full"
        case .queueTimeout: return "queue_timeout"
        case .connectTimeout: return "connect_timeout"
        case .backendTimeout: return "backend_timeout"
        case .requestTimeout: return "request_timeout"
        }
    }

    public var label: String { name.description }

    /// The request had a backend, whose side of the exchange caused this:
    /// counted on that backend too.
    public var isBackendSide: Bool {
        switch self {
        case .backendRefused, .backendReset, .invalidResponse, .queueFull, .queueTimeout,
             .connectTimeout, .backendTimeout, .requestTimeout:
            return true
        default:
            return false
        }
    }
}

extension LocalAnswer {
    /// What the cause means, for the stats reference and `/metrics` help.
    public var meaning: String {
        switch self {
        case .badRequestLine: return "the request line (method, target, version) is malformed"
        case .badHeader: return "a header field is malformed (bare CR or LF, folding, a bad name or a control character)"
        case .badHost: return "no Host, two of them, or one no URL can carry"
        case .badFraming: return "the body's framing is in doubt (Content-Length with Transfer-Encoding, a bad length or chunk)"
        case .headerTimeout: return "the request head did not arrive within `header_timeout`"
        case .bodyTimeout: return "the client paused its body past `client_body_timeout`"
        case .bodyTooLarge: return "the body is over `max_body_size`"
        case .uriTooLong: return "the request line is over `max_request_line`"
        case .expectationFailed: return "an `Expect` other than 100-continue"
        case .headersTooLarge: return "the header block is over `max_header_size` or `max_header_count`"
        case .notImplemented: return "a method (CONNECT) or transfer coding Tether does not forward"
        case .backendRefused: return "the connection to the backend failed (and no other backend could take the request)"
        case .backendReset: return "the backend closed or reset the connection before its response was whole"
        case .invalidResponse: return "the backend's response broke HTTP/1.1 or cannot be relayed"
        case .noBackend: return "no backend can take the request"
        case .queueFull: return "the backend's queue was full (`max_conns`, `max_queue`)"
        case .queueTimeout: return "the request waited past `queue_timeout` for a slot"
        case .connectTimeout: return "no connection to the backend within `connect_timeout`"
        case .backendTimeout: return "a read of the backend's response took longer than `backend_timeout`"
        case .requestTimeout: return "the whole exchange took longer than `request_timeout`"
        }
    }
}
