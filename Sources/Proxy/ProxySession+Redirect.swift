import EventLoop
import HTTP1

/// `listen … redirect_https`: a plain listener beside a TLS one that sends
/// every request to the same host and path over https, as nginx's
/// `return 301 https://$host$request_uri` does.
extension ProxySession {
    func respondWithRedirect() {
        let (hostOK, hostRange) = redirectHost()
        guard hostOK else {
            respondWithError(status: 400)  // no Host (or a Host no URL can carry)
            return
        }
        // 301 keeps the old habit for GET and HEAD; 308 tells every other
        // method to repeat itself, body and all, at the new address.
        let safe = request.method == .get || request.method == .head
        status = safe ? 301 : 308
        output.append(static: safe ? "HTTP/1.1 301 Moved Permanently\r\nLocation: https://" : "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://")
        input.storage.withUnsafeBufferPointer { buf in
            output.bytes.append(buf, hostRange)
            output.bytes.append(contentsOf: runtime.httpsPortSuffix)
            // The path of an origin-form target, or of an absolute-form one.
            let path = request.path
            if path.count > 0 && buf[path.lowerBound] == 0x2F {
                output.bytes.append(buf, path)
            } else {
                output.bytes.append(0x2F)
            }
        }
        output.append(static: "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        bytesToClient = 0
        logRequest(backendNanos: 0)
        // The request body (if any) is not read: closing is the only safe framing.
        closeAfterFlush()
    }

    /// The Host without its port, if it is a plain name, IPv4 or [IPv6] literal.
    private func redirectHost() -> (Bool, Range<Int>) {
        guard let host = request.host, !host.isEmpty else { return (false, 0..<0) }
        return input.storage.withUnsafeBufferPointer { buf in
            var end = host.upperBound
            var i = host.upperBound - 1
            while i >= host.lowerBound {
                let c = buf[i]
                if c == 0x3A { end = i; break }  // ':' before a port
                if c == 0x5D || !(c >= 0x30 && c <= 0x39) { break }  // ']' or a non-digit: no port
                i -= 1
            }
            guard end > host.lowerBound else { return (false, 0..<0) }
            for j in host.lowerBound..<end {
                let c = buf[j]
                let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
                    || c == 0x2E || c == 0x2D || c == 0x5B || c == 0x5D || c == 0x3A
                if !ok { return (false, 0..<0) }
            }
            return (true, host.lowerBound..<end)
        }
    }
}
