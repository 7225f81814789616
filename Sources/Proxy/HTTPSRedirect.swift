import EventLoop
import HTTP1

/// The redirect a `redirect_https` listener sends: pure, on the request's
/// bytes.
enum HTTPSRedirect {
    /// `301` (or `308`) to `https://host[:port]/path`.
    static func append(
        _ buf: UnsafeBufferPointer<UInt8>, _ request: RequestHead, host: Range<Int>, portSuffix: [UInt8],
        permanentForAnyMethod: Bool, into output: inout SendQueue
    ) {
        output.append(
            static: permanentForAnyMethod
                ? "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://" : "HTTP/1.1 301 Moved Permanently\r\nLocation: https://")
        output.bytes.append(buf, host)
        output.bytes.append(contentsOf: portSuffix)
        // The path of an origin-form target, or of an absolute-form one.
        let path = request.path
        if path.count > 0 && buf[path.lowerBound] == 0x2F {
            output.bytes.append(buf, path)
        } else {
            output.bytes.append(0x2F)
        }
        output.append(static: "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    /// The Host without its port, if it is a plain name, IPv4 or [IPv6] literal.
    static func host(_ buf: UnsafeBufferPointer<UInt8>, _ request: RequestHead) -> Range<Int>? {
        guard let host = request.host, !host.isEmpty else { return nil }
        var end = host.upperBound
        var i = host.upperBound - 1
        while i >= host.lowerBound {
            let c = buf[i]
            if c == 0x3A { end = i; break }  // ':' before a port
            if c == 0x5D || !(c >= 0x30 && c <= 0x39) { break }  // ']' or a non-digit: no port
            i -= 1
        }
        guard end > host.lowerBound else { return nil }
        for j in host.lowerBound..<end {
            let c = buf[j]
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2E || c == 0x2D || c == 0x5B || c == 0x5D || c == 0x3A
            if !ok { return nil }
        }
        return host.lowerBound..<end
    }
}
