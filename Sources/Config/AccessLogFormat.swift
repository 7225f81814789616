/// What one access-log line holds. nginx's `log_format` and HAProxy's
/// `log-format` let the operator pick variables; Tether offers a fixed set
/// of named fields, each cheap to write (no per-request `String`), in three
/// ready-made lines and any list the operator writes.
public enum AccessLogField: String, CaseIterable, Sendable {
    case client
    case time
    case request
    case status
    case upstreamStatus = "upstream_status"
    case bytesSent = "bytes_sent"
    case bytesReceived = "bytes_received"
    case backend
    case connectMs = "connect_ms"
    case firstByteMs = "first_byte_ms"
    case backendMs = "backend_ms"
    case totalMs = "total_ms"
    case requestID = "request_id"
    case tlsVersion = "tls_version"
    case sni
    case userAgent = "user_agent"
    case referer
    case retries
    case termination
    case reason
    case tunnelUp = "tunnel_up"

    /// For `tether config-reference` and docs/OPERATIONS.md.
    public var meaning: String {
        switch self {
        case .client: return "the client's address"
        case .time: return "when the exchange ended, UTC to the millisecond (`2026-12-01T10:04:05.123Z`)"
        case .request: return "the request line as it came (`GET /path HTTP/1.1`)"
        case .status: return "the status the client got (`499`: the client left before any response; `0`: Tether cut it with none, e.g. a graceful stop out of time)"
        case .upstreamStatus: return "the status the backend sent (`-`: none, e.g. Tether answered itself)"
        case .bytesSent: return "response body bytes sent to the client (nginx's `$body_bytes_sent`)"
        case .bytesReceived: return "request bytes received from the client (head and body)"
        case .backend: return "the backend that served it (its name; `-`: none)"
        case .connectMs: return "time to connect to the backend (`0.000` on a pooled connection; `-`: no connection was made)"
        case .firstByteMs: return "from sending the request to the backend's response head (`-`: none came)"
        case .backendMs: return "from sending the request to the end of the response"
        case .totalMs: return "from the complete request head to the end"
        case .requestID: return "the `X-Request-ID` (see `request_id`; `-` when off)"
        case .tlsVersion: return "the client connection's TLS version (`TLSv1.3`; `-`: plain)"
        case .sni: return "the server name the TLS client asked for (`-`: none)"
        case .userAgent: return "the `User-Agent` field"
        case .referer: return "the `Referer` field"
        case .retries: return "further backends or connections the request was tried on"
        case .termination: return "who ended the exchange, and in which phase (`CAUSE/PHASE`, below)"
        case .reason: return "why Tether answered itself (`bad_header`, `backend_refused`…, as in `/stats` `rejected`; `-`: it did not)"
        case .tunnelUp: return "for a tunnel (status `101`): bytes sent to the backend (`-`: not a tunnel)"
        }
    }
}

public enum AccessLogFormat: Sendable, Equatable {
    /// `CLIENT [TIME] "REQUEST" STATUS BYTES BACKEND BACKEND_MS TOTAL_MS`
    /// (and `tunnel=CAUSE up=BYTES` for a tunnel): Tether's own line.
    case standard
    /// The Combined Log Format of Apache and nginx, which log tools
    /// (GoAccess, AWStats, lnav) read as it is.
    case combined
    /// One JSON object per line with every field.
    case json
    /// The fields the operator listed, separated by spaces.
    case fields([AccessLogField])

    public struct ParseError: Error, Equatable {
        public var message: String
    }

    /// `standard`, `combined`, `json`, or field names joined by commas.
    public init(parsing text: String) throws(ParseError) {
        switch text {
        case "standard", "default": self = .standard
        case "combined": self = .combined
        case "json": self = .json
        default:
            var list: [AccessLogField] = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let f = AccessLogField(rawValue: String(name)) else {
                    let known = AccessLogField.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ParseError(message: name.isEmpty
                        ? "access_log format \"\(text)\" has an empty field name"
                        : "access_log format: unknown field \"\(name)\"; use standard, combined, json, or a comma-separated list of: \(known)")
                }
                list.append(f)
            }
            self = .fields(list)
        }
    }

    /// Whether a line of this format writes `field` (what is cheap to skip
    /// is not gathered: the user agent, the referer).
    public func writes(_ field: AccessLogField) -> Bool {
        switch self {
        case .standard: return false
        case .combined: return field == .userAgent || field == .referer
        case .json: return true
        case .fields(let list): return list.contains(field)
        }
    }
}
