import Glibc

/// What the field lines of a head say about framing and connection handling.
/// Shared by the request and the response parser so both apply the same rules.
struct FieldBlock {
    var contentLength: Int? = nil
    var hasTransferEncoding = false
    var chunkedCount = 0
    var lastWasChunked = false
    /// Codings other than chunked were named.
    var otherCodings = false
    var hostCount = 0
    var connectionClose = false
    var connectionKeepAlive = false
    var expectContinue = false
    var otherExpectation = false
    /// `TE` lists `trailers` (RFC 9110 §10.1.4).
    var teTrailers = false
    /// `Connection` lists `upgrade`, and the `Upgrade` field (RFC 9110 §7.8):
    /// one field, whose protocol list the proxy passes on when the rest of
    /// the message allows an upgrade.
    var connectionUpgrade = false
    var upgrade: Range<Int>? = nil
    var upgradeFields = 0

    /// Parses field lines between `from` and `headEnd - 2` into `fields`.
    static func parse(
        _ buf: UnsafeBufferPointer<UInt8>, from: Int, headEnd: Int,
        fields: inout [HeaderField], connectionTokens: inout [Range<Int>]
    ) -> Result<FieldBlock, HTTPParseError> {
        var block = FieldBlock()
        var lineStart = from
        let blockEnd = headEnd - 2  // the final empty line's CRLF
        while lineStart < blockEnd {
            // Lines end in CRLF (HeadScanner checked); a CR before that is bare.
            let lf = UnsafePointer<UInt8>(memchr(buf.baseAddress! + lineStart, Int32(ASCII.lf), blockEnd - lineStart)!
                .assumingMemoryBound(to: UInt8.self)) - buf.baseAddress!
            let lineEnd = lf - 1
            let first = buf[lineStart]
            if ASCII.isWhitespace(first) { return .failure(.obsoleteLineFolding) }
            var colon = lineStart
            while colon < lineEnd, buf[colon] != ASCII.colon {
                let c = buf[colon]
                if !ASCII.isTChar(c) {
                    if c == ASCII.cr { return .failure(.bareLineEnding) }
                    return .failure(ASCII.isWhitespace(c) ? .whitespaceBeforeColon : .invalidFieldName)
                }
                colon += 1
            }
            if colon == lineEnd || colon == lineStart { return .failure(.invalidFieldName) }
            let name = lineStart..<colon
            var v = colon + 1
            while v < lineEnd {
                let c = buf[v]
                if !ASCII.isFieldValueChar(c) { return .failure(c == ASCII.cr ? .bareLineEnding : .invalidFieldValue) }
                v += 1
            }
            let value = buf.trimmingOWS((colon + 1)..<lineEnd)
            let known = KnownHeader.classify(buf, name)
            fields.append(HeaderField(name: name, value: value, known: known))
            if let error = block.absorb(buf, known, value, &connectionTokens) { return .failure(error) }
            lineStart = lineEnd + 2
        }
        return .success(block)
    }

    private mutating func absorb(
        _ buf: UnsafeBufferPointer<UInt8>, _ known: KnownHeader, _ value: Range<Int>,
        _ connectionTokens: inout [Range<Int>]
    ) -> HTTPParseError? {
        switch known {
        case .host:
            hostCount += 1
        case .contentLength:
            var error: HTTPParseError? = nil
            let ok = buf.forEachListElement(value) { element in
                guard let n = FieldBlock.parseDecimal(buf, element) else {
                    error = .invalidContentLength
                    return false
                }
                if let existing = contentLength, existing != n {
                    error = .invalidContentLength
                    return false
                }
                contentLength = n
                return true
            }
            if !ok { return error ?? .invalidContentLength }
        case .transferEncoding:
            hasTransferEncoding = true
            var bad = false
            _ = buf.forEachListElement(value) { element in
                if element.isEmpty {
                    bad = true
                    return false
                }
                if buf.equalsLowercased(element, "chunked") {
                    chunkedCount += 1
                    lastWasChunked = true
                } else {
                    for i in element where !ASCII.isTChar(buf[i]) && buf[i] != ASCII.semicolon
                        && buf[i] != 0x3D && !ASCII.isWhitespace(buf[i]) {
                        bad = true
                        return false
                    }
                    lastWasChunked = false
                    otherCodings = true
                }
                return true
            }
            if bad { return .invalidTransferEncoding }
        case .connection:
            var bad = false
            var protectedToken = false
            _ = buf.forEachListElement(value) { element in
                if element.isEmpty { return true }
                for i in element where !ASCII.isTChar(buf[i]) {
                    bad = true
                    return false
                }
                if buf.equalsLowercased(element, "upgrade") { connectionUpgrade = true }
                if buf.equalsLowercased(element, "close") {
                    connectionClose = true
                } else if buf.equalsLowercased(element, "keep-alive") {
                    connectionKeepAlive = true
                } else if buf.equalsLowercased(element, "host") || buf.equalsLowercased(element, "content-length")
                    || buf.equalsLowercased(element, "transfer-encoding")
                {
                    protectedToken = true
                    return false
                } else {
                    connectionTokens.append(element)
                }
                return true
            }
            if bad { return .invalidFieldValue }
            if protectedToken { return .connectionNamesProtectedField }
        case .upgrade:
            upgradeFields += 1
            upgrade = value
        case .te:
            _ = buf.forEachListElement(value) { element in
                // A t-codings element may carry parameters; "trailers" has none.
                if buf.equalsLowercased(element, "trailers") { teTrailers = true }
                return true
            }
        case .expect:
            if buf.equalsLowercased(value, "100-continue") {
                expectContinue = true
            } else {
                otherExpectation = true
            }
        default:
            break
        }
        return nil
    }

    /// 1*DIGIT without sign or spaces, refusing values past 2^62 (RFC 9110 §8.6).
    static func parseDecimal(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var n = 0
        for i in range {
            let c = buf[i]
            guard ASCII.isDigit(c) else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }

    /// The transfer-coding verdict (RFC 9112 §6.1, §6.3): chunked must be the
    /// final coding and appear once; other codings are not implemented (`501`).
    func transferCodingError() -> HTTPParseError? {
        guard hasTransferEncoding else { return nil }
        if chunkedCount != 1 || !lastWasChunked { return .invalidTransferEncoding }
        if otherCodings { return .unsupportedTransferCoding }
        return nil
    }

    /// The protocols an upgrade asks for, when it may be passed on: `Connection:
    /// upgrade` with one `Upgrade` field that does not name `h2c` (Tether
    /// speaks HTTP/1.1 to backends, so HTTP/2 over cleartext is not offered).
    func upgradeProtocols(_ buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        guard connectionUpgrade, upgradeFields == 1, let u = upgrade, !u.isEmpty else { return nil }
        var h2c = false
        _ = buf.forEachListElement(u) { element in
            h2c = buf.equalsLowercased(element, "h2c")
            return !h2c
        }
        return h2c ? nil : u
    }
}
