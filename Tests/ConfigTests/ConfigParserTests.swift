import Stats
import Config
import Foundation
import Testing

/// The grammar and the typed configuration.
@Suite struct ConfigParserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func parse(_ text: String) throws -> ProxyConfig {
        try ConfigParser.parse(text, file: "proxy.conf").get()
    }

    static let minimal = """
        listen 127.0.0.1:8080
        hash_secret "0123456789abcdef"
        backend app1 127.0.0.1:9001

        """

    @Test func everyDirectiveReachesTheTypedConfig() throws {
        let c = try parse("""
            listen 127.0.0.1:8080   # trailing comment
            listen [::1]:8081
            admin 127.0.0.1:9191 token="s3cret-token"
            workers 3
            max_connections 500
            access_log /var/log/tether.log
            header_timeout 500ms
            client_idle_timeout 2m
            client_body_timeout 30s
            send_timeout 45s
            connect_timeout 2s
            backend_timeout 1h
            graceful_stop_timeout 20s
            pool_idle_timeout 90s
            max_request_line 4k
            max_header_size 32k
            max_header_count 50
            max_body_size 64m
            pool_max_idle 16
            retries 1
            routing sticky
            balance least_conn
            sticky_cookie SRV max_age=1h path=/app domain=example.com secure=on httponly=off samesite=strict
            app_cookie JSESSIONID
            hash_secret "a secret with spaces and \\"quotes\\""
            bounded_load 0.5
            slowstart 30s
            health_check path=/ping host=app.local interval=3s timeout=500ms rise=3 fall=4 status=200-299 passive_5xx=on
            backend app1 127.0.0.1:9001 weight=3 route=node1 max_conns=100 check_path=/hc check_interval=1s check_timeout=200ms rise=1 fall=2
            backend app2 localhost:9002 backup check=off
            """)
        #expect(c.listeners.map(\.address) == ["127.0.0.1:8080", "[::1]:8081"])
        #expect(c.admin.address == "127.0.0.1:9191")
        #expect(c.admin.token == "s3cret-token")
        #expect(c.workers == 3)
        #expect(c.maxConnections == 500)
        #expect(c.accessLog == .file("/var/log/tether.log"))
        #expect(c.timeouts.header == .milliseconds(500))
        #expect(c.timeouts.clientIdle == .seconds(120))
        #expect(c.timeouts.clientBody == .seconds(30))
        #expect(c.timeouts.send == .seconds(45))
        #expect(c.timeouts.connect == .seconds(2))
        #expect(c.timeouts.backendResponse == .seconds(3600))
        #expect(c.timeouts.gracefulStop == .seconds(20))
        #expect(c.pool.idleTimeout == .seconds(90))
        #expect(c.limits.maxRequestLine == 4096)
        #expect(c.limits.maxHeaderBytes == 32768)
        #expect(c.limits.maxHeaderCount == 50)
        #expect(c.limits.maxBodySize == 64 << 20)
        #expect(c.pool.maxIdlePerBackend == 16)
        #expect(c.retries == 1)
        #expect(c.routing.mode == .sticky)
        #expect(c.routing.strategy == .leastConn)
        #expect(c.routing.cookie.name == "SRV")
        #expect(c.routing.cookie.maxAge == .seconds(3600))
        #expect(c.routing.cookie.path == "/app")
        #expect(c.routing.cookie.domain == "example.com")
        #expect(c.routing.cookie.secure == .on)
        #expect(!c.routing.cookie.httpOnly)
        #expect(c.routing.cookie.sameSite == .strict)
        #expect(c.routing.appCookie == "JSESSIONID")
        #expect(c.routing.hashSecret == "a secret with spaces and \"quotes\"")
        #expect(c.routing.boundedLoad == 0.5)
        #expect(c.slowStart == .seconds(30))
        #expect(c.health.path == "/ping")
        #expect(c.health.host == "app.local")
        #expect(c.health.interval == .seconds(3))
        #expect(c.health.timeout == .milliseconds(500))
        #expect(c.health.rise == 3 && c.health.fall == 4)
        #expect(c.health.statusLow == 200 && c.health.statusHigh == 299)
        #expect(c.health.passive5xx)
        #expect(c.backends.count == 2)
        let b1 = c.backends[0]
        #expect(b1.name == "app1" && b1.address == "127.0.0.1:9001" && b1.weight == 3)
        #expect(b1.route == "node1" && b1.maxConnections == 100 && !b1.backup)
        #expect(b1.health.path == "/hc" && b1.health.interval == .seconds(1) && b1.health.timeout == .milliseconds(200))
        #expect(b1.health.rise == 1 && b1.health.fall == 2)
        #expect(c.backends[1].backup)
        #expect(c.backends[1].health.enabled == false)
    }

    @Test func tlsListenersPairCertificatesWithKeys() throws {
        let c = try parse("""
            listen 0.0.0.0:8443 tls cert=/etc/a.pem,/etc/b.pem key=/etc/a.key,/etc/b.key min_version=1.3 ciphers=ECDHE-RSA-AES128-GCM-SHA256
            listen 0.0.0.0:9443 cert=/etc/both.pem
            listen 0.0.0.0:8080 redirect_https
            handshake_timeout 3s
            hash_secret "0123456789abcdef"
            backend app1 127.0.0.1:9001

            """)
        let tls = try #require(c.listeners[0].tls)
        #expect(tls.certificates.map(\.cert) == ["/etc/a.pem", "/etc/b.pem"])
        #expect(tls.certificates.map(\.key) == ["/etc/a.key", "/etc/b.key"])
        #expect(tls.minVersion == "1.3")
        #expect(tls.ciphers == "ECDHE-RSA-AES128-GCM-SHA256")
        // A key in the certificate's own file (cert= alone, as HAProxy's crt).
        #expect(c.listeners[1].tls?.certificates.map(\.key) == ["/etc/both.pem"])
        #expect(c.listeners[2].tls == nil && c.listeners[2].redirectHTTPS)
        #expect(c.timeouts.handshake == .seconds(3))
    }

    @Test func sessionStoreMakesRoutingBalanced() throws {
        let c = try parse("listen 127.0.0.1:8080\nsession_store redis://127.0.0.1:6379\nbackend a 127.0.0.1:9001\n")
        #expect(c.routing.mode == .balanced)
        #expect(c.routing.sessionStore == "redis://127.0.0.1:6379")
    }

    @Test func balancedRoutingNeedsNoSecret() throws {
        let c = try parse("listen 127.0.0.1:8080\nrouting balanced\nbackend a 127.0.0.1:9001\n")
        #expect(c.routing.hashSecret == nil)
    }

    @Test func accessLogOffAndStdout() throws {
        #expect(try parse(Self.minimal + "access_log off\n").accessLog == .off)
        #expect(try parse(Self.minimal + "access_log stdout\n").accessLog == .stdout)
    }

    @Test func accessLogFormatsAndFieldLists() throws {
        #expect(try parse(Self.minimal + "access_log /var/log/t.log\n").accessLogFormat == .standard)
        #expect(try parse(Self.minimal + "access_log /var/log/t.log format=combined\n").accessLogFormat == .combined)
        #expect(try parse(Self.minimal + "access_log stdout format=json\n").accessLogFormat == .json)
        #expect(try parse(Self.minimal + "access_log stdout format=time,status,termination,request_id\n").accessLogFormat
            == .fields([.time, .status, .termination, .requestID]))
        let c = try parse(Self.minimal + "request_id trust\nlog_level warning\nlog_format json\n")
        #expect(c.requestID == .trust && c.logLevel == .warning && c.logFormat == .json)
        #expect(AccessLogFormat.combined.writes(.userAgent) && !AccessLogFormat.standard.writes(.referer))
    }

    /// docs/OPERATIONS.md lists every access-log field and termination
    /// value with the meaning the code gives it.
    @Test func operationsDocListsEveryLogFieldAndTermination() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        for f in AccessLogField.allCases { #expect(doc.contains("| `\(f.rawValue)` | \(f.meaning) |"), "field \(f.rawValue)") }
        for c in Termination.Cause.allCases { #expect(doc.contains("| `\(c.name)` | \(c.meaning) |"), "cause \(c.name)") }
        for p in Termination.Phase.allCases { #expect(doc.contains("| `\(p.name)` | \(p.meaning) |"), "phase \(p.name)") }
    }

    /// proxy.conf.example states every default: parsed, it must equal the
    /// built-in defaults apart from what a deployment has to name.
    @Test func exampleRoundTripsToTheDefaults() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("proxy.conf.example"), encoding: .utf8)
        let parsed = try ConfigParser.parse(text, file: "proxy.conf.example").get()
        var expected = ProxyConfig()
        expected.listeners = [ListenerConfig(address: "127.0.0.1:8080")]
        expected.routing.hashSecret = "demo-secret-change-me-0123456789"
        expected.backends = (1...3).map {
            var b = BackendConfig(name: "app\($0)", address: "127.0.0.1:900\($0)")
            b.route = "app\($0)"
            return b
        }
        #expect(parsed == expected)
    }

    @Test func exampleShowsEveryDirective() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("proxy.conf.example"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.drop { $0 == "#" || $0 == " " } }
        for name in ConfigReference.directiveNames {
            #expect(lines.contains { $0.hasPrefix(name + " ") }, "\(name) missing from proxy.conf.example")
        }
    }

    @Test func configReferenceIsCurrent() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        #expect(doc == ConfigReference.markdown(), "docs/CONFIG.md is stale: run tether config-reference > docs/CONFIG.md")
    }

    @Test(arguments: [("500ms", 500), ("2s", 2000), ("5m", 300_000), ("1h", 3_600_000), ("7", 7000)])
    func durations(_ text: String, _ millis: Int64) {
        #expect(ValueParsing.duration(text) == .milliseconds(millis))
    }

    @Test(arguments: [("512", 512), ("16k", 16384), ("64m", 64 << 20), ("1g", 1 << 30), ("2K", 2048)])
    func sizes(_ text: String, _ bytes: Int) {
        #expect(ValueParsing.size(text) == bytes)
    }
}
