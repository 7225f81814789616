/// Writes the heads the proxy sends on, byte for byte from the parsed ranges.
///
/// Hop-by-hop fields (RFC 9110 §7.6.1) and the fields named in `Connection` are
/// dropped; framing is re-emitted from the parsed framing, never copied, so the
/// next hop reads exactly what this proxy read.
public enum MessageWriter {
    /// What the proxy adds to a forwarded request (RFC 7239 de-facto fields, RFC 9110 §7.6.3 Via).
    public struct ForwardingInfo {
        /// Client address as text bytes, e.g. `127.0.0.1`.
        public var clientAddress: UnsafeBufferPointer<UInt8>
        public var isTLS: Bool
        /// Host sent when the client sent none (HTTP/1.0): forwarded requests are
        /// HTTP/1.1, which requires one (RFC 9112 §3.2). The backend's address.
        public var fallbackHost: UnsafeBufferPointer<UInt8>
        /// Bytes of a `Cookie` field's value the backend must not see (the
        /// sealed prefix Tether put on an application cookie).
        public var omit: Range<Int>?
        /// The request's `X-Request-ID`, which replaces the client's (empty: none).
        public var requestID: UnsafeBufferPointer<UInt8>
        /// The client is a hop in `trusted_proxies`: its `X-Forwarded-For` and
        /// `Forwarded` are kept and extended; anyone else's are replaced, so a
        /// client cannot choose the address the backend believes.
        public var trustedHop: Bool
        /// Send RFC 7239 `Forwarded` too (`forwarded_header on`).
        public var emitForwarded: Bool

