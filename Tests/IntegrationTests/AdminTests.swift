import Foundation
import Glibc
import Testing

/// The admin endpoint: JSON stats, Prometheus metrics, token, actions.
@Suite(.serialized) struct AdminTests {
    struct Setup {
        let apps: [DemoBackendProcess]
        let tether: TetherProcess
        let port: Int
        let adminPort: Int
        let file: TempFile
    }

    static func setup(extra: String = "", adminOptions: String = "") throws -> Setup {
        let apps = try (1...3).map { try DemoBackendProcess(name: "app\($0)", route: "node\($0)") }
        let port = try TestBackend.unusedPort()
        let adminPort = try TestBackend.unusedPort()
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(adminPort) \(adminOptions)\naccess_log off\nworkers 2\n"
        text += "hash_secret \"admin-test-secret-0123456789\"\nhealth_check interval=300ms timeout=200ms rise=1 fall=2\n" + extra
        for a in apps { text += "backend \(a.name) \(a.address) route=\(a.route!)\n" }
        let file = TempFile(emptyNamed: "admin.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        return Setup(apps: apps, tether: tether, port: port, adminPort: adminPort, file: file)
    }

    static func json(_ port: Int, _ path: String = "/stats", token: String? = nil) throws -> [String: Any] {
        var args = ["http://127.0.0.1:\(port)\(path)"]
        if let token { args = ["-H", "Authorization: Bearer \(token)"] + args }
        let r = try Curl.run(args)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test func statsCountExactlyWhatWasSent() throws {
        let s = try Self.setup()
        let url = "http://127.0.0.1:\(s.port)"
        for i in 0..<10 { try Curl.run(["\(url)/new\(i)"]) }                      // 10 new sessions
        let jar = TempFile(emptyNamed: "jar")
        for _ in 0..<5 { try Curl.run(["-b", jar.path, "-c", jar.path, "\(url)/"]) }  // 1 new + 4 sticky
        for raw in ["GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET /" + String(repeating: "x", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n"] {
            let c = try RawClient(port: s.port)
            c.send(raw)
            _ = c.readToEnd()
        }
        try Curl.run(["--data-binary", "hello world", "\(url)/echo"])                 // 1 POST, new session
        let st = try Self.json(s.adminPort)

        for key in ["version", "uptime_seconds", "loops", "routing", "connections", "requests", "rejected", "reloads", "session_store", "backends"] {
            #expect(st[key] != nil, "missing \(key)")
        }
        #expect(st["requests"] as? Int == 19)
        let connections = try #require(st["connections"] as? [String: Any])
        #expect(connections["total"] as? Int == 19)
        #expect(connections["current"] as? Int == 0)
        let rejected = try #require(st["rejected"] as? [String: Int])
        #expect(rejected["bad_host"] == 2, "no Host, and two of them")
        #expect(rejected["uri_too_long"] == 1)
        #expect(rejected["total"] == 3)
        let backends = try #require(st["backends"] as? [[String: Any]])
        #expect(backends.count == 3)
        let backendKeys = ["name", "address", "weight", "route", "backup", "state", "admin_state", "healthy", "since", "check",
                           "connections", "requests", "rate", "responses", "bytes", "retries", "failovers", "sessions", "latency_ms"]
        for b in backends { for k in backendKeys { #expect(b[k] != nil, "backend missing \(k)") } }
        func sum(_ path: [String]) -> Int {
            backends.reduce(0) { acc, b in
                var v: Any? = b
                for p in path { v = (v as? [String: Any])?[p] }
                return acc + (v as? Int ?? 0)
            }
        }
        #expect(sum(["requests"]) == 16)
        #expect(sum(["responses", "2xx"]) == 16)
        #expect(sum(["sessions", "new"]) == 12)
        #expect(sum(["sessions", "sticky_hits"]) == 4)
        #expect(sum(["failovers"]) == 0)
        #expect(backends.allSatisfy { $0["state"] as? String == "up" })
        let pinned = sum(["sessions", "pinned_estimate"])
        #expect(pinned >= 11 && pinned <= 13, "pinned estimate \(pinned) for 12 sessions")
        // The POST's body went to one backend: 11 body bytes on top of its heads.
        let echo = try #require(backends.first { ($0["bytes"] as? [String: Int])?["out"] ?? 0 > 0 })
        #expect(echo["latency_ms"] != nil)
    }

    /// `tether stats` prints the stats table's columns, one row per backend,
    /// with the numbers `/stats` has.
    @Test func statsCommandPrintsTheBackendTable() throws {
        let s = try Self.setup()
        for i in 0..<6 { try Curl.run(["http://127.0.0.1:\(s.port)/t\(i)"]) }
        let (status, output) = try ConfigFileTests().runTether(["stats", "--admin", "http://127.0.0.1:\(s.adminPort)"])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        let header = try #require(lines.first { $0.first == "backend" })
        #expect(header == ["backend", "state", "requests", "req/s", "2xx", "4xx", "5xx", "retries", "failovers", "new", "sticky", "pinned", "recreated", "broken", "tunnels", "errors", "p50ms", "p99ms", "last", "check"])
        let st = try Self.json(s.adminPort)
        for b in st["backends"] as? [[String: Any]] ?? [] {
            let row = try #require(lines.first { $0.first == b["name"] as? String }, "no row for \(b["name"] ?? "?")")
            #expect(row[1] == "up")
            #expect(Int(row[2]) == b["requests"] as? Int)
            #expect(Int(row[9]) == (b["sessions"] as? [String: Any])?["new"] as? Int)
        }
        // Not an admin endpoint: one readable line, non-zero exit.
        let dead = try TestBackend.unusedPort()
        let (bad, message) = try ConfigFileTests().runTether(["stats", "--admin", "http://127.0.0.1:\(dead)"])
        #expect(bad == 1)
        #expect(message.hasPrefix("tether stats: cannot connect to 127.0.0.1:"), "\(message)")
    }

    @Test func metricsPassPromtoolAndAgreeWithStats() throws {
        let s = try Self.setup()
        for i in 0..<7 { try Curl.run(["http://127.0.0.1:\(s.port)/m\(i)"]) }
        let metrics = try Curl.run(["http://127.0.0.1:\(s.adminPort)/metrics"]).stdout
        let file = TempFile(emptyNamed: "metrics.txt")
        try metrics.write(toFile: file.path, atomically: true, encoding: .utf8)
        let check = try Curl.shell("promtool check metrics < \(file.path) 2>&1; echo exit=$?")
        #expect(check.hasSuffix("exit=0"), "\(check)")
        let st = try Self.json(s.adminPort)
        #expect(metrics.contains("tether_requests_total \(st["requests"] as? Int ?? -1)\n"))
        for b in st["backends"] as? [[String: Any]] ?? [] {
            let name = b["name"] as? String ?? ""
            #expect(metrics.contains("tether_backend_requests_total{backend=\"\(name)\"} \(b["requests"] as? Int ?? -1)\n"))
            #expect(metrics.contains("tether_backend_response_seconds_count{backend=\"\(name)\"} \(b["requests"] as? Int ?? -1)\n"))
        }
    }

    @Test func tokenIsRequiredWhenConfigured() throws {
        let s = try Self.setup(adminOptions: "token=\"s3cret-admin-token\"")
        #expect(try Curl.status(["http://127.0.0.1:\(s.adminPort)/stats"]) == 401)
        #expect(try Curl.status(["-H", "Authorization: Bearer wrong-token-value", "http://127.0.0.1:\(s.adminPort)/stats"]) == 401)
        #expect(try Curl.status(["-H", "Authorization: Bearer s3cret-admin-toke", "http://127.0.0.1:\(s.adminPort)/metrics"]) == 401)
        #expect(try Curl.status(["-X", "POST", "http://127.0.0.1:\(s.adminPort)/backends/app1/drain"]) == 401)
        #expect(try Curl.status(["-H", "Authorization: Bearer s3cret-admin-token", "http://127.0.0.1:\(s.adminPort)/stats"]) == 200)
        #expect(try Curl.status(["http://127.0.0.1:\(s.adminPort)/healthz"]) == 200)
    }

    /// A browser cannot send a bearer token: the login form takes it once,
    /// in a POST body, and gives back a cookie that is not the token.
    @Test func theLoginFormExchangesTheTokenForACookie() throws {
        let s = try Self.setup(adminOptions: "token=\"s3cret-admin-token\" read_token=\"reader-token-42\"")
        let admin = "http://127.0.0.1:\(s.adminPort)"
        let root = try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "\(admin)/"])
        #expect(root.stdout == "303 \(admin)/login", "a browser without the cookie goes to the form")
        let form = try Curl.run(["\(admin)/login"]).stdout
        #expect(form.contains("<form method=\"post\" action=\"/login\">") && form.contains("type=\"password\""))
        #expect(try Curl.status(["--data", "token=wrong-token-value", "\(admin)/login"]) == 401)
        #expect(try Curl.status(["--data", "token=s3cret-admin-token", "-H", "Origin: http://evil.example", "\(admin)/login"]) == 403,
                "another site cannot log the browser in")

        let jar = TempFile(emptyNamed: "admin-jar")
        let login = try Curl.run(["-s", "-D", "-", "-o", "/dev/null", "-c", jar.path, "--data-urlencode", "token=s3cret-admin-token", "\(admin)/login"])
        #expect(login.stdout.hasPrefix("HTTP/1.1 303 "))
        #expect(login.stdout.contains("Location: /\r\n"))
        let setCookie = try #require(login.stdout.split(separator: "\r\n").first { $0.hasPrefix("Set-Cookie: tether_admin=") })
        #expect(setCookie.hasSuffix("; Path=/; HttpOnly; SameSite=Strict"))
        #expect(!setCookie.contains("s3cret"), "the cookie is not the token")
        let page = try Curl.run(["-b", jar.path, "\(admin)/"]).stdout
        #expect(page.contains("action=\"/logout\"") && page.contains("const CAN_ACT=true"))
        #expect(try Curl.status(["-b", jar.path, "\(admin)/stats"]) == 200)
        #expect(try Curl.status(["-b", jar.path, "-X", "POST", "\(admin)/backends/app1/drain"]) == 200)
        #expect(try Curl.status(["-b", jar.path, "-X", "POST", "\(admin)/backends/app1/enable"]) == 200)
        #expect(try Curl.status(["-b", "tether_admin=w0123456789abcdef0123456789abcdef", "\(admin)/stats"]) == 401, "a made-up cookie")

        // The read-only token: reads, by bearer (Prometheus) or form, and changes nothing.
        #expect(try Curl.status(["-H", "Authorization: Bearer reader-token-42", "\(admin)/metrics"]) == 200)
        #expect(try Curl.status(["-X", "POST", "-H", "Authorization: Bearer reader-token-42", "\(admin)/backends/app1/drain"]) == 403)
        let readerJar = TempFile(emptyNamed: "reader-jar")
        #expect(try Curl.status(["-c", readerJar.path, "--data", "token=reader-token-42", "\(admin)/login"]) == 303)
        let readerPage = try Curl.run(["-b", readerJar.path, "\(admin)/"]).stdout
        #expect(readerPage.contains("const CAN_ACT=false") && readerPage.contains("read-only"))
        #expect(try Curl.status(["-b", readerJar.path, "-X", "POST", "\(admin)/backends/app1/drain"]) == 403)
        #expect(try Curl.status(["-b", readerJar.path, "\(admin)/stats"]) == 200)

        // Logging out clears the cookie.
        let out = try Curl.run(["-s", "-D", "-", "-o", "/dev/null", "-b", jar.path, "-c", jar.path, "-X", "POST", "\(admin)/logout"])
        #expect(out.stdout.contains("Set-Cookie: tether_admin=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n"))
        #expect(try Curl.status(["-b", jar.path, "\(admin)/stats"]) == 401)
        #expect(!s.tether.stderr.contains("s3cret-admin-token") && !s.tether.stderr.contains("reader-token-42"), "no token in a log")
    }

    /// The dashboard reached as an operator would: headless Chromium opens
    /// the admin URL, lands on the form, submits the token, and sees every
    /// backend with all its columns and actions in a 1,280 px window.
    @Test func theDashboardOpensInABrowserThroughTheLoginForm() throws {
        let s = try Self.setup(adminOptions: "token=\"s3cret-admin-token\"")
        for i in 0..<30 { try Curl.run(["http://127.0.0.1:\(s.port)/u\(i)"]) }
        let raw = try RawClient(port: s.port)
        raw.send("GET / HTTP/1.1\r\n\r\n")
        _ = raw.readToEnd()
        let shot = TempFile(emptyNamed: "dashboard.png")
        let r = try #require(try WebSocketTests.python(
            "dashboard_browser.py", ["http://127.0.0.1:\(s.adminPort)", "s3cret-admin-token", shot.path, "1280"], timeout: 120) as? [String: Any])
        #expect(r["login_url"] as? String == "http://127.0.0.1:\(s.adminPort)/login")
        #expect((r["login_text"] as? String ?? "").contains("Admin token"))
        #expect(r["url"] as? String == "http://127.0.0.1:\(s.adminPort)/", "the token is in no URL")
        let text = r["text"] as? String ?? ""
        for name in ["app1", "app2", "app3", "requests", "errors", "broken", "checks", "log out"] {
            #expect(text.contains(name), "the page shows no \(name)")
        }
        #expect(text.contains("400 bad_host: 1"), "Tether's own answers by cause: \(text)")
        #expect(r["cookie_visible_to_scripts"] as? String == "", "HttpOnly: page scripts cannot read the session")
        let layout = try #require(r["layout"] as? [String: Any])
        let width = layout["innerWidth"] as? Double ?? layout["innerWidth"].flatMap { ($0 as? Int).map(Double.init) } ?? 0
        #expect(width == 1280)
        #expect((layout["tableRight"] as? Double ?? 1e9) <= width, "the table overflows 1,280 px: \(layout)")
        #expect((layout["pageWidth"] as? Int ?? Int.max) <= 1280)
        let buttons = layout["buttons"] as? [[String: Any]] ?? []
        #expect(buttons.count == 9 && buttons.allSatisfy { $0["visible"] as? Bool == true }, "drain / maintenance / enable for 3 backends: \(buttons)")
        let heads = layout["heads"] as? [[String: Any]] ?? []
        #expect(!heads.isEmpty && heads.allSatisfy { $0["visible"] as? Bool == true })
        let png = try Data(contentsOf: URL(fileURLWithPath: shot.path))
        #expect(png.count == r["screenshot_bytes"] as? Int && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
    }

