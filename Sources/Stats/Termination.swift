/// Who ended an exchange, and in which phase: HAProxy's two-letter
/// termination state (`CD`: the client aborted during the data phase),
/// spelt out so that a log line explains itself (`client_closed/response`).
/// Every value is listed with its meaning in docs/OPERATIONS.md.
public struct Termination: Equatable, Sendable {
    public var cause: Cause
    public var phase: Phase

    public init(_ cause: Cause, _ phase: Phase) {
        self.cause = cause
        self.phase = phase
    }

    public static let ok = Termination(.ok, .done)

    public enum Cause: UInt8, CaseIterable, Sendable {
        case ok
        case clientClosed
        case clientTimeout
        case clientError
        case backendClosed
        case backendTimeout
        case backendError
        case unavailable
        case limit
        case redirect
        case stopped
        case backendDown
        case maintenance

        public var name: StaticString {
            switch self {
            case .ok: return "ok"
            case .clientClosed: return "client_closed"
            case .clientTimeout: return "client_timeout"
            case .clientError: return "client_error"
            case .backendClosed: return "backend_closed"
            case .backendTimeout: return "backend_timeout"
            case .backendError: return "backend_error"
            case .unavailable: return "unavailable"
            case .limit: return "limit"
            case .redirect: return "redirect"
            case .stopped: return "stopped"
            case .backendDown: return "backend_down"
            case .maintenance: return "maintenance"
            }
        }

        public var meaning: String {
            switch self {
            case .ok: return "nobody cut it: the response (or the tunnel) ended as HTTP says it should"
            case .clientClosed: return "the client closed or reset its connection first (status `499` when no response had started)"
            case .clientTimeout: return "the client was too slow: `header_timeout`, `client_body_timeout` or `send_timeout`"
            case .clientError: return "the request broke HTTP/1.1 or a limit, and Tether refused it (`400`, `413`, `414`, `417`, `431`, `501`)"
            case .backendClosed: return "the backend refused the connection, or closed or reset it before its response was whole"
            case .backendTimeout: return "`connect_timeout` or `backend_timeout` passed"
            case .backendError: return "the backend's response broke HTTP/1.1 (`502`)"
            case .unavailable: return "no backend could take it: none in service, or its queue full or timed out (`503`)"
            case .limit: return "the operator's limit on the whole exchange: `request_timeout`, or `tunnel_timeout` for a tunnel"
            case .redirect: return "Tether answered with its redirect to https (`redirect_https`)"
            case .stopped: return "a graceful stop ran out of `graceful_stop_timeout` and closed it"
            case .backendDown: return "its backend was marked down (a tunnel is closed so the client reconnects elsewhere)"
            case .maintenance: return "its backend was put in maintenance (a tunnel is closed so the client reconnects elsewhere)"
            }
        }

        /// Tether's own answer, as a termination cause.
        public init(_ answer: LocalAnswer) {
            switch answer {
            case .badRequestLine, .badHeader, .badHost, .badFraming, .bodyTooLarge, .uriTooLong,
                 .expectationFailed, .headersTooLarge, .notImplemented:
                self = .clientError
            case .headerTimeout, .bodyTimeout: self = .clientTimeout
            case .backendRefused, .backendReset: self = .backendClosed
            case .invalidResponse: self = .backendError
            case .noBackend, .queueFull, .queueTimeout: self = .unavailable
            case .connectTimeout, .backendTimeout: self = .backendTimeout
            case .requestTimeout: self = .limit
            }
        }
    }

    public enum Phase: UInt8, CaseIterable, Sendable {
        case request, upload, queue, connect, wait, response, tunnel, done

        public var name: StaticString {
            switch self {
            case .request: return "request"
            case .upload: return "upload"
            case .queue: return "queue"
            case .connect: return "connect"
            case .wait: return "wait"
            case .response: return "response"
            case .tunnel: return "tunnel"
            case .done: return "done"
            }
        }

        public var meaning: String {
            switch self {
            case .request: return "reading the request head"
            case .upload: return "relaying the request body to the backend"
            case .queue: return "waiting in the backend's queue (`max_conns`)"
            case .connect: return "connecting to the backend"
            case .wait: return "the request was sent; waiting for the response head"
            case .response: return "relaying the response body"
            case .tunnel: return "a tunnel (after `101 Switching Protocols`)"
            case .done: return "after the exchange was complete"
            }
        }
    }
}
