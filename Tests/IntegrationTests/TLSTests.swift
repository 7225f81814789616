import Foundation
import Glibc
import Testing

/// TLS termination: real certificates from a throw-away CA, real clients
/// (`curl`, `openssl s_client`, and OpenSSL through `TLSClient`).
@Suite(.serialized) struct TLSTests {
    struct Setup {
        let tether: TetherProcess
        let port: Int
        let adminPort: Int
        let file: TempFile
        /// The backend, when the setup made it (kept alive with the setup).
        var app: DemoBackendProcess? = nil
    }

    /// What most tests need: a throw-away CA, a certificate for "localhost"
    /// and one demo backend, with Tether in front.
    static func localhostSite(extra: String = "") throws -> (TestCA, Setup) {
        let ca = try TestCA()
        let site = try ca.issue("localhost")
        let app = try DemoBackendProcess(name: "app1")
        var s = try start(ca: ca, certs: [site], backend: app.address, extra: extra)
        s.app = app
        return (ca, s)
    }

    /// Tether with a TLS listener serving `certs` (first = default) in front of `backend`.
    static func start(
        ca: TestCA, certs: [TestCA.Issued], backend: String, listenExtra: String = "", extra: String = "", accessLog: String = "off"
    ) throws -> Setup {
        let port = PortAllocator.next()
        let certList = certs.map(\.cert).joined(separator: ",")
        let keyList = certs.map(\.key).joined(separator: ",")
        var text = "listen 127.0.0.1:\(port) tls cert=\(certList) key=\(keyList) \(listenExtra)\n"
        text += "admin 127.0.0.1:\(port + 1)\naccess_log \(accessLog)\nworkers 2\nhealth_check enabled=off\n"
        text += "routing sticky\nhash_secret \"tls-test-secret-0123456789\"\n" + extra
        text += "backend app1 \(backend)\n"
        let file = TempFile(emptyNamed: "tls.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        return Setup(tether: tether, port: port, adminPort: port + 1, file: file)
    }

    static func tlsStats(_ s: Setup) throws -> [String: Int] {
        let json = try AdminTests.json(s.adminPort)
        let listeners = (json["connections"] as? [String: Any])?["listeners"] as? [[String: Any]] ?? []
        return listeners.first { ($0["tls"] as? Bool) == true }?["tls_handshakes"] as? [String: Int] ?? [:]
    }

    static func subject(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init)
    }

    @Test func curlGets200OverHTTPSWithForwardedProtoAndSecureCookie() throws {
        let ca = try TestCA()
        let site = try ca.issue("localhost")
        let app = try DemoBackendProcess(name: "app1")
        let s = try Self.start(ca: ca, certs: [site], backend: app.address)
        let r = try Curl.run(["-i", "--cacert", ca.caPath, "https://localhost:\(s.port)/"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("HTTP/1.1 200"))
        #expect(header(r.stdout, "X-Backend") == "app1")
        // Sticky routing on a TLS listener: the affinity cookie is Secure by default.
        let cookie = r.stdout.split(separator: "\r\n").first { $0.hasPrefix("Set-Cookie: TETHER=") } ?? ""
        #expect(cookie.contains("; Secure"), "\(cookie)")

        let echo = try TestBackend()
        defer { echo.stop() }
        let t = try Self.start(ca: ca, certs: [site], backend: echo.address)
        let h = try Curl.run(["--cacert", ca.caPath, "https://localhost:\(t.port)/headers"])
        #expect(h.stdout.contains("X-Forwarded-Proto: https"), "\(h.stdout)")
    }

    @Test func sniChoosesTheCertificateAndUnknownNamesGetTheDefault() throws {
        let ca = try TestCA()
        let a = try ca.issue("a.test")
        let b = try ca.issue("b.test")
        let app = try DemoBackendProcess(name: "app1")
        let s = try Self.start(ca: ca, certs: [a, b], backend: app.address)
        for (name, expected) in [("b.test", "CN = b.test"), ("a.test", "CN = a.test"), ("other.test", "CN = a.test")] {
            let r = try TestCA.sClient(port: s.port, ["-servername", name, "-CAfile", ca.caPath])
            #expect(Self.subject(r.output) == "subject=\(expected)", "SNI \(name): \(Self.subject(r.output) ?? r.output)")
        }
        // curl resolving b.test to Tether verifies the chain and the name.
        let r = try Curl.run(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.caPath, "--resolve", "b.test:\(s.port):127.0.0.1", "https://b.test:\(s.port)/"])
        #expect(r.stdout == "200", "\(r.stderr)")
    }