    /// Any page the operator has open can POST to a loopback address: a
    /// backend action from another site is refused, token or not.
    @Test func crossSiteActionsAreRefused() throws {
        for options in ["", "token=\"s3cret-admin-token\""] {
            let s = try Self.setup(adminOptions: options)
            let url = "http://127.0.0.1:\(s.adminPort)/backends/app2/drain"
            let auth = options.isEmpty ? [] : ["-H", "Authorization: Bearer s3cret-admin-token"]
            #expect(try Curl.status(["-X", "POST", "-H", "Origin: http://evil.example"] + auth + [url]) == 403)
            #expect(try Curl.status(["-X", "POST", "-H", "Origin: null"] + auth + [url]) == 403)
            #expect(try Curl.status(["-X", "POST", "-H", "Sec-Fetch-Site: cross-site"] + auth + [url]) == 403)
            let untouched = try Self.json(s.adminPort, token: options.isEmpty ? nil : "s3cret-admin-token")
            #expect((untouched["backends"] as? [[String: Any]] ?? []).map { $0["state"] as? String ?? "" } == ["up", "up", "up"])
            // The dashboard's own page, and clients that say nothing (curl), may.
            #expect(try Curl.status(["-X", "POST", "-H", "Origin: http://127.0.0.1:\(s.adminPort)", "-H", "Sec-Fetch-Site: same-origin"] + auth + [url]) == 200)
            #expect(try Curl.status(["-X", "POST"] + auth + ["http://127.0.0.1:\(s.adminPort)/backends/app2/enable"]) == 200)
        }
    }

