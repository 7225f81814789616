import Glibc

/// Incremental HTTP/1.1 request-head parser (RFC 9112 §2–§6).
///
/// Feed it the receive buffer each time bytes arrive; it remembers how far it
/// scanned. It never allocates per field: the head it fills holds ranges into
/// the caller's buffer, and its arrays keep their capacity between requests.
/// The body is not its business: `head.framing` says how to read it
/// (`ChunkedDecoder` for chunked bodies).
public struct RequestParser: Sendable {
    public var limits: HTTPLimits
    private var scanner = HeadScanner()

    public enum Status: Equatable {
        case needMore
        /// The head is in the head passed to `parse`; `headEnd` is where the body starts.
        case complete(headEnd: Int)
        case failed(HTTPParseError)
    }

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Forget a partially scanned head (call after each complete request).
    public mutating func reset() { scanner.reset() }

    public mutating func parse(
        _ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int, into head: inout RequestHead
    ) -> Status {
        switch scanner.scan(
            buf, start: start, end: end, maxStartLine: limits.maxRequestLine,
            startLineError: .requestLineTooLong, limits: limits)
        {
        case .needMore:
            // Refuse what cannot become a method at once (a TLS ClientHello on
            // the plain port, binary junk): waiting for a line end that may
            // never come would hold the connection until the header timeout.
            if Self.notAMethod(buf, start, end) { return .failed(.invalidRequestLine) }
            return .needMore
        case .failed(let e):
            return .failed(e)
        case .complete(let startLineEnd, let headEnd):
            let headStart = scanner.headStart
            scanner.reset()
            head.clear()
            head.headStart = headStart
            head.headEnd = headEnd
            if let e = parseRequestLine(buf, headStart, startLineEnd, &head) {
                // A CR inside the line is a bare line ending, whatever else is wrong.
                if memchr(buf.baseAddress! + headStart, Int32(ASCII.cr), startLineEnd - headStart) != nil {
                    return .failed(.bareLineEnding)
                }
                return .failed(e)
            }
            return finish(buf, startLineEnd + 2, headEnd, &head)
        }
    }

    /// The bytes so far start (after any empty lines) with something other
    /// than a token followed by SP. Stops at CR/LF: line endings are the full
    /// parser's to judge. More bytes never turn a true into a false.
    @inline(__always)
    static func notAMethod(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end, buf[i] == ASCII.cr || buf[i] == ASCII.lf { i += 1 }
        let first = i
        while i < end && i - first < 32 {
            let c = buf[i]
            if c == ASCII.sp { return i == first }
            if c == ASCII.cr || c == ASCII.lf { return false }
            if !ASCII.isTChar(c) { return true }
            i += 1
        }
        return false
    }

    private func parseRequestLine(
        _ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ head: inout RequestHead
    ) -> HTTPParseError? {
        var i = start
        while i < end, ASCII.isTChar(buf[i]) { i += 1 }
        guard i > start, i < end, buf[i] == ASCII.sp else { return .invalidRequestLine }
        head.methodRange = start..<i
        head.method = HTTPMethod.classify(buf, head.methodRange)
        i += 1
        let targetStart = i
        while i < end, ASCII.isTargetChar(buf[i]) { i += 1 }
        guard i > targetStart, i < end, buf[i] == ASCII.sp else { return .invalidRequestLine }
        head.target = targetStart..<i
        head.path = head.target
        // RFC 9110 §7.1: a fragment is the client's business, never sent.
        if memchr(buf.baseAddress! + targetStart, 0x23, i - targetStart) != nil { return .invalidTarget }
        i += 1
        guard let version = HTTPVersionParser.parse(buf, i..<end) else {
            return end - i == 8 && buf[i] == 0x48 ? .unsupportedVersion : .invalidRequestLine
        }
        head.version = version
        // Targets other than origin-form must match their method (RFC 9112 §3.2).
        let first = buf[targetStart]
        if head.method == .connect { return .unsupportedMethod }
        if first == 0x2A {  // "*"
            guard head.method == .options, head.target.count == 1 else { return .invalidRequestLine }
        } else if first != 0x2F {  // not "/": must be absolute-form
            guard buf.hasSchemePrefix(head.target) else { return .invalidRequestLine }
            return parseAbsoluteForm(buf, &head)
        }
        return nil
    }

    /// `http://authority/path?query` (RFC 9112 §3.2.2): the authority becomes
    /// the request's host and the rest its origin-form target, so the backend
    /// never sees a target and a Host that disagree.
    private func parseAbsoluteForm(_ buf: UnsafeBufferPointer<UInt8>, _ head: inout RequestHead) -> HTTPParseError? {
        let t = head.target
        var i = t.lowerBound
        while buf[i] != ASCII.colon { i += 1 }
        let scheme = t.lowerBound..<i
        guard buf.equalsLowercased(scheme, "http") || buf.equalsLowercased(scheme, "https") else { return .invalidTarget }
        let authorityStart = i + 3
        var end = authorityStart
        while end < t.upperBound, buf[end] != 0x2F, buf[end] != 0x3F { end += 1 }
        let authority = authorityStart..<end
        // RFC 9110 §4.2.4: userinfo in an http(s) URI is an error.
        if buf[authority].contains(0x40) { return .invalidTarget }
        guard !authority.isEmpty, buf.isValidHost(authority) else { return .invalidHost }
        head.absoluteForm = true
        head.host = authority
        head.path = end..<t.upperBound
        return nil
    }

