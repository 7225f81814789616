import HTTP1
import Testing

/// HTTP Upgrade (RFC 9110 §7.8): which requests may ask the backend for
/// another protocol, and the heads that carry the upgrade on.
@Suite struct UpgradeTests {
    func upgrade(_ raw: String) -> String? {
        let (status, head, bytes) = parseRequest(raw)
        guard case .complete = status, let u = head.upgrade else { return nil }
        return String(decoding: bytes[u], as: UTF8.self)
    }

    @Test func aWebSocketHandshakeIsAnUpgrade() {
        #expect(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n") == "websocket")
        #expect(upgrade("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, upgrade\r\nUpgrade: WebSocket\r\n\r\n") == "WebSocket")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",  // Connection does not name it
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n",  // no protocol
        "GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",  // HTTP/1.0 has no upgrade
        "POST / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc",  // a body
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nUpgrade: foo\r\n\r\n",  // two fields
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket, h2c\r\n\r\n",
    ])
    func otherRequestsAreNot(raw: String) {
        #expect(upgrade(raw) == nil)
    }

    @Test func theBackendIsAskedForTheUpgradeOnce() {
        let out = forwardRequest("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n")
        #expect(out.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"))
        #expect(out.ranges(of: "Upgrade: ").count == 1 && out.ranges(of: "Connection: ").count == 1)
        #expect(out.contains("Sec-WebSocket-Key: k\r\n"))
        let h2c = forwardRequest("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: x\r\n\r\n")
        #expect(!h2c.contains("Upgrade") && !h2c.contains("HTTP2-Settings"), "h2c is stripped, as before")
    }

    @Test func aSwitchingHeadCarriesTheProtocolAndTheCookie() {
        let raw = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x=\r\n\r\n".utf8)
        var parser = ResponseParser()
        var head = ResponseHead()
        var out: [UInt8] = []
        raw.withUnsafeBufferPointer { buf in
            guard case .complete = parser.parse(buf, start: 0, end: raw.count, requestMethod: .get, into: &head) else {
                Issue.record("a 101 head parses")
                return
            }
            MessageWriter.appendSwitchingHead(buf, head, extra: Array("Set-Cookie: T=1\r\n".utf8), into: &out)
        }
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == "HTTP/1.1 101 Switching Protocols\r\nVia: 1.1 tether\r\nSec-WebSocket-Accept: x=\r\nSet-Cookie: T=1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n")
    }
}
