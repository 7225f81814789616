/// Incremental parser for backend response heads (RFC 9112 §4, §6.3).
///
/// A backend is trusted more than a client but not blindly: anything whose
/// framing is ambiguous (Content-Length with Transfer-Encoding, differing
/// lengths, codings other than chunked) fails, and the proxy answers `502`
/// rather than relay bytes it cannot delimit.
public struct ResponseParser: Sendable {
    public var limits: HTTPLimits
    private var scanner = HeadScanner()

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    public mutating func reset() { scanner.reset() }

    /// - Parameter requestMethod: HEAD responses have no body whatever they say.
    public mutating func parse(
        _ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int,
        requestMethod: HTTPMethod, into head: inout ResponseHead
    ) -> RequestParser.Status {
        switch scanner.scan(
            buf, start: start, end: end, maxStartLine: limits.maxRequestLine,
            startLineError: .invalidStatusLine, limits: limits)
        {
        case .needMore:
            return .needMore
        case .failed(let e):
            return .failed(e)
        case .complete(let startLineEnd, let headEnd):
            let headStart = scanner.headStart
            scanner.reset()
            head.clear()
            head.headStart = headStart
            head.headEnd = headEnd
            if let e = parseStatusLine(buf, headStart, startLineEnd, &head) { return .failed(e) }
            let block: FieldBlock
            switch FieldBlock.parse(
                buf, from: startLineEnd + 2, headEnd: headEnd, fields: &head.fields,
                connectionTokens: &head.connectionTokens)
            {
            case .failure(let e): return .failed(e)
            case .success(let b): block = b
            }
            head.keepAlive = head.version == .http11 ? !block.connectionClose : (block.connectionKeepAlive && !block.connectionClose)
            if head.status == 101 { head.upgrade = block.upgrade }
            let bodyless = requestMethod == .head || head.isInformational || head.status == 204 || head.status == 304
            if block.hasTransferEncoding {
                if block.contentLength != nil { return .failed(.contentLengthWithTransferEncoding) }
                if let e = block.transferCodingError() { return .failed(e) }
                head.framing = bodyless ? .none : .chunked
            } else if let n = block.contentLength {
                head.framing = bodyless || n == 0 ? .none : .length(n)
                // RFC 9110 §8.6: none on 1xx and 204; HEAD and 304 keep theirs.
                if !head.isInformational && head.status != 204 { head.contentLength = n }
            } else {
                head.framing = bodyless ? .none : .untilClose
            }
            if head.framing == .untilClose { head.keepAlive = false }
            return .complete(headEnd: headEnd)
        }
    }

    private func parseStatusLine(
        _ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ head: inout ResponseHead
    ) -> HTTPParseError? {
        guard end - start >= 12, let version = HTTPVersionParser.parse(buf, start..<(start + 8)),
            buf[start + 8] == ASCII.sp
        else { return .invalidStatusLine }
        head.version = version
        let d = start + 9
        guard ASCII.isDigit(buf[d]), ASCII.isDigit(buf[d + 1]), ASCII.isDigit(buf[d + 2]) else {
            return .invalidStatusLine
        }
        let status = Int(buf[d] - 0x30) * 100 + Int(buf[d + 1] - 0x30) * 10 + Int(buf[d + 2] - 0x30)
        guard status >= 100 && status <= 599 else { return .invalidStatusLine }
        head.status = status
        if end == d + 3 {
            head.reason = end..<end  // lenient: some servers omit the SP before an empty reason
            return nil
        }
        guard buf[d + 3] == ASCII.sp else { return .invalidStatusLine }
        for i in (d + 4)..<end where !ASCII.isFieldValueChar(buf[i]) { return .invalidStatusLine }
        head.reason = (d + 4)..<end
        return nil
    }
}
