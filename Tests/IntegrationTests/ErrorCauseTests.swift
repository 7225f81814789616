import Foundation
import Glibc
import Testing

/// Every status Tether answers itself, produced once by a real client or a
/// real backend (Python's http.server; for what no real server does on
/// purpose, a scripted one), and counted under its own cause in `/stats`
/// and `/metrics` — apart from the statuses backends sent.
@Suite(.serialized) struct ErrorCauseTests {
    typealias Site = ConfiguredTether

    static func site(_ lines: String) throws -> Site {
        try ConfiguredTether { port, admin in
            "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(admin)\naccess_log off\nworkers 1\nrouting balanced\nhealth_check enabled=off\n" + lines
        }
    }

    /// The status line of what a raw client gets for `text` (sent whole).
    static func statusLine(_ port: Int, _ text: String) throws -> String {
        let c = try RawClient(port: port)
        c.send(text)
        return c.readToEnd().components(separatedBy: "\r\n").first ?? ""
    }

    /// Counts of `rejected` in `/stats` and their lines in `/metrics`.
    static func expectCounted(_ s: Site, _ expected: [String: (code: Int, count: Int)], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let stats = try AdminTests.json(s.admin)
        let rejected = try #require(stats["rejected"] as? [String: Int], sourceLocation: sourceLocation)
        let metrics = try Curl.run(["\(s.adminURL)/metrics"]).stdout
        for (cause, e) in expected {
            #expect(rejected[cause] == e.count, "rejected.\(cause)", sourceLocation: sourceLocation)
            #expect(metrics.contains("tether_rejected_requests_total{code=\"\(e.code)\",cause=\"\(cause)\"} \(e.count)\n"),
                    "/metrics \(cause)", sourceLocation: sourceLocation)
        }
        #expect(rejected["total"] == expected.values.reduce(0) { $0 + $1.count }, "nothing else was answered by Tether", sourceLocation: sourceLocation)
    }

    /// What clients get wrong, and the limits and timeouts they run into.
    @Test func everyClientSideCauseIsCountedApart() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let s = try Self.site("""
            header_timeout 200ms
            client_body_timeout 200ms
            request_timeout 400ms
            max_body_size 1k
            max_request_line 256
            max_header_count 20
            backend app \(app.address)

            """)
        let refused: [(String, String, String)] = [
            ("bad_request_line", "GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("bad_header", "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("bad_host", "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("bad_framing", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 Bad Request"),
            ("body_too_large", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n", "HTTP/1.1 413 Content Too Large"),
            ("uri_too_long", "GET /" + String(repeating: "u", count: 400) + " HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 414 URI Too Long"),
            ("expectation_failed", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", "HTTP/1.1 417 Expectation Failed"),
            ("headers_too_large", "GET / HTTP/1.1\r\nHost: a\r\n" + (0..<25).map { "X-\($0): v\r\n" }.joined() + "\r\n", "HTTP/1.1 431 Request Header Fields Too Large"),
            ("not_implemented", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", "HTTP/1.1 501 Not Implemented"),
            ("header_timeout", "GET / HTTP/1.1\r\nHost: a\r\n", "HTTP/1.1 408 Request Timeout"),
            ("body_timeout", "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 408 Request Timeout"),
            ("request_timeout", "GET /sleep/3000 HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 504 Gateway Timeout"),
        ]
        for (cause, text, status) in refused {
            let got = try Self.statusLine(s.port, text)
            #expect(got == status, "\(cause): \(got)")
        }
        #expect(try Curl.status(["\(s.url)/fine"]) == 200)
        var expected: [String: (code: Int, count: Int)] = [:]
        for (cause, _, status) in refused { expected[cause] = (Int(status.split(separator: " ")[1])!, 1) }
        try Self.expectCounted(s, expected)
        let backend = try #require((try AdminTests.json(s.admin)["backends"] as? [[String: Any]])?.first)
        #expect((backend["responses"] as? [String: Int])?["5xx"] == 0, "the 504 was Tether's, not the backend's")
        #expect((backend["errors"] as? [String: Int])?["request_timeout"] == 1)
        #expect((backend["errors"] as? [String: Int])?["total"] == 1, "a client's mistakes are not the backend's errors")
    }

    /// What backends do wrong, one backend at a time (the others in
    /// maintenance): each cause on its own backend, none in its 5xx.
    @Test func everyBackendSideCauseIsCountedOnItsBackend() throws {
        let slow = try ExternalServer.python("stdlib_http_server.py")
        let closes = try ScriptedBackend([[.close]])
        let invalid = try ScriptedBackend([[.send("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), .close]])
        let full = try FullListener()
        let nobody = try TestBackend.unusedPort()
        defer { slow.stop(); closes.stop(); invalid.stop(); full.stop() }
        let s = try Self.site("""
            backend_timeout 300ms
            connect_timeout 300ms
            backend slow \(slow.address)
            backend closes \(closes.address) maintenance=on
            backend invalid \(invalid.address) maintenance=on
            backend refuses 127.0.0.1:\(nobody) maintenance=on
            backend unreachable \(full.address) maintenance=on

            """)
        func only(_ name: String) throws {
            for b in ["slow", "closes", "invalid", "refuses", "unreachable"] {
                #expect(try Curl.status(["-X", "POST", "\(s.adminURL)/backends/\(b)/\(b == name ? "enable" : "maintenance")"]) == 200)
            }
        }
        #expect(try Curl.status(["\(s.url)/sleep/2000"]) == 504)                       // backend_timeout
        try only("closes")
        #expect(try Curl.status(["--data", "x", "\(s.url)/"]) == 502)                  // backend_reset (a POST is not retried)
        try only("invalid")
        #expect(try Curl.status(["\(s.url)/"]) == 502)                                 // invalid_response
        try only("refuses")
        #expect(try Curl.status(["\(s.url)/"]) == 502)                                 // backend_refused
        try only("unreachable")
        #expect(try Curl.status(["\(s.url)/"]) == 504)                                 // connect_timeout
        #expect(try Curl.status(["-X", "POST", "\(s.adminURL)/backends/unreachable/maintenance"]) == 200)
        #expect(try Curl.status(["\(s.url)/"]) == 503)                                 // no_backend

        try Self.expectCounted(s, [
            "backend_timeout": (504, 1), "backend_reset": (502, 1), "invalid_response": (502, 1), "backend_refused": (502, 1),
            "connect_timeout": (504, 1), "no_backend": (503, 1),
        ])
        let backends = try #require(try AdminTests.json(s.admin)["backends"] as? [[String: Any]])
        let metrics = try Curl.run(["\(s.adminURL)/metrics"]).stdout
        for (name, cause, code) in [("slow", "backend_timeout", 504), ("closes", "backend_reset", 502), ("invalid", "invalid_response", 502),
                                    ("refuses", "backend_refused", 502), ("unreachable", "connect_timeout", 504)] {
            let b = try #require(backends.first { $0["name"] as? String == name })
            #expect((b["errors"] as? [String: Int])?[cause] == 1, "\(name) \(cause)")
            #expect((b["responses"] as? [String: Int])?["5xx"] == 0, "\(name): Tether's answers are not the backend's 5xx")
            #expect(metrics.contains("tether_backend_local_answers_total{backend=\"\(name)\",code=\"\(code)\",cause=\"\(cause)\"} 1\n"))
        }
    }

    /// A backend at `max_conns` with its one queue place taken: the next
    /// request is refused at once (queue full), the queued one after
    /// `queue_timeout`; both on that backend, neither in its 5xx.
    @Test func queueCausesAreCountedOnTheirBackend() throws {
        let held = try ExternalServer.python("stdlib_http_server.py")
        defer { held.stop() }
        let s = try Self.site("queue_timeout 1s\nbackend held \(held.address) max_conns=1 max_queue=1\n")
        func connections() -> [String: Any]? {
            ((try? AdminTests.json(s.admin)["backends"] as? [[String: Any]])??.first?["connections"] as? [String: Any])
        }
        // Python's handler sleeps 2.5 s: the slot stays taken past the queue timeout.
        let first = LimitsTests.inBackground(1, "\(s.url)/sleep/2500")
        #expect(Await.until { connections()?["active"] as? Int == 1 })
        let queued = LimitsTests.inBackground(1, "\(s.url)/queued")
        #expect(Await.until { connections()?["queued"] as? Int == 1 })
        #expect(try Curl.status(["\(s.url)/third"]) == 503)     // queue_full
        #expect(queued().map(\.0) == [503])                     // queue_timeout
        #expect(first().map(\.0) == [200])
        try Self.expectCounted(s, ["queue_full": (503, 1), "queue_timeout": (503, 1)])
        let b = try #require((try AdminTests.json(s.admin)["backends"] as? [[String: Any]])?.first)
        #expect(b["errors"] as? [String: Int] == ["queue_full": 1, "queue_timeout": 1, "backend_refused": 0, "backend_reset": 0, "invalid_response": 0,
                                                   "connect_timeout": 0, "backend_timeout": 0, "request_timeout": 0, "total": 2])
        #expect((b["responses"] as? [String: Int])?["5xx"] == 0 && (b["responses"] as? [String: Int])?["2xx"] == 1)
    }
}

/// A listener whose accept queue is full and that never accepts: the
/// kernel drops further SYNs, so a connection to it neither succeeds nor
/// fails until the client gives up (a backend behind a black hole).
final class FullListener: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private var fillers: [Int32] = []
    var address: String { "127.0.0.1:\(port)" }

    init() throws {
        (fd, port) = try TestBackend.listenOnTestPort()
        _ = listen(fd, 0)  // a queue of one
        for _ in 0..<2 {
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(port).bigEndian
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, 16) } }
            fillers.append(c)
        }
    }

    func stop() {
        for c in fillers { close(c) }
        close(fd)
    }
}
