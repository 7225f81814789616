import HTTP1
import Testing

/// Forwarded heads: hop-by-hop removal (RFC 9110 §7.6.1), X-Forwarded-*, Via.
@Suite struct MessageWriterTests {
    func forward(_ raw: String) -> String { forwardRequest(raw) }

    @Test func hopByHopFieldsAreRemoved() {
        let out = forward("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nProxy-Connection: x\r\nTE: gzip\r\nTrailer: X\r\nUpgrade: websocket\r\nX-Kept: yes\r\n\r\n")
        for gone in ["Connection", "X-Secret", "Keep-Alive", "Proxy-Connection", "TE:", "Trailer", "Upgrade"] {
            #expect(!out.contains(gone), "\(gone) forwarded")
        }
        #expect(out.contains("X-Kept: yes\r\n"))
        #expect(out.hasPrefix("GET / HTTP/1.1\r\n"))
        #expect(out.hasSuffix("\r\n\r\n"))
    }

    @Test func forwardedForFromATrustedHopIsExtended() {
        let out = forwardRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n", trusted: true)
        #expect(out.contains("X-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.1.2.3\r\n"))
    }

    @Test func forwardedForFromAnyoneElseIsReplaced() {
        let out = forward("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nForwarded: for=6.6.6.6\r\n\r\n")
        #expect(out.contains("X-Forwarded-For: 10.1.2.3\r\n"))
        for forged in ["1.1.1.1", "2.2.2.2", "6.6.6.6", "Forwarded:"] { #expect(!out.contains(forged), "\(forged)") }
    }

    @Test func rfc7239ForwardedIsWrittenUnderTheSameRule() {
        let untrusted = forwardRequest(
            "GET / HTTP/1.1\r\nHost: shop.example:8443\r\nForwarded: for=6.6.6.6\r\n\r\n", client: "2001:db8::7", forwarded: true, tls: true)
        #expect(untrusted.contains("Forwarded: for=\"[2001:db8::7]\";proto=https;host=\"shop.example:8443\"\r\n"))
        #expect(!untrusted.contains("6.6.6.6"))
        let trusted = forwardRequest(
            "GET / HTTP/1.1\r\nHost: shop\r\nForwarded: for=192.0.2.1;proto=https\r\nForwarded: for=198.51.100.2\r\n\r\n", trusted: true, forwarded: true)
        #expect(trusted.contains("Forwarded: for=192.0.2.1;proto=https, for=198.51.100.2, for=10.1.2.3;proto=http;host=shop\r\n"))
        #expect(trusted.split(separator: "\r\n").filter { $0.hasPrefix("Forwarded:") }.count == 1)
        // Not emitting: a trusted hop's Forwarded passes as it came.
        let passed = forwardRequest("GET / HTTP/1.1\r\nHost: shop\r\nForwarded: for=192.0.2.1\r\n\r\n", trusted: true)
        #expect(passed.contains("Forwarded: for=192.0.2.1\r\n"))
    }

    @Test func forwardedProtoAndHostAreSetNotTrusted() {
        let out = forward("GET / HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\n\r\n")
        #expect(out.contains("X-Forwarded-Proto: http\r\n"))
        #expect(!out.contains("https"))
        #expect(out.contains("X-Forwarded-Host: shop.example\r\n"))
        #expect(!out.contains("evil"))
    }

    @Test func viaIsAppended() {
        let out = forward("GET / HTTP/1.1\r\nHost: a\r\nVia: 1.0 fred\r\n\r\n")
        #expect(out.contains("Via: 1.0 fred, 1.1 tether\r\n"))
    }

    @Test func chunkedIsReEmittedOnce() {
        let out = forward("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: Chunked\r\n\r\n")
        #expect(out.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!out.contains("Chunked"))
    }

    @Test func http10IsForwardedAsHTTP11() {
        let out = forward("GET /x HTTP/1.0\r\n\r\n")
        #expect(out.hasPrefix("GET /x HTTP/1.1\r\n"))
        #expect(out.contains("Host: backend:9001\r\n"))
        #expect(!out.contains("X-Forwarded-Host"))
    }

    @Test func chunkHeaderIsHex() {
        var out: [UInt8] = []
        MessageWriter.appendChunkHeader(255, into: &out)
        MessageWriter.appendChunkHeader(0x10000, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "ff\r\n10000\r\n")
    }

    @Test func decimalDigits() {
        var out: [UInt8] = []
        out.appendDecimal(0)
        out.append(32)
        out.appendDecimal(1234567)
        #expect(String(decoding: out, as: UTF8.self) == "0 1234567")
    }

    /// `app_cookie … prefix`: the bytes the router names are left out of
    /// the Cookie field the backend gets; other fields and cookies stay.
    @Test func aCookiePrefixIsLeftOut() {
        let raw = "GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; JSESSIONID=node2.0123456789abcdef~XYZ; b=2\r\n\r\n"
        let start = raw.utf8.count - raw.split(separator: "node2").last!.utf8.count - 5
        let out = forwardRequest(raw, omit: start..<(start + 23))
        #expect(out.contains("\r\nCookie: a=1; JSESSIONID=XYZ; b=2\r\n"), "\(out)")
        #expect(!out.contains("node2"))
    }

    /// ... and the backend's `Set-Cookie` for that cookie gets it in front.
    @Test func aSetCookieOfTheAppCookieGetsThePrefix() {
        let raw = "HTTP/1.1 200 OK\r\nSet-Cookie: JSESSIONID=XYZ; Path=/\r\nSet-Cookie: other=1\r\nSet-Cookie: JSESSIONIDX=2\r\nContent-Length: 0\r\n\r\n"
        let (_, head) = parseResponse(raw)
        var out: [UInt8] = []
        Array(raw.utf8).withUnsafeBufferPointer { buf in
            MessageWriter.appendResponseHead(buf, head, clientFraming: .asIs, keepAlive: true, clientVersion: .http11,
                                             prefixing: Array("JSESSIONID=".utf8), with: Array("node2.0123456789abcdef~".utf8), into: &out)
        }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains("Set-Cookie: JSESSIONID=node2.0123456789abcdef~XYZ; Path=/\r\n"), "\(text)")
        #expect(text.contains("Set-Cookie: other=1\r\n") && text.contains("Set-Cookie: JSESSIONIDX=2\r\n"))
    }
}