    /// `enable` returns a backend to service: with `slowstart` its share of
    /// new sessions ramps up from then, as after a health recovery.
    @Test func enableRampsWithSlowStart() throws {
        let s = try Self.setup(extra: "slowstart 300s\n")
        let admin = "http://127.0.0.1:\(s.adminPort)"
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app2/maintenance"]) == 200)
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app2/enable"]) == 200)
        // Seconds into a 5-minute ramp, app2 takes a few percent of new sessions
        // (a third without the ramp: about 10 of 30).
        let names = try (0..<30).map { _ in StickyRoutingTests.backendName(try Curl.run(["http://127.0.0.1:\(s.port)/"]).stdout) }
        #expect(names.filter { $0 == "app2" }.count <= 4, "\(names)")
        #expect(names.filter { $0 == "app1" || $0 == "app3" }.count >= 26)
    }

    @Test func actionsChangeRoutingAtOnce() throws {
        let s = try Self.setup()
        let admin = "http://127.0.0.1:\(s.adminPort)"
        let jar = try HealthTests.sessionOn("app2", port: s.port)
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app2/drain"]) == 200)
        for _ in 0..<4 {
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(s.port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) == "app2")
        }
        for _ in 0..<15 {
            #expect(StickyRoutingTests.backendName(try Curl.run(["http://127.0.0.1:\(s.port)/"]).stdout) != "app2")
        }
        let drained = try Self.json(s.adminPort)
        let states = (drained["backends"] as? [[String: Any]] ?? []).map { $0["state"] as? String ?? "" }
        #expect(states == ["up", "draining", "up"])
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app2/maintenance"]) == 200)
        let moved = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(s.port)/"])
        #expect(StickyRoutingTests.backendName(moved.stdout) != "app2")
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app2/enable"]) == 200)
        var reached = false
        for _ in 0..<15 where !reached {
            reached = StickyRoutingTests.backendName(try Curl.run(["http://127.0.0.1:\(s.port)/"]).stdout) == "app2"
        }
        #expect(reached, "enabled backend takes new sessions again")
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/nope/drain"]) == 404)
        #expect(try Curl.status(["-X", "POST", "\(admin)/backends/app1/explode"]) == 404)
        #expect(try Curl.status(["\(admin)/backends/app1/drain"]) == 405)
    }

    @Test func adminAnswersWhileTheProxyIsFull() throws {
        let s = try Self.setup(extra: "max_connections 3\n")
        let held = try (0..<3).map { _ in try RawClient(port: s.port) }
        // Make sure all three are accepted (each gets an answer).
        for c in held {
            c.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(c.readResponses(1).count == 1)
        }
        // Admin connections are not counted against max_connections: it answers
        // (a blocked admin would never answer; curl would give up at 10 s).
        #expect(try Curl.status(["--max-time", "10", "http://127.0.0.1:\(s.adminPort)/healthz"]) == 200)
        let st = try Self.json(s.adminPort)
        #expect((st["connections"] as? [String: Any])?["current"] as? Int == 3)
        // It waits in the backlog: no response at all within the second (curl's 000).
        #expect(try Curl.status(["--max-time", "1", "http://127.0.0.1:\(s.port)/"]) == 0, "a fourth client got an answer through the cap")
    }

    @Test func dashboardIsSelfContained() throws {
        let s = try Self.setup()
        let page = try Curl.run(["http://127.0.0.1:\(s.adminPort)/"]).stdout
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains("fetch('/stats'"))
        #expect(!page.contains("http://") && !page.contains("https://"), "the page loads something external")
    }
}
