import HTTP1
import Testing

/// Parses a whole request string (fed in one piece, or byte by byte).
func parseRequest(_ text: String, limits: HTTPLimits = HTTPLimits(), byteByByte: Bool = false) -> (RequestParser.Status, RequestHead, [UInt8]) {
    let bytes = Array(text.utf8)
    var parser = RequestParser(limits: limits)
    var head = RequestHead()
    var status: RequestParser.Status = .needMore
    bytes.withUnsafeBufferPointer { buf in
        if byteByByte {
            for end in 1...max(bytes.count, 1) {
                status = parser.parse(buf, start: 0, end: end, into: &head)
                if status != .needMore { break }
            }
        } else {
            status = parser.parse(buf, start: 0, end: bytes.count, into: &head)
        }
    }
    return (status, head, bytes)
}

/// The head Tether would send on for a whole request string.
func forwardRequest(
    _ raw: String, client: String = "10.1.2.3", omit: Range<Int>? = nil, trusted: Bool = false, forwarded: Bool = false, tls: Bool = false
) -> String {
    let (status, head, bytes) = parseRequest(raw)
    guard case .complete = status else {
        Issue.record("did not parse: \(status)")
        return ""
    }
    var out: [UInt8] = []
    let addr = Array(client.utf8)
    let fallback = Array("backend:9001".utf8)
    bytes.withUnsafeBufferPointer { buf in
        addr.withUnsafeBufferPointer { a in
            fallback.withUnsafeBufferPointer { f in
                MessageWriter.appendRequestHead(buf, head, info: .init(clientAddress: a, isTLS: tls, fallbackHost: f, omit: omit, trustedHop: trusted, emitForwarded: forwarded), into: &out)
            }
        }
    }
    return String(decoding: out, as: UTF8.self)
}

func parseResponse(_ text: String, method: HTTPMethod = .get) -> (RequestParser.Status, ResponseHead) {
    let bytes = Array(text.utf8)
    var parser = ResponseParser()
    var head = ResponseHead()
    let status = bytes.withUnsafeBufferPointer { parser.parse($0, start: 0, end: bytes.count, requestMethod: method, into: &head) }
    return (status, head)
}

/// Decodes a chunked body; returns the data or the error.
/// `trailers`, when given, collects the trailer section's field lines.
func decodeChunked(_ text: String, maxBody: Int = .max, pieces: Int = 1, trailers: UnsafeMutablePointer<[UInt8]>? = nil) -> Result<(String, Int), HTTPParseError>? {
    let bytes = Array(text.utf8)
    var decoder = ChunkedDecoder(maxBodySize: maxBody)
    var out: [UInt8] = []
    return bytes.withUnsafeBufferPointer { buf -> Result<(String, Int), HTTPParseError>? in
        var i = 0
        let step = max(1, bytes.count / pieces)
        var available = min(step, bytes.count)
        while true {
            switch decoder.next(buf, start: i, end: available) {
            case .data(let r):
                out.append(contentsOf: buf[r])
                i = r.upperBound
            case .trailer(let r):
                trailers?.pointee.append(contentsOf: buf[r])
                i = r.upperBound
            case .needMore:
                i = available
                if available == bytes.count { return nil }
                available = min(available + step, bytes.count)
            case .end(let e):
                return .success((String(decoding: out, as: UTF8.self), e))
            case .failed(let err):
                return .failure(err)
            }
        }
    }
}

extension RequestHead {
    func string(_ bytes: [UInt8], _ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }
}