        public init(
            clientAddress: UnsafeBufferPointer<UInt8>, isTLS: Bool, fallbackHost: UnsafeBufferPointer<UInt8>, omit: Range<Int>? = nil,
            requestID: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0),
            trustedHop: Bool = false, emitForwarded: Bool = false
        ) {
            self.trustedHop = trustedHop
            self.emitForwarded = emitForwarded
            self.clientAddress = clientAddress
            self.isTLS = isTLS
            self.fallbackHost = fallbackHost
            self.omit = omit
            self.requestID = requestID
        }
    }

    public static let viaToken: StaticString = "1.1 tether"

    public static func appendRequestHead(
        _ buf: UnsafeBufferPointer<UInt8>, _ head: RequestHead, info: ForwardingInfo, into out: inout [UInt8]
    ) {
        out.append(buf, head.methodRange)
        out.append(ASCII.sp)
        appendOriginTarget(buf, head, into: &out)
        out.append(static: " HTTP/1.1\r\n")
        var xff = false, via = false
        if info.trustedHop {
            for f in head.fields where f.known == .xForwardedFor {
                out.append(static: xff ? ", " : "X-Forwarded-For: ")
                out.append(buf, f.value)
                xff = true
            }
        }
        out.append(static: xff ? ", " : "X-Forwarded-For: ")
        out.append(contentsOf: info.clientAddress)
        out.append(static: "\r\n")
        if info.emitForwarded { appendForwarded(buf, head, info, into: &out) }
        for f in head.fields {
            switch f.known {
            case .via:
                out.append(static: via ? ", " : "Via: ")
                out.append(buf, f.value)
                via = true
                continue
            default:
                break
            }
        }
        out.append(static: via ? ", " : "Via: ")
        out.append(static: viaToken)
        out.append(static: "\r\n")
        let chunked = head.framing == .chunked
        for f in head.fields {
            switch f.known {
            case .xForwardedFor, .via, .xForwardedProto, .xForwardedHost:
                continue
            case .forwarded where !info.trustedHop || info.emitForwarded:
                continue  // an untrusted client's claim goes; a trusted one's is in ours above
            case .host where head.absoluteForm:
                continue  // RFC 9112 §3.2.2: replaced by the target's authority below
            case .xRequestID where !info.requestID.isEmpty:
                continue  // replaced by the request's own below
            case .trailer where chunked:
                appendField(buf, f, into: &out)  // request trailers are always forwarded
            case .cookie where info.omit.map { f.value.contains($0.lowerBound) } ?? false:
                let omit = info.omit!
                out.append(buf, f.name)
                out.append(static: ": ")
                out.append(buf, f.value.lowerBound..<omit.lowerBound)
                out.append(buf, omit.upperBound..<f.value.upperBound)
                out.append(static: "\r\n")
            default:
                if f.known.isHopByHop || isNamedByConnection(buf, f, head.connectionTokens) { continue }
                appendField(buf, f, into: &out)
            }
        }
        out.append(static: info.isTLS ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n")
        appendRequestID(info.requestID, into: &out)
        if let host = head.host {
            if head.absoluteForm {
                out.append(static: "Host: ")
                out.append(buf, host)
                out.append(static: "\r\n")
            }
            out.append(static: "X-Forwarded-Host: ")
            out.append(buf, host)
            out.append(static: "\r\n")
        } else {
            out.append(static: "Host: ")
            out.append(contentsOf: info.fallbackHost)
            out.append(static: "\r\n")
        }
        appendFraming(chunked: chunked, contentLength: head.contentLength, into: &out)
        // The backend sends 100 (or a final answer) before the body; see
        // `Exchange.expectTimedOut` for what happens when it does not.
        if head.expectContinue { out.append(static: "Expect: 100-continue\r\n") }
        // TE is hop-by-hop: ours to send, and only what Tether can relay.
        if head.acceptsTrailers { out.append(static: "TE: trailers\r\nConnection: TE\r\n") }
        // An upgrade Tether can tunnel (see `RequestHead.upgrade`) asks the backend too.
        if let protocols = head.upgrade {
            out.append(static: "Connection: upgrade\r\nUpgrade: ")
            out.append(buf, protocols)
            out.append(static: "\r\n")
        }
        out.append(static: "\r\n")
    }

    /// RFC 7239 `Forwarded`: a trusted hop's elements, then this hop's
    /// `for` (IPv6 in brackets, quoted), `proto` and `host` (quoted when a
    /// port's colon or anything else outside `token` is in it).
    static func appendForwarded(_ buf: UnsafeBufferPointer<UInt8>, _ head: RequestHead, _ info: ForwardingInfo, into out: inout [UInt8]) {
        out.append(static: "Forwarded: ")
        if info.trustedHop {
            for f in head.fields where f.known == .forwarded {
                out.append(buf, f.value)
                out.append(static: ", ")
            }
        }
        out.append(static: "for=")
        if info.clientAddress.contains(0x3A) {
            out.append(static: "\"[")
            out.append(contentsOf: info.clientAddress)
            out.append(static: "]\"")
        } else {
            out.append(contentsOf: info.clientAddress)
        }
        out.append(static: info.isTLS ? ";proto=https" : ";proto=http")
        if let host = head.host, !host.isEmpty {
            out.append(static: ";host=")
            var token = true
            for i in host where !ASCII.isTChar(buf[i]) { token = false; break }
            if token {
                out.append(buf, host)
            } else {
                out.append(0x22)
                for i in host {
                    if buf[i] == 0x22 || buf[i] == 0x5C { out.append(0x5C) }
                    out.append(buf[i])
                }
                out.append(0x22)
            }
        }
        out.append(static: "\r\n")
    }

    /// The request target in origin-form: as it came, or for an absolute-form
    /// target its path and query ("/" when empty; `*` for a bare OPTIONS).
    static func appendOriginTarget(_ buf: UnsafeBufferPointer<UInt8>, _ head: RequestHead, into out: inout [UInt8]) {
        let path = head.path
        if head.absoluteForm && (path.isEmpty || buf[path.lowerBound] != 0x2F) {
            if path.isEmpty && head.method == .options {
                out.append(0x2A)  // RFC 9112 §3.2.4
                return
            }
            out.append(0x2F)
        }
        out.append(buf, path)
    }

    /// How the response body reaches the client.
    public enum ClientFraming {
        /// Body bytes copied as they are (Content-Length, or no body).
        case asIs
        /// Chunked data re-framed as chunked.
        case chunked
        /// Body runs until the proxy closes the client connection.
        case close
    }

    /// `X-Request-ID: ID` (nothing for an empty id).
    public static func appendRequestID(_ id: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard !id.isEmpty else { return }
        out.append(static: "X-Request-ID: ")
        out.append(contentsOf: id)
        out.append(static: "\r\n")
    }

    /// - Parameter extra: complete field lines Tether adds (e.g. its affinity `Set-Cookie`).
    /// - Parameter requestID: the request's id, which replaces the backend's (empty: none).
    /// - Parameter trailers: the body's trailer fields go to the client, so
    ///   the `Trailer` field announcing them goes too.
    /// - Parameter prefixing: `NAME=` of a cookie whose `Set-Cookie` value
    ///   gets `prefix` in front (`app_cookie … prefix`); empty: none.
    public static func appendResponseHead(
        _ buf: UnsafeBufferPointer<UInt8>, _ head: ResponseHead, clientFraming: ClientFraming,
        keepAlive: Bool, clientVersion: HTTPVersion, trailers: Bool = false, extra: [UInt8] = [],
        prefixing assign: [UInt8] = [], with prefix: [UInt8] = [], requestID: [UInt8] = [], into out: inout [UInt8]
    ) {
        out.append(static: "HTTP/1.1 ")
        appendStatusDigits(head.status, into: &out)
        out.append(ASCII.sp)
        out.append(buf, head.reason)
        out.append(static: "\r\n")
        appendVia(buf, head.fields, into: &out)
        for f in head.fields {
            if f.known == .trailer && trailers {
                appendField(buf, f, into: &out)
                continue
            }
            if f.known == .via || f.known.isHopByHop || isNamedByConnection(buf, f, head.connectionTokens) { continue }
            if f.known == .xRequestID && !requestID.isEmpty { continue }
            if f.known == .setCookie && !assign.isEmpty && f.value.count >= assign.count
                && assign.indices.allSatisfy({ buf[f.value.lowerBound + $0] == assign[$0] }) {
                out.append(buf, f.name)
                out.append(static: ": ")
                out.append(contentsOf: assign)
                out.append(contentsOf: prefix)
                out.append(buf, (f.value.lowerBound + assign.count)..<f.value.upperBound)
                out.append(static: "\r\n")
                continue
            }
            appendField(buf, f, into: &out)
        }
        appendFraming(chunked: clientFraming == .chunked, contentLength: head.contentLength, into: &out)
        out.append(contentsOf: extra)
        requestID.withUnsafeBufferPointer { appendRequestID($0, into: &out) }
        if !keepAlive {
            out.append(static: "Connection: close\r\n")
        } else if clientVersion == .http10 {
            out.append(static: "Connection: keep-alive\r\n")
        }
        out.append(static: "\r\n")
    }

    /// A `101 Switching Protocols` to a client that asked for the upgrade:
    /// the backend's fields (hop-by-hop ones dropped, as for any response),
    /// `extra` (the affinity cookie), and the upgrade itself; no framing, as
    /// the connection stops being HTTP after the head.
    public static func appendSwitchingHead(
        _ buf: UnsafeBufferPointer<UInt8>, _ head: ResponseHead, extra: [UInt8], requestID: [UInt8] = [], into out: inout [UInt8]
    ) {
        out.append(static: "HTTP/1.1 101 ")
        out.append(buf, head.reason)
        out.append(static: "\r\n")
        appendVia(buf, head.fields, into: &out)
        for f in head.fields where f.known != .via && !f.known.isHopByHop && !isNamedByConnection(buf, f, head.connectionTokens) {
            if f.known == .xRequestID && !requestID.isEmpty { continue }
            appendField(buf, f, into: &out)
        }
        out.append(contentsOf: extra)
        requestID.withUnsafeBufferPointer { appendRequestID($0, into: &out) }
        out.append(static: "Connection: upgrade\r\nUpgrade: ")
        if let protocols = head.upgrade { out.append(buf, protocols) }
        out.append(static: "\r\n\r\n")
    }

    /// The response's `Via` list with Tether's hop added (RFC 9110 §7.6.3).
    private static func appendVia(_ buf: UnsafeBufferPointer<UInt8>, _ fields: [HeaderField], into out: inout [UInt8]) {
        var via = false
        for f in fields where f.known == .via {
            out.append(static: via ? ", " : "Via: ")
            out.append(buf, f.value)
            via = true
        }
        out.append(static: via ? ", " : "Via: ")
        out.append(static: viaToken)
        out.append(static: "\r\n")
    }

    /// An interim (1xx) response, relayed with only its own fields.
    public static func appendInterimHead(_ buf: UnsafeBufferPointer<UInt8>, _ head: ResponseHead, into out: inout [UInt8]) {
        out.append(static: "HTTP/1.1 ")
        appendStatusDigits(head.status, into: &out)
        out.append(ASCII.sp)
        out.append(buf, head.reason)
        out.append(static: "\r\n")
        for f in head.fields where !f.known.isHopByHop {
            appendField(buf, f, into: &out)
        }
        out.append(static: "\r\n")
    }

    /// The framing field a forwarded head carries, written from what the
    /// parser decided, never copied (RFC 9112 §6.3): chunked, or one
    /// Content-Length however many identical ones came.
    static func appendFraming(chunked: Bool, contentLength: Int?, into out: inout [UInt8]) {
        if chunked {
            out.append(static: "Transfer-Encoding: chunked\r\n")
        } else if let n = contentLength {
            out.append(static: "Content-Length: ")
            out.appendDecimal(n)
            out.append(static: "\r\n")
        }
    }

    /// `size-in-hex CRLF`.
    public static func appendChunkHeader(_ size: Int, into out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = size
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                let h = UInt8(n & 0xF)
                d[15 - count] = h < 10 ? 0x30 + h : 0x61 + h - 10
                n >>= 4
                count += 1
            } while n > 0
            out.append(contentsOf: d[(16 - count)..<16])
        }
        out.append(static: "\r\n")
    }

    public static let lastChunk: StaticString = "0\r\n\r\n"

    static func isNamedByConnection(_ buf: UnsafeBufferPointer<UInt8>, _ f: HeaderField, _ tokens: [Range<Int>]) -> Bool {
        for t in tokens where buf.equalsIgnoringCase(f.name, t) { return true }
        return false
    }

    @inline(__always)
    static func appendField(_ buf: UnsafeBufferPointer<UInt8>, _ f: HeaderField, into out: inout [UInt8]) {
        out.append(buf, f.name)
        out.append(static: ": ")
        out.append(buf, f.value)
        out.append(static: "\r\n")
    }

    static func appendStatusDigits(_ status: Int, into out: inout [UInt8]) {
        out.append(UInt8(0x30 + status / 100))
        out.append(UInt8(0x30 + (status / 10) % 10))
        out.append(UInt8(0x30 + status % 10))
    }
}

extension Array where Element == UInt8 {
    @inlinable @inline(__always)
    public mutating func append(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        append(contentsOf: UnsafeBufferPointer(rebasing: buf[range]))
    }

    @inlinable @inline(__always)
    public mutating func append(static s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends the low `digits` hex digits of `value`, lowercase, zero-padded.
    public mutating func appendHex(_ value: UInt64, digits: Int = 16) {
        let hex: StaticString = "0123456789abcdef"
        for k in stride(from: 4 * (digits - 1), through: 0, by: -4) {
            append(hex.utf8Start[Int((value >> UInt64(k)) & 15)])
        }
    }

    /// Appends a non-negative decimal integer.
    public mutating func appendDecimal(_ value: Int) {
        if value < 10 {
            append(UInt8(0x30 + value))
            return
        }
        var n = value
        let start = count
        while n > 0 {
            append(UInt8(0x30 + n % 10))
            n /= 10
        }
        self[start..<count].reverse()
    }
}
