import HTTP1

/// The responses Tether writes itself. Each is complete and closes the
/// connection: after an error the framing of what the client sends next is in
/// doubt, and guessing is how requests get smuggled.
enum ErrorResponse {
    static func bytes(status: Int) -> StaticString {
        switch status {
        case 400: return "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad request\n"
        case 408: return "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\nrequest timeout\n"
        case 413: return "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 18\r\nConnection: close\r\n\r\ncontent too large\n"
        case 414: return "HTTP/1.1 414 URI Too Long\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nuri too long\n"
        case 417: return "HTTP/1.1 417 Expectation Failed\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nexpectation failed\n"
        case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: 32\r\nConnection: close\r\n\r\nrequest header fields too large\n"
        case 501: return "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\nnot implemented\n"
        case 502: return "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad gateway\n"
        case 503: return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\nConnection: close\r\n\r\nservice unavailable\n"
        case 504: return "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\ngateway timeout\n"
        default: return "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 22\r\nConnection: close\r\n\r\ninternal server error\n"
        }
    }

    /// The response, with `X-Request-ID` at the end of its head when the
    /// request has one.
    static func append(_ s: StaticString, requestID: [UInt8], into out: inout [UInt8]) {
        let all = UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
        guard !requestID.isEmpty else { return out.append(contentsOf: all) }
        let blank = all.count - bodyLength(s) - 2  // the empty line that ends the head
        out.append(contentsOf: UnsafeBufferPointer(rebasing: all[..<blank]))
        requestID.withUnsafeBufferPointer { MessageWriter.appendRequestID($0, into: &out) }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: all[blank...]))
    }

    /// Length of the body of each canned response, for the access log.
    static func bodyLength(_ s: StaticString) -> Int {
        let p = s.utf8Start
        let n = s.utf8CodeUnitCount
        var i = 3
        while i < n {
            if p[i - 3] == 13, p[i - 2] == 10, p[i - 1] == 13, p[i] == 10 { return n - i - 1 }
            i += 1
        }
        return 0
    }
}