    private func finish(
        _ buf: UnsafeBufferPointer<UInt8>, _ fieldsStart: Int, _ headEnd: Int, _ head: inout RequestHead
    ) -> Status {
        let block: FieldBlock
        switch FieldBlock.parse(buf, from: fieldsStart, headEnd: headEnd, fields: &head.fields, connectionTokens: &head.connectionTokens) {
        case .failure(let e): return .failed(e)
        case .success(let b): block = b
        }
        if block.hostCount > 1 { return .failed(.duplicateHost) }
        if block.hostCount == 1 {
            for f in head.fields where f.known == .host {
                guard buf.isValidHost(f.value) else { return .failed(.invalidHost) }
                // RFC 9112 §3.2.2: an absolute-form target's authority wins.
                if !head.absoluteForm { head.host = f.value }
            }
        } else if head.version == .http11 {
            return .failed(.missingHost)
        }
        if block.hasTransferEncoding {
            // RFC 9112 §6.1: TE in HTTP/1.0 means the framing is unreliable; §6.3: with CL, reject.
            if block.contentLength != nil { return .failed(.contentLengthWithTransferEncoding) }
            if head.version == .http10 { return .failed(.invalidTransferEncoding) }
            if let e = block.transferCodingError() { return .failed(e) }
            head.framing = .chunked
        } else if let n = block.contentLength {
            if n > limits.maxBodySize { return .failed(.bodyTooLarge) }
            head.framing = n == 0 ? .none : .length(n)
            head.contentLength = n
        }
        if block.otherExpectation { return .failed(.unsupportedExpectation) }
        // RFC 9110 §10.1.1: ignored from HTTP/1.0 clients, and meaningless without content.
        head.expectContinue = block.expectContinue && head.version == .http11 && head.framing != .none
        head.acceptsTrailers = block.teTrailers
        if head.version == .http11 && head.framing == .none { head.upgrade = block.upgradeProtocols(buf) }
        head.keepAlive = head.version == .http11 ? !block.connectionClose : (block.connectionKeepAlive && !block.connectionClose)
        return .complete(headEnd: headEnd)
    }
}

enum HTTPVersionParser {
    /// Exactly `HTTP/1.0` or `HTTP/1.1` (RFC 9112 §2.3; the name is case-sensitive).
    static func parse(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPVersion? {
        guard r.count == 8 else { return nil }
        let b = r.lowerBound
        guard buf[b] == 0x48, buf[b + 1] == 0x54, buf[b + 2] == 0x54, buf[b + 3] == 0x50,
            buf[b + 4] == 0x2F, buf[b + 5] == 0x31, buf[b + 6] == 0x2E
        else { return nil }
        switch buf[b + 7] {
        case 0x30: return .http10
        case 0x31: return .http11
        default: return nil
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// `scheme "://"` at the start of an absolute-form target.
    func hasSchemePrefix(_ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        guard i < r.upperBound, ASCII.lower(self[i]) >= 0x61, ASCII.lower(self[i]) <= 0x7A else { return false }
        while i < r.upperBound {
            let c = self[i]
            if c == ASCII.colon { return i + 2 < r.upperBound && self[i + 1] == 0x2F && self[i + 2] == 0x2F }
            let l = ASCII.lower(c)
            guard (l >= 0x61 && l <= 0x7A) || ASCII.isDigit(c) || c == 0x2B || c == 0x2D || c == 0x2E else { return false }
            i += 1
        }
        return false
    }

    /// uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2-3.2.3): a reg-name
    /// or IPv4 address (no ":"), or an IP literal in brackets, then at most one
    /// port of at most five digits. Rejects "@", "/", whitespace, a second
    /// port and the like, which would let a Host value smuggle userinfo, a
    /// path or another port to a backend that builds URLs from it.
    func isValidHost(_ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        if i < r.upperBound && self[i] == 0x5B {  // "[" IP-literal "]"
            i += 1
            while i < r.upperBound, self[i] != 0x5D {
                let c = self[i]
                guard ASCII.hexValue(c) != nil || c == ASCII.colon || c == 0x2E || ASCII.lower(c) == 0x76 else { return false }
                i += 1
            }
            guard i < r.upperBound else { return false }
            i += 1
        } else {
            while i < r.upperBound, self[i] != ASCII.colon {
                let c = self[i]
                let l = ASCII.lower(c)
                i += 1
                if (l >= 0x61 && l <= 0x7A) || ASCII.isDigit(c) { continue }
                switch c {
                case 0x2D, 0x2E, 0x5F, 0x7E, 0x25, 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D:
                    continue
                default:
                    return false
                }
            }
        }
        if i == r.upperBound { return true }
        guard self[i] == ASCII.colon, r.upperBound - i - 1 <= 5 else { return false }
        for j in (i + 1)..<r.upperBound where !ASCII.isDigit(self[j]) { return false }
        return true
    }
}
