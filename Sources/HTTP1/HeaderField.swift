/// The header names the proxy acts on. Everything else is `.other` and is copied
/// through byte for byte without ever becoming a `String`.
public enum KnownHeader: UInt8, Sendable {
    case other
    case host
    case contentLength
    case transferEncoding
    case connection
    case keepAlive
    case proxyConnection
    case te
    case trailer
    case upgrade
    case expect
    case cookie
    case setCookie
    case xForwardedFor
    case xForwardedProto
    case xForwardedHost
    case via
    /// `X-Request-ID`: replaced when Tether sends its own (`request_id`).
    case xRequestID
    /// RFC 7239 `Forwarded`: kept only from a trusted hop.
    case forwarded

    /// Never copied as they came: RFC 9110 §7.6.1 hop-by-hop fields, and the
    /// fields the proxy re-emits from what it parsed (framing, `Expect`), so
    /// the next hop reads one canonical value of each. `Trailer` goes with the
    /// trailers themselves (see `MessageWriter`).
    @inlinable
    public var isHopByHop: Bool {
        switch self {
        case .connection, .keepAlive, .proxyConnection, .te, .trailer, .upgrade, .transferEncoding, .contentLength, .expect:
            return true
        default:
            return false
        }
    }

    @inlinable
    static func classify(_ buf: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) -> KnownHeader {
        switch name.count {
        case 2: return buf.equalsLowercased(name, "te") ? .te : .other
        case 3: return buf.equalsLowercased(name, "via") ? .via : .other
        case 4: return buf.equalsLowercased(name, "host") ? .host : .other
        case 6:
            if buf.equalsLowercased(name, "cookie") { return .cookie }
            if buf.equalsLowercased(name, "expect") { return .expect }
            return .other
        case 7:
            if buf.equalsLowercased(name, "upgrade") { return .upgrade }
            if buf.equalsLowercased(name, "trailer") { return .trailer }
            return .other
        case 9: return buf.equalsLowercased(name, "forwarded") ? .forwarded : .other
        case 10:
            if buf.equalsLowercased(name, "connection") { return .connection }
            if buf.equalsLowercased(name, "keep-alive") { return .keepAlive }
            if buf.equalsLowercased(name, "set-cookie") { return .setCookie }
            return .other
        case 12: return buf.equalsLowercased(name, "x-request-id") ? .xRequestID : .other
        case 14: return buf.equalsLowercased(name, "content-length") ? .contentLength : .other
        case 15: return buf.equalsLowercased(name, "x-forwarded-for") ? .xForwardedFor : .other
        case 16:
            if buf.equalsLowercased(name, "proxy-connection") { return .proxyConnection }
            if buf.equalsLowercased(name, "x-forwarded-host") { return .xForwardedHost }
            return .other
        case 17:
            if buf.equalsLowercased(name, "transfer-encoding") { return .transferEncoding }
            if buf.equalsLowercased(name, "x-forwarded-proto") { return .xForwardedProto }
            return .other
        default: return .other
        }
    }
}

/// One field line, as indices into the connection's receive buffer.
public struct HeaderField: Sendable, Equatable {
    public var name: Range<Int>
    public var value: Range<Int>
    public var known: KnownHeader

    public init(name: Range<Int>, value: Range<Int>, known: KnownHeader) {
        self.name = name
        self.value = value
        self.known = known
    }
}

/// How the body of a message is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
    /// Responses only: the body runs until the backend closes.
    case untilClose
}

public enum HTTPVersion: UInt8, Sendable {
    case http10
    case http11
}
