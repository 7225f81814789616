import Foundation
import Glibc
import Testing

/// Uploads through app servers no one here wrote: `Expect: 100-continue`
/// answered by the backend (Python's http.server) or never answered, interim
/// responses in writes of their own, early refusals, trailers, and the framing
/// rules on the way. Before these, every curl upload of over 1 MiB got a 502
/// and counted as a health failure of a backend that had answered 200.
@Suite(.serialized) struct UploadTests {
    static let uploadSize = 2 << 20
    static let uploads = 20

    struct Site {
        let server: ExternalServer
        let tether: TetherProcess
        let adminPort: Int
        let file: TempFile
        var url: String { tether.url }
    }

    /// http.server behind Tether, with passive health strict enough
    /// (`fall=2`) that two wrongly blamed uploads would mark it down.
    static func site(_ serverArgs: [String] = [], extra: String = "") throws -> Site {
        let server = try ExternalServer.python("stdlib_http_server.py", serverArgs)
        let port = try TestBackend.unusedPort()
        let adminPort = try TestBackend.unusedPort()
        let text = """
            listen 127.0.0.1:\(port)
            admin 127.0.0.1:\(adminPort)
            access_log off
            workers 2
            hash_secret "upload-tests-secret-0123456789"
            health_check interval=30s fall=2
            backend py \(server.address)
            \(extra)
            """
        let file = TempFile(emptyNamed: "upload.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return Site(server: server, tether: try TetherProcess(configFile: file.path), adminPort: adminPort, file: file)
    }

    struct Upload {
        var status: Int
        var body: String
        var seconds: Double
        /// `100 Continue` heads the client saw.
        var continues: Int
    }

    /// curl as users run it: `--data-binary @file` sends `Expect: 100-continue` past 1 MiB.
    static func upload(_ url: String, _ file: String) throws -> Upload {
        let r = try Curl.run(["-v", "--data-binary", "@\(file)", "-w", "\n%{http_code} %{time_total}", url])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let last = (lines.last ?? "").split(separator: " ")
        return Upload(
            status: Int(last.first ?? "") ?? -1, body: lines.dropLast().joined(separator: "\n"),
            seconds: Double(last.last ?? "") ?? -1, continues: r.stderr.ranges(of: "< HTTP/1.1 100").count)
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func backendState(_ s: Site) throws -> String {
        let st = try AdminTests.json(s.adminPort)
        return ((st["backends"] as? [[String: Any]])?.first?["state"] as? String) ?? "?"
    }

    /// 20 uploads of 2 MiB, direct and through Tether, interleaved: every one
    /// 200 with its SHA-256, one `100` each, and no slower than direct + 50 ms.
    static func uploadsMatchDirect(direct: String, proxied: String) throws {
        let payload = try TempFile(pattern: uploadSize)
        let sum = PatternStream.sha256(length: uploadSize)
        var directTimes: [Double] = [], proxiedTimes: [Double] = []
        for _ in 0..<uploads {
            let d = try upload(direct, payload.path)
            #expect(d.status == 200 && d.body == sum, "direct: \(d.status)")
            directTimes.append(d.seconds)
            let p = try upload(proxied, payload.path)
            #expect(p.status == 200, "through Tether: \(p.status) \(p.body)")
            #expect(p.body == sum)
            #expect(p.continues == 1, "the client saw \(p.continues) 100 Continue heads")
            proxiedTimes.append(p.seconds)
        }
        let (dm, pm) = (median(directTimes), median(proxiedTimes))
        #expect(pm <= dm + 0.05, "median upload \(pm) s through Tether, \(dm) s direct")
    }

    func uploadsMatchDirect(_ serverArgs: [String]) throws {
        let s = try Self.site(serverArgs)
        try Self.uploadsMatchDirect(direct: s.server.url + "/upload", proxied: s.url + "/upload")
        #expect(try Self.backendState(s) == "up")
    }

    @Test func uploadsThroughABackendThatSendsContinue() throws {
        try uploadsMatchDirect([])
    }

    /// Direct, curl waits its own second for a 100 that never comes; through
    /// Tether, `expect_timeout` (200 ms) answers for the backend.
    @Test func uploadsThroughABackendThatNeverSendsContinue() throws {
        try uploadsMatchDirect(["--no-continue"])
    }

    /// A 103 in a write of its own, then the 200: both reach the client, in order.
    @Test func earlyHintsReachTheClientBeforeTheFinalResponse() throws {
        let s = try Self.site()
        let c = try RawClient(port: s.tether.port)
        c.send("GET /early HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n")
        let text = c.readToEnd()
        let early = text.range(of: "HTTP/1.1 103 Early Hints\r\n")
        let final = text.range(of: "HTTP/1.1 200 OK\r\n")
        #expect(early != nil && final != nil, "got: \(text)")
        if let early, let final { #expect(early.lowerBound < final.lowerBound) }
        #expect(text.contains("Link: </style.css>; rel=preload; as=style\r\n"))
        #expect(text.hasSuffix("\r\n\r\nfinal"))
        // curl, too, sees both heads.
        let r = try Curl.run(["-v", s.url + "/early"])
        #expect(r.stdout == "final")
        #expect(r.stderr.contains("< HTTP/1.1 103 Early Hints"))
        #expect(try Self.backendState(s) == "up")
    }

    /// RFC 9110 §15.2: no 1xx to an HTTP/1.0 client.
    @Test func http10ClientGetsNoInterimResponse() throws {
        let s = try Self.site()
        let c = try RawClient(port: s.tether.port)
        c.send("GET /early HTTP/1.0\r\nHost: shop.test\r\n\r\n")
        let text = c.readToEnd()
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "got: \(text)")
        // (Not just "103": the affinity cookie's random key may hold it.)
        #expect(!text.contains(" 103 ") && !text.contains("Early Hints"))
    }

    /// The backend refuses before reading the body: the client gets the 401,
    /// the connection to the backend is not reused, and the next request is
    /// served. A backend that sends no 100 refuses before `expect_timeout`:
    /// the client gets no 100 (Tether does not invent one) and sends no body.
    @Test(arguments: [[], ["--no-continue"]])
    func earlyRefusalEndsTheExchangeCleanly(_ serverArgs: [String]) throws {
        let s = try Self.site(serverArgs)
        let payload = try TempFile(pattern: Self.uploadSize)
        let refused = try Self.upload(s.url + "/refuse", payload.path)
        #expect(refused.status == 401)
        #expect(refused.body == "no")
        // http.server says 100 before its handler runs; relayed once.
        #expect(refused.continues == (serverArgs.isEmpty ? 1 : 0))
        // Without Expect the body is already on its way when the 401 comes.
        let r = try Curl.run(["-H", "Expect:", "--data-binary", "@\(payload.path)", "-o", "/dev/null", "-w", "%{http_code}", s.url + "/refuse"])
        #expect(r.stdout == "401")
        let after = try Self.upload(s.url + "/upload", payload.path)
        #expect(after.status == 200 && after.body == PatternStream.sha256(length: Self.uploadSize))
        #expect(try Self.backendState(s) == "up")
    }

    /// RFC 9112 §3.2.2: the backend gets origin-form and the target's host.
    @Test func absoluteFormTargetReachesTheBackendAsOriginForm() throws {
        let s = try Self.site()
        let c = try RawClient(port: s.tether.port)
        c.send("GET http://other.test/x?y=1 HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n")
        #expect(c.readToEnd().hasSuffix("\r\n\r\n/x?y=1 other.test"))
        for bad in ["GET /a#frag HTTP/1.1\r\nHost: shop.test", "GET / HTTP/1.1\r\nHost: 1.2.3.4:9000:80"] {
            let b = try RawClient(port: s.tether.port)
            b.send(bad + "\r\n\r\n")
            #expect(b.readToEnd().hasPrefix("HTTP/1.1 400 "), "\(bad) not refused")
        }
    }

    /// Response trailers go to a client that sent `TE: trailers`, and only then.
    @Test func responseTrailersReachClientsThatTakeThem() throws {
        let s = try Self.site()
        let with = try Curl.run(["--raw", "-i", "-H", "TE: trailers", s.url + "/trailers"])
        #expect(with.stdout.contains("X-Saw-TE: trailers\r\n"))
        #expect(with.stdout.contains("Trailer: X-Checksum, X-Parts\r\n"))
        #expect(with.stdout.hasSuffix("0\r\nX-Checksum: 5eb63bbbe01eeed0\r\nX-Parts: 2\r\n\r\n"), "got: \(with.stdout)")
        let without = try Curl.run(["--raw", "-i", s.url + "/trailers"])
        #expect(without.stdout.contains("X-Saw-TE: none\r\n"))
        #expect(!without.stdout.contains("X-Checksum"))
        #expect(!without.stdout.contains("Trailer:"))
        #expect(without.stdout.hasSuffix("6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"))
    }

    /// Request trailers always reach the (HTTP/1.1) backend.
    @Test func requestTrailersReachTheBackend() throws {
        let s = try Self.site()
        let c = try RawClient(port: s.tether.port)
        c.send("POST /echo-trailers HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\nTrailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 900150983cd2\r\n\r\n")
        #expect(c.readToEnd().hasSuffix("\r\n\r\nX-Sum: 900150983cd2\r\n"))
    }
}

/// The same uploads against Apache Tomcat 10 (`apt-get install tomcat10`,
/// which `scripts/test.sh` does): the server the issue was first seen with.
@Suite(.serialized, .enabled(if: TomcatServer.isInstalled, "tomcat10 is not installed (scripts/test.sh installs it)"))
struct TomcatUploadTests {
    @Test func uploadsThroughTomcat() throws {
        let (tomcat, base) = try TomcatServer.start(route: "node1")
        defer {
            tomcat.stop()
            try? FileManager.default.removeItem(atPath: base)
        }
        let port = try TestBackend.unusedPort()
        let adminPort = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "tomcat.conf")
        try """
            listen 127.0.0.1:\(port)
            admin 127.0.0.1:\(adminPort)
            access_log off
            workers 2
            hash_secret "tomcat-upload-secret-0123456789"
            health_check interval=30s fall=2
            backend tomcat1 \(tomcat.address) route=node1
            """.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        // The first request compiles the page: not part of the timing.
        let warm = try TempFile(pattern: 1000)
        #expect(try UploadTests.upload(tomcat.url + "/upload.jsp", warm.path).body == PatternStream.sha256(length: 1000))
        try UploadTests.uploadsMatchDirect(direct: tomcat.url + "/upload.jsp", proxied: tether.url + "/upload.jsp")
        let st = try AdminTests.json(adminPort)
        #expect(((st["backends"] as? [[String: Any]])?.first?["state"] as? String) == "up")
    }
}

/// Issue 18 against three Tomcat 10 instances: clients that return only
/// JSESSIONID (no TETHER cookie) keep their session for 1,000 requests.
/// With `jvmRoute` the `.route` suffix names the instance; without it,
/// `app_cookie JSESSIONID prefix` puts the sealed instance in front of the
/// value (Tomcat never sees it, or it would start a new session).
@Suite(.serialized, .enabled(if: TomcatServer.isInstalled, "tomcat10 is not installed (scripts/test.sh installs it)"))
struct TomcatSessionTests {
    @Test(arguments: [true, false])
    func clientsReturningOnlyJSESSIONIDKeepTheirSession(jvmRoute: Bool) throws {
        var tomcats: [(server: ExternalServer, base: String)] = []
        defer {
            for t in tomcats {
                t.server.stop()
                try? FileManager.default.removeItem(atPath: t.base)
            }
        }
        for i in 1...3 { tomcats.append(try TomcatServer.start(route: jvmRoute ? "node\(i)" : nil, name: "tomcat\(i)")) }
        let port = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "tomcat-sessions.conf")
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(try TestBackend.unusedPort())\naccess_log off\nworkers 2\n"
        text += "hash_secret \"tomcat-session-secret-0123456789\"\nhealth_check interval=30s\n"
        text += "app_cookie JSESSIONID" + (jvmRoute ? "" : " prefix") + "\n"
        for (i, t) in tomcats.enumerated() {
            text += "backend tomcat\(i + 1) \(t.server.address)" + (jvmRoute ? " route=node\(i + 1)" : "") + "\n"
        }
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        let (lost, homes, _) = try StickyRoutingTests.appCookieOnlyClients(port: tether.port, path: "/session.jsp")
        #expect(lost == 0, "\(lost) of 1,000 requests found no session")
        #expect(homes.count >= 2, "20 sessions all on \(homes)")
    }
}