    /// The access log names each TLS connection's version and the server
    /// name its client asked for (none when it asked by address).
    @Test func accessLogHasTLSVersionAndServerName() throws {
        let ca = try TestCA()
        let a = try ca.issue("a.test")
        let b = try ca.issue("b.test")
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let log = TempFile(emptyNamed: "tls-access.log")
        let s = try Self.start(ca: ca, certs: [a, b], backend: app.address, accessLog: "\(log.path) format=tls_version,sni,status,request")
        let named = try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--tlsv1.3", "--cacert", ca.caPath,
                                  "--resolve", "b.test:\(s.port):127.0.0.1", "https://b.test:\(s.port)/named"])
        #expect(named.stdout == "200", "\(named.stderr)")
        let tls12 = try Curl.run(["-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "--tls-max", "1.2", "https://127.0.0.1:\(s.port)/address"])
        #expect(tls12.stdout == "200", "\(tls12.stderr)")
        var lines: Set<String> = []
        #expect(Await.until {
            lines = Set(((try? String(contentsOfFile: log.path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init))
            return lines.count >= 2
        })
        #expect(lines == [#"TLSv1.3 b.test 200 "GET /named HTTP/1.1""#, #"TLSv1.2 - 200 "GET /address HTTP/1.1""#], "\(lines)")
    }

    @Test func oldProtocolVersionsAreRefusedAndALPNIsHTTP11() throws {
        let ca = try TestCA()
        let site = try ca.issue("localhost")
        let app = try DemoBackendProcess(name: "app1")
        let s = try Self.start(ca: ca, certs: [site], backend: app.address)
        // SECLEVEL=0 lets this client offer TLS 1.1 at all; Tether must say no.
        let old = try TestCA.sClient(port: s.port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(old.status == 1, "s_client exit \(old.status): the handshake must fail")
        #expect(old.output.contains("alert protocol version"), "\(old.output)")
        #expect(try Self.tlsStats(s)["failed"] == 1)

        let tls12 = try TestCA.sClient(port: s.port, ["-tls1_2", "-alpn", "h2,http/1.1", "-CAfile", ca.caPath])
        #expect(tls12.output.contains("Protocol  : TLSv1.2") || tls12.output.contains("TLSv1.2"), "\(tls12.output)")
        #expect(tls12.output.contains("ALPN protocol: http/1.1"), "\(tls12.output)")
        let h2only = try TestCA.sClient(port: s.port, ["-alpn", "h2"])
        #expect(h2only.status == 1, "s_client exit \(h2only.status): the handshake must fail")
        #expect(h2only.output.contains("no application protocol"), "\(h2only.output)")

        // min_version=1.3: TLS 1.2 is refused as well.
        let strict = try Self.start(ca: ca, certs: [site], backend: app.address, listenExtra: "min_version=1.3")
        let r = try TestCA.sClient(port: strict.port, ["-tls1_2"])
        #expect(r.status == 1, "s_client exit \(r.status): the handshake must fail")
        #expect(r.output.contains("alert protocol version"), "\(r.output)")
    }

    @Test func sessionTicketsResume() throws {
        let (ca, s) = try Self.localhostSite()
        let session = TempFile(emptyNamed: "tls-session")
        let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let first = try TestCA.sClient(port: s.port, ["-ign_eof", "-sess_out", session.path, "-CAfile", ca.caPath], stdin: request)
        #expect(first.output.contains("HTTP/1.1 200"))
        let second = try TestCA.sClient(port: s.port, ["-ign_eof", "-sess_in", session.path, "-CAfile", ca.caPath], stdin: request)
        #expect(second.output.contains("Reused, TLSv1.3"), "\(second.output)")
        #expect(try Self.tlsStats(s)["resumed"] == 1)
    }

    @Test func keyUpdateMidConnectionKeepsServing() throws {
        let (ca, s) = try Self.localhostSite()
        let client = try TLSClient(port: s.port, caFile: ca.caPath)
        #expect(client.version == "TLSv1.3")
        #expect(client.get("/")?.hasPrefix("HTTP/1.1 200") == true)
        for _ in 0..<3 {
            #expect(client.requestKeyUpdate())
            #expect(client.get("/health")?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    /// A TLS connection idle for a second gives OpenSSL's record buffers back
    /// (`SSL_free_buffers`); what comes next must not notice. (That memory
    /// is freed shows in `bench.sh --idle N --idle-tls`, not here.)
    @Test func idleTLSConnectionServesAgainAfterItsBuffersGo() throws {
        let (ca, s) = try Self.localhostSite()
        let client = try TLSClient(port: s.port, caFile: ca.caPath)
        #expect(client.get("/")?.hasPrefix("HTTP/1.1 200") == true)
        usleep(1_300_000)  // idleness is the event under test: past the 1 s release
        let cookie = String(repeating: "k", count: 6000)
        #expect(client.send("GET /health HTTP/1.1\r\nHost: localhost\r\nCookie: big=\(cookie)\r\n\r\n"))
        #expect(client.readResponse()?.hasPrefix("HTTP/1.1 200") == true)
        usleep(1_300_000)
        #expect(client.requestKeyUpdate())
        #expect(client.get("/health")?.hasPrefix("HTTP/1.1 200") == true)
    }

    @Test func largeBodiesKeepTheirHashOverTLS() throws {
        let size = 64 * 1024 * 1024
        let ca = try TestCA()
        let site = try ca.issue("localhost")
        let backend = try TestBackend()
        defer { backend.stop() }
        let s = try Self.start(ca: ca, certs: [site], backend: backend.address)
        let file = try TempFile(pattern: size)
        let up = try Curl.run(["--cacert", ca.caPath, "-T", file.path, "-X", "POST", "https://localhost:\(s.port)/sink"], timeout: 300)
        #expect(up.stdout == "\(size) \(PatternStream.sha256(length: size))\n", "\(up.stderr)")
        let out = TempFile(emptyNamed: "tls-download")
        let down = try Curl.run(["--cacert", ca.caPath, "-o", out.path, "https://localhost:\(s.port)/bytes/\(size)"], timeout: 300)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try Curl.shell("sha256sum \(out.path) | cut -d' ' -f1") == PatternStream.sha256(length: size))
    }

    @Test func garbageAndStalledHandshakesAreDroppedWithoutHarm() throws {
        let (ca, s) = try Self.localhostSite(extra: "handshake_timeout 1s\n")

        // Plain HTTP on the TLS port: not a ClientHello, refused at once.
        let garbage = try RawClient(port: s.port)
        garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let reply = garbage.readToEnd()
        #expect(!reply.contains("HTTP/1.1"), "a TLS port must not speak plain HTTP")

        // One stalls before sending anything, one mid-ClientHello.
        let silent = try RawClient(port: s.port)
        let partial = try RawClient(port: s.port)
        partial.send("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}")
        let start = Date()
        // Others are served while those two wait.
        for _ in 0..<5 {
            #expect(try Curl.status(["--cacert", ca.caPath, "https://localhost:\(s.port)/health"]) == 200)
        }
        _ = silent.readToEnd()
        _ = partial.readToEnd()
        let waited = Date().timeIntervalSince(start)
        #expect(waited >= 0.8 && waited < 10, "closed after \(waited) s")
        let stats = try Self.tlsStats(s)
        #expect(stats["failed"] == 3, "\(stats)")
        #expect(stats["ok"] == 5, "\(stats)")
        // A failed handshake gives its place in the connection count back.
        #expect(Await.until { (try? LimitsTests.connectionStats(s.adminPort)["current"] as? Int) == 0 })
    }

    @Test func reloadServesANewCertificateToNewConnectionsOnly() throws {
        let ca = try TestCA()
        let first = try ca.issue("localhost", file: "current")
        let app = try DemoBackendProcess(name: "app1")
        let s = try Self.start(ca: ca, certs: [first], backend: app.address)
        let before = try TestCA.sClient(port: s.port, ["-servername", "localhost"])
        let serialBefore = try Self.serial(before.output)

        let kept = try TLSClient(port: s.port, caFile: ca.caPath)
        #expect(kept.get("/")?.hasPrefix("HTTP/1.1 200") == true)

        // Renewal: same paths, new certificate and key.
        try ca.issue("localhost", file: "current")
        s.tether.signal(SIGHUP)
        #expect(s.tether.waitForStderr(containing: "configuration reloaded"))
        let after = try TestCA.sClient(port: s.port, ["-servername", "localhost", "-CAfile", ca.caPath])
        let serialAfter = try Self.serial(after.output)
        #expect(serialAfter != serialBefore, "still serving the old certificate")
        #expect(after.output.contains("Verify return code: 0 (ok)"))
        // The connection from before the reload goes on with its session.
        #expect(kept.get("/health")?.hasPrefix("HTTP/1.1 200") == true)
    }

    /// The serial number of the certificate an `s_client` run received.
    static func serial(_ output: String) throws -> String {
        let pem = output.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst().first?
            .components(separatedBy: "-----END CERTIFICATE-----").first ?? ""
        let file = TempFile(emptyNamed: "peer.pem")
        try "-----BEGIN CERTIFICATE-----\(pem)-----END CERTIFICATE-----\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        return try TestCA.openssl(["x509", "-in", file.path, "-noout", "-serial"]).output
    }

    @Test func redirectListenerSendsClientsToHTTPS() throws {
        let ca = try TestCA()
        let site = try ca.issue("localhost")
        let app = try DemoBackendProcess(name: "app1")
        let plain = PortAllocator.next()
        let s = try Self.start(ca: ca, certs: [site], backend: app.address, extra: "listen 127.0.0.1:\(plain) redirect_https\n")
        let get = try Curl.run(["-i", "http://127.0.0.1:\(plain)/cart?item=3", "-H", "Host: shop.example:\(plain)"])
        #expect(get.stdout.hasPrefix("HTTP/1.1 301"))
        #expect(header(get.stdout, "Location") == "https://shop.example:\(s.port)/cart?item=3")
        let post = try Curl.run(["-i", "-X", "POST", "--data", "a=1", "http://127.0.0.1:\(plain)/form"])
        #expect(post.stdout.hasPrefix("HTTP/1.1 308"))
        #expect(header(post.stdout, "Location") == "https://127.0.0.1:\(s.port)/form")
        // RFC 9112 §3.2.2: an absolute-form target names the host and the path.
        let absolute = try RawClient(port: plain)
        absolute.send("GET http://shop.example/p?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n")
        #expect(header(absolute.readToEnd(), "Location") == "https://shop.example:\(s.port)/p?q=1")
        // Following it lands on the TLS listener.
        let follow = try Curl.run(["-L", "--cacert", ca.caPath, "-o", "/dev/null", "-w", "%{http_code} %{num_redirects}", "http://localhost:\(plain)/"])
        #expect(follow.stdout == "200 1", "\(follow.stderr)")
    }

    @Test func checkAndStartReportCertificateProblemsByFile() throws {
        let ca = try TestCA()
        let good = try ca.issue("localhost")
        let other = try ca.issue("other")
        let expired = try ca.issue("old", validity: ("20200101000000Z", "20210101000000Z"))
        let cases: [(TestCA.Issued, String)] = [
            (TestCA.Issued(cert: ca.dir + "/missing.pem", key: good.key), "\(ca.dir)/missing.pem: cannot read: No such file or directory"),
            (TestCA.Issued(cert: good.cert, key: other.key), "\(other.key): private key does not match the certificate in \(good.cert)"),
            (expired, "\(expired.cert): certificate expired on 2021-01-01 00:00:00 UTC"),
            (TestCA.Issued(cert: good.key, key: good.key), "\(good.key): no usable PEM certificate"),
        ]
        for (pair, message) in cases {
            let file = TempFile(emptyNamed: "bad-tls.conf")
            let port = PortAllocator.next()
            try "listen 127.0.0.1:\(port) tls cert=\(pair.cert) key=\(pair.key)\nadmin 127.0.0.1:\(port + 1)\nrouting balanced\nbackend a 127.0.0.1:9\n"
                .write(toFile: file.path, atomically: true, encoding: .utf8)
            let (status, output) = try ConfigFileTests().runTether(["check", "--config", file.path])
            #expect(status == 1)
            #expect(output.contains("\(file.path): listen 127.0.0.1:\(port): \(message)"), "\(output)")
            let (runStatus, runOutput) = try ConfigFileTests().runTether(["run", "--config", file.path])
            #expect(runStatus == 1)
            #expect(runOutput.hasPrefix("tether: listen 127.0.0.1:\(port): \(message)"), "\(runOutput)")
        }
    }
}
