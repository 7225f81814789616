import Foundation
import Glibc
import Testing

/// PROXY protocol v1 and v2 on a listener, from real senders (HAProxy's
/// `send-proxy-v2`, curl's `--haproxy-protocol`) and byte by byte for every
/// malformed case; and the trust rule for `X-Forwarded-For` / `Forwarded`.
/// The backend is Python's http.server, echoing what it was sent.
@Suite(.serialized) struct ProxyProtocolTests {
    struct Site {
        let site: ConfiguredTether
        let log: TempFile
        let app: ExternalServer
        var port: Int { site.port }
        var admin: Int { site.admin }
        var url: String { site.url }

        func proxyStats() throws -> [String: Int] {
            let json = try AdminTests.json(admin)
            let listeners = (json["connections"] as? [String: Any])?["listeners"] as? [[String: Any]] ?? []
            return listeners.first?["proxy_headers"] as? [String: Int] ?? [:]
        }

        /// Awaits the listener's PROXY counters reaching `expected`.
        func expectStats(_ expected: [String: Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
            var last: [String: Int] = [:]
            let seen = try Await.until { last = try proxyStats(); return last == expected }
            #expect(seen, "proxy_headers \(last), expected \(expected)", sourceLocation: sourceLocation)
        }
    }

    static func site(listen: String, _ extra: String = "", tls: TestCA.Issued? = nil) throws -> Site {
        let app = try ExternalServer.python("stdlib_http_server.py", ["--name", "py"])
        let log = TempFile(emptyNamed: "access.log")
        let cert = tls.map { " tls cert=\($0.cert) key=\($0.key)" } ?? ""
        let site = try ConfiguredTether { port, admin in
            "listen 127.0.0.1:\(port)\(cert) \(listen)\nadmin 127.0.0.1:\(admin)\nworkers 2\nrouting balanced\n"
                + "health_check enabled=off\naccess_log \(log.path) format=client,status,request\nhandshake_timeout 1s\n\(extra)\nbackend py \(app.address)\n"
        }
        return Site(site: site, log: log, app: app)
    }

    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    static func v2(command: UInt8 = 0x21, family: UInt8 = 0x11, _ body: [UInt8]) -> [UInt8] {
        v2Signature + [command, family, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static func accessLines(_ s: Site, _ count: Int) -> [String] {
        var lines: [String] = []
        _ = Await.until {
            lines = ((try? String(contentsOfFile: s.log.path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return lines.count >= count
        }
        return lines
    }

    @Test func haproxySendProxyV2GivesTheClientAddressToLogsAndBackend() throws {
        let s = try Self.site(listen: "proxy_protocol trusted=127.0.0.1", "forwarded_header on")
        let front = try TestBackend.unusedPort()
        // HAProxy in TCP mode, as in front of a fleet, with the client's source set as a balancer would see it.
        let (haproxy, _) = try ExternalServer.haproxy(
            """
            frontend l4
                mode tcp
                bind 127.0.0.1:\(front)
                tcp-request connection set-src ipv4(203.0.113.7)
                default_backend tethers
            backend tethers
                mode tcp
                server t1 127.0.0.1:\(s.port) send-proxy-v2
            """)
        defer { haproxy.stop() }
        // Two curl runs: two connections, two headers.
        #expect(try Curl.run(["http://127.0.0.1:\(front)/header/X-Forwarded-For"]).stdout == "203.0.113.7")
        #expect(try Curl.run(["http://127.0.0.1:\(front)/header/Forwarded"]).stdout == "for=203.0.113.7;proto=http;host=\"127.0.0.1:\(front)\"")
        // Each connection may land on another loop, and each loop writes its own log lines: no order.
        let lines = Self.accessLines(s, 2)
        #expect(Set(lines) == ["203.0.113.7 200 \"GET /header/X-Forwarded-For HTTP/1.1\"", "203.0.113.7 200 \"GET /header/Forwarded HTTP/1.1\""])
        try s.expectStats(["ok": 2, "untrusted": 0, "malformed": 0, "truncated": 0, "oversized": 0])
    }

    @Test func curlV1AndRawV2V6AndLocalHeaders() throws {
        let s = try Self.site(listen: "proxy_protocol trusted=127.0.0.0/8")
        // curl's own v1 header (its socket's addresses).
        let v1 = try Curl.run(["--haproxy-protocol", "\(s.url)/header/X-Forwarded-For"])
        #expect(v1.stdout == "127.0.0.1")
        // v2 over IPv6, the request in the same write as the header.
        let client = try RawClient(port: s.port)
        let v6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [7] + [UInt8](repeating: 0, count: 15) + [1] + [0x30, 0x39, 0x1F, 0x90]
        client.sendBytes(Self.v2(family: 0x21, v6 + [0x04, 0x00, 0x02, 0x00, 0x00]) + Array("GET /header/X-Forwarded-For HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(client.readResponses(1).first?.hasSuffix("\r\n\r\n2001:db8::7") == true)
        // Keep-alive: the next request on the connection is the same client, with no second header.
        client.send("GET /header/X-Forwarded-For HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.readResponses(1).first?.hasSuffix("\r\n\r\n2001:db8::7") == true)
        // LOCAL (a balancer's health check): the socket's address stands.
        let local = try RawClient(port: s.port)
        local.sendBytes(Self.v2(command: 0x20, family: 0x00, []))
        local.send("GET /header/X-Forwarded-For HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(local.readToEnd().hasSuffix("\r\n\r\n127.0.0.1"))
        try s.expectStats(["ok": 3, "untrusted": 0, "malformed": 0, "truncated": 0, "oversized": 0])
    }

    @Test func theHeaderComesBeforeTLS() throws {
        let ca = try TestCA()
        let cert = try ca.issue("localhost")
        let s = try Self.site(listen: "proxy_protocol trusted=127.0.0.1", tls: cert)
        let r = try Curl.run(["--haproxy-protocol", "--cacert", ca.caPath, "https://localhost:\(s.port)/header/X-Forwarded-Proto"])
        #expect(r.stdout == "https")
        try s.expectStats(["ok": 1, "untrusted": 0, "malformed": 0, "truncated": 0, "oversized": 0])
    }

    @Test func everyBadHeaderClosesTheConnectionWithNothingForwarded() throws {
        let s = try Self.site(listen: "proxy_protocol trusted=127.0.0.1")
        let request = Array("GET /header/X-Forwarded-For HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let tcp4: [UInt8] = [192, 0, 2, 1, 198, 51, 100, 1, 0, 80, 0, 80]
        let malformed: [[UInt8]] = [
            request,  // a client that went around the balancer
            Array("PROXY TCP4 192.0.2.1 198.51.100.1 80\r\n".utf8),
            Array("PROXY TCP4 192.0.2.1 198.51.100.1 80 99999\r\n".utf8),
            Array("PROXY TCP6 192.0.2.1 198.51.100.1 80 80\r\n".utf8),
            Array("PROXY TCP4 192.0.2.1 198.51.100.1 80 80\n".utf8),
            Self.v2(command: 0x22, tcp4),
            Self.v2(family: 0x12, tcp4),
            Self.v2(Array(tcp4.prefix(6))),
            Self.v2(tcp4 + [0x04, 0x00, 0x09]),
            [0x16, 0x03, 0x01, 0x00, 0x05],  // a TLS ClientHello
        ]
        for bytes in malformed {
            let c = try RawClient(port: s.port)
            c.sendBytes(bytes + request)
            #expect(c.readToEnd() == "", "\(bytes)")
        }
        // Oversized: a v1 line with no end, and a v2 length past 1 KiB.
        for bytes in [Array(("PROXY UNKNOWN " + String(repeating: "x", count: 200)).utf8), Self.v2Signature + [0x21, 0x11, 0x10, 0x00]] {
            let c = try RawClient(port: s.port)
            c.sendBytes(bytes)
            #expect(c.readToEnd() == "")
        }
        // Truncated: half a header, then the client closes; half a header, then silence past handshake_timeout.
        do {
            let c = try RawClient(port: s.port)
            c.sendBytes(Array(Self.v2(tcp4).prefix(20)))
            shutdown(c.fd, Int32(SHUT_WR))
            #expect(c.readToEnd() == "")
        }
        let slow = try RawClient(port: s.port)
        slow.send("PROXY TCP4 192.0.2.1")
        #expect(slow.readToEnd() == "")
        try s.expectStats(["ok": 0, "untrusted": 0, "malformed": 10, "truncated": 2, "oversized": 2])
        // Nothing reached the backend, and no request was logged.
        #expect(Self.accessLines(s, 0).isEmpty)
        #expect(try Curl.run(["\(s.app.url)/header/X-Forwarded-For"]).stdout == "")
    }

    @Test func aSourceOutsideTrustedIsClosedBeforeItsHeaderIsRead() throws {
        let s = try Self.site(listen: "proxy_protocol trusted=10.0.0.0/8,2001:db8::/32")
        let r = try Curl.run(["--haproxy-protocol", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(s.url)/"])
        #expect(r.stdout == "000")
        #expect(r.status != 0)
        try s.expectStats(["ok": 0, "untrusted": 1, "malformed": 0, "truncated": 0, "oversized": 0])
    }

    @Test func forwardingFieldsAreKeptOnlyFromTrustedHops() throws {
        let forged = ["-H", "X-Forwarded-For: 198.51.100.66", "-H", "Forwarded: for=198.51.100.66"]
        let open = try Self.site(listen: "", "forwarded_header on")
        let replaced = try Curl.run(forged + ["\(open.url)/header/X-Forwarded-For", "\(open.url)/header/Forwarded"])
        #expect(replaced.stdout == "127.0.0.1for=127.0.0.1;proto=http;host=\"127.0.0.1:\(open.port)\"")
        let trusting = try Self.site(listen: "", "trusted_proxies 10.0.0.0/8,127.0.0.1\nforwarded_header on")
        let kept = try Curl.run(forged + ["\(trusting.url)/header/X-Forwarded-For", "\(trusting.url)/header/Forwarded"])
        #expect(kept.stdout == "198.51.100.66, 127.0.0.1for=198.51.100.66, for=127.0.0.1;proto=http;host=\"127.0.0.1:\(trusting.port)\"")
        // Off: a trusted hop's Forwarded passes as it came.
        let passing = try Self.site(listen: "", "trusted_proxies 127.0.0.1")
        let passed = try Curl.run(forged + ["\(passing.url)/header/Forwarded"])
        #expect(passed.stdout == "for=198.51.100.66")
    }
}
