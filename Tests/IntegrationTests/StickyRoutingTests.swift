import Foundation
import Glibc
import Testing

/// Sticky routing through a real tether in front of real demo-backends.
@Suite(.serialized) struct StickyRoutingTests {
    static let secret = "integration-secret-0123456789"

    static func config(port: Int, backends: [DemoBackendProcess], extra: String = "") -> String {
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\naccess_log off\nworkers 2\nhash_secret \"\(secret)\"\n"
        text += "health_check interval=300ms timeout=300ms rise=1 fall=2\n" + extra
        for b in backends {
            text += "backend \(b.name) \(b.address)" + (b.route.map { " route=\($0)" } ?? "") + "\n"
        }
        return text
    }

    /// Three demo backends and a tether in front of them.
    struct Setup {
        let backends: [DemoBackendProcess]
        let tether: TetherProcess
        let port: Int
        let file: TempFile
    }

    static func setup(routes: Bool = true, extra: String = "") throws -> Setup {
        let backends = try (1...3).map { try DemoBackendProcess(name: "app\($0)", route: routes ? "node\($0)" : nil) }
        let port = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "sticky.conf")
        try config(port: port, backends: backends, extra: extra).write(toFile: file.path, atomically: true, encoding: .utf8)
        return Setup(backends: backends, tether: try TetherProcess(configFile: file.path), port: port, file: file)
    }

    static func backendName(_ body: String) -> String? {
        body.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("backend=") }.map { String($0.dropFirst(8)) }
    }

    /// 20 clients that keep only the JSESSIONID they are given (no TETHER),
    /// 50 requests each to `path` (an app answering `backend=NAME visits=N`):
    /// how many requests did not find their session, the backends the 20
    /// sessions began on, and every JSESSIONID value handed out.
    static func appCookieOnlyClients(port: Int, path: String) throws -> (lost: Int, homes: Set<String>, values: [String]) {
        let client = try RawClient(port: port)
        var lost = 0, homes = Set<String>(), values: [String] = []
        for _ in 0..<20 {
            var jsession: String? = nil
            var home: String? = nil
            for k in 1...50 {
                client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n" + (jsession.map { "Cookie: JSESSIONID=\($0)\r\n" } ?? "") + "\r\n")
                let r = client.readResponses(1).first ?? ""
                if let set = setCookie(r, "JSESSIONID") {
                    jsession = set
                    values.append(set)
                }
                let body = r.components(separatedBy: "\r\n\r\n").dropFirst().joined()
                if home == nil { home = backendName(body) }
                if backendName(body) != home || visits(body) != k { lost += 1 }
            }
            homes.insert(home ?? "?")
        }
        return (lost, homes, values)
    }

    static func visits(_ body: String) -> Int? {
        body.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("visits=") }.flatMap { Int($0.dropFirst(7).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func oneClientStaysOnOneBackend() throws {
        let s = try Self.setup()
        let jar = TempFile(emptyNamed: "jar")
        var seen: Set<String> = []
        var last = 0
        for _ in 0..<20 {
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(s.port)/"])
            seen.insert(Self.backendName(r.stdout) ?? "?")
            last = Self.visits(r.stdout) ?? -1
        }
        #expect(seen.count == 1, "one client went to \(seen)")
        #expect(last == 20)
    }

    @Test func sixtyClientsSpreadWithinTheBound() throws {
        let s = try Self.setup()
        var counts: [String: Int] = [:]
        for _ in 0..<60 {
            let client = try RawClient(port: s.port)
            client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let r = client.readToEnd()
            #expect(setCookie(r, "TETHER") != nil, "new session without an affinity cookie")
            counts[header(r, "X-Backend") ?? "?", default: 0] += 1
        }
        #expect(counts.count == 3, "\(counts)")
        #expect(counts.values.allSatisfy { $0 <= 25 }, "\(counts) exceeds ceil(1.25 x 20)")
    }

    @Test func jvmRouteCookieLandsOnItsRoute() throws {
        let s = try Self.setup(extra: "app_cookie JSESSIONID\n")
        for n in 1...3 {
            let client = try RawClient(port: s.port)
            for _ in 0..<3 {
                client.send("GET / HTTP/1.1\r\nHost: t\r\nCookie: JSESSIONID=8A3F00C0FFEE.node\(n)\r\n\r\n")
                let r = client.readResponses(1).first ?? ""
                #expect(header(r, "X-Backend") == "app\(n)")
            }
        }
    }

    /// Keyed on JSESSIONID without a route: the first response also carries
    /// Tether's affinity cookie, which keeps the new session where it was created.
    @Test func appCookieWithoutRouteIsPinnedByTheAffinityCookie() throws {
        let s = try Self.setup(routes: false, extra: "app_cookie JSESSIONID\n")
        let jar = TempFile(emptyNamed: "jar")
        let first = try Curl.run(["-D", "-", "-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(s.port)/"])
        #expect(setCookie(first.stdout, "JSESSIONID") != nil)
        #expect(setCookie(first.stdout, "TETHER") != nil)
        var last = 0
        var seen: Set<String> = []
        for _ in 0..<9 {
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(s.port)/"])
            seen.insert(Self.backendName(r.stdout) ?? "?")
            last = Self.visits(r.stdout) ?? -1
        }
        #expect(seen == [Self.backendName(first.stdout) ?? ""])
        #expect(last == 10)
    }

    @Test func failoverRecreatesTheSessionAndItStays() throws {
        let s = try Self.setup()
        let jar = TempFile(emptyNamed: "jar")
        let url = "http://127.0.0.1:\(s.port)/"
        var r = try Curl.run(["-b", jar.path, "-c", jar.path, url])
        r = try Curl.run(["-b", jar.path, "-c", jar.path, url])
        let home = try #require(Self.backendName(r.stdout))
        #expect(Self.visits(r.stdout) == 2)
        let dead = try #require(s.backends.first { $0.name == home })
        dead.kill()

        let after = try Curl.run(["-D", "-", "-b", jar.path, "-c", jar.path, url])
        #expect(after.stdout.hasPrefix("HTTP/1.1 200"))
        let newHome = try #require(Self.backendName(after.stdout))
        #expect(newHome != home)
        #expect(Self.visits(after.stdout) == 1, "the session is re-created on the new backend")
        #expect(setCookie(after.stdout, "TETHER") != nil, "a new affinity cookie pins the new home")

        try dead.start()
        // Wait until the old backend takes new sessions again (its passive
        // mark expires after the health_check interval)...
        let back = try Await.until {
            let probe = try RawClient(port: s.port)
            probe.send("GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            return header(probe.readToEnd(), "X-Backend") == home
        }
        #expect(back, "\(home) never took traffic again")
        // ...and check that this session still stays on its new home.
        for expected in 2...4 {
            let again = try Curl.run(["-b", jar.path, "-c", jar.path, url])
            #expect(Self.backendName(again.stdout) == newHome)
            #expect(Self.visits(again.stdout) == expected)
        }
    }

    /// Issue 18: 1,000 sessions on app1–app3; a reload that adds app4,
    /// re-weights app2 and re-orders the file moves none of them (each
    /// reaches its backend, with no new cookie). Removing app2 moves only
    /// app2's sessions, each with a new cookie. Against the demo app and
    /// against Python's http.server (`--name`: it says which one answered).
    @Test(arguments: [false, true])
    func aReloadMovesNoSessionButARemovedBackendsOwn(pythonServers: Bool) throws {
        var servers: [ExternalServer] = []
        defer { for s in servers { s.stop() } }
        var demos: [DemoBackendProcess] = []
        var backends: [(name: String, address: String)] = []
        for i in 1...4 {
            if pythonServers {
                servers.append(try ExternalServer.python("stdlib_http_server.py", ["--name", "app\(i)"]))
                backends.append(("app\(i)", servers[servers.count - 1].address))
            } else {
                demos.append(try DemoBackendProcess(name: "app\(i)"))
                backends.append(("app\(i)", demos[demos.count - 1].address))
            }
        }
        let port = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "reload-sticky.conf")
        func write(_ lines: [String]) throws {
            var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\naccess_log off\nworkers 2\nhash_secret \"\(Self.secret)\"\n"
            text += "health_check enabled=off\n" + lines.joined(separator: "\n") + "\n"
            try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        }
        func line(_ i: Int, _ extra: String = "") -> String { "backend \(backends[i].name) \(backends[i].address)\(extra)" }
        try write([line(0), line(1), line(2)])
        let tether = try TetherProcess(configFile: file.path)
        let client = try RawClient(port: tether.port)
        var sessions: [(cookie: String, home: String)] = []
        for _ in 0..<1000 {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let r = client.readResponses(1).first ?? ""
            let pair = try #require(header(r, "Set-Cookie")?.split(separator: ";").first)
            sessions.append((String(pair), try #require(header(r, "X-Backend"))))
        }
        #expect(Set(sessions.map(\.home)) == ["app1", "app2", "app3"])

        try write([line(2), line(3), line(1, " weight=3"), line(0)])
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #1"))
        var moved = 0
        for s in sessions {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: \(s.cookie)\r\n\r\n")
            let r = client.readResponses(1).first ?? ""
            if header(r, "X-Backend") != s.home || header(r, "Set-Cookie") != nil { moved += 1 }
        }
        #expect(moved == 0, "\(moved) of 1,000 sessions moved on a reload that kept their backends")

        try write([line(2), line(3), line(0)])
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #2"))
        for s in sessions {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: \(s.cookie)\r\n\r\n")
            let r = client.readResponses(1).first ?? ""
            let now = header(r, "X-Backend")
            if s.home == "app2" {
                #expect(now != "app2" && header(r, "Set-Cookie")?.hasPrefix("TETHER=") == true)
            } else {
                #expect(now == s.home && header(r, "Set-Cookie") == nil)
            }
        }
    }

    /// Issue 18: why affinity broke, by cause, each produced here and seen
    /// in `/stats` and `/metrics` (which promtool accepts).
    @Test func everyCauseOfABrokenAffinityIsCounted() throws {
        let backends = try (1...4).map { try DemoBackendProcess(name: "app\($0)", route: "node\($0)") }
        let port = try TestBackend.unusedPort()
        let admin = port + 1
        let file = TempFile(emptyNamed: "causes.conf")
        func write(_ count: Int) throws {
            var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(admin)\naccess_log off\nworkers 1\nhash_secret \"\(Self.secret)\"\n"
            text += "app_cookie JSESSIONID\nhealth_check enabled=off fall=1\n"
            for b in backends.prefix(count) { text += "backend \(b.name) \(b.address) route=\(b.route ?? "")\n" }
            try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        }
        try write(4)
        let tether = try TetherProcess(configFile: file.path)
        let client = try RawClient(port: tether.port)
        func get(_ cookie: String?) -> String {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\n" + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + "\r\n")
            return client.readResponses(1).first ?? ""
        }
        // One sealed session on each backend.
        var seal: [String: String] = [:]
        while seal.count < 4 {
            let r = get(nil)
            if let home = header(r, "X-Backend"), let pair = header(r, "Set-Cookie")?.split(separator: ";").first {
                seal[home] = String(pair)
            }
        }
        _ = get("TETHER=0123456789abcdef.node1.0123456789abcdef")  // forged
        _ = get("JSESSIONID=ABC123.node9")  // unknown route
        _ = try Curl.run(["-X", "POST", "http://127.0.0.1:\(admin)/backends/app1/maintenance"])
        #expect(header(get(seal["app1"]), "X-Backend") != "app1")  // maintenance
        backends[1].kill()
        #expect(header(get(seal["app2"]), "X-Backend") != "app2")  // refused, and down (fall=1)
        #expect(header(get(seal["app2"]), "X-Backend") != "app2")  // down
        try write(3)
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #1"))
        #expect(header(get(seal["app4"]), "X-Backend") != "app4")  // removed

        let st = try AdminTests.json(admin)
        var broken: [String: [String: Int]] = [:]
        for b in st["backends"] as? [[String: Any]] ?? [] {
            let sessions = b["sessions"] as? [String: Any] ?? [:]
            broken[b["name"] as? String ?? "?"] = sessions["broken"] as? [String: Int] ?? [:]
        }
        #expect(broken["app1"]?["maintenance"] == 1)
        #expect(broken["app2"]?["refused"] == 1)
        #expect(broken["app2"]?["down"] == 1)
        #expect(broken["app2"]?["total"] == 2, "the total beside the causes (the dashboard's and tether stats' column)")
        let landed = broken.values.reduce(into: [String: Int]()) { sum, b in for (k, v) in b where k != "total" { sum[k, default: 0] += v } }
        // Counted where those sessions landed (app4 is gone, with its counters).
        #expect(landed["forged"] == 1 && landed["unknown_route"] == 1 && landed["removed"] == 1, "\(broken)")
        #expect(broken["app4"] == nil)
        let metrics = try Curl.run(["http://127.0.0.1:\(admin)/metrics"]).stdout
        #expect(metrics.contains("tether_backend_affinity_broken_total{backend=\"app1\",cause=\"maintenance\"} 1\n"))
        #expect(metrics.contains("tether_backend_affinity_broken_total{backend=\"app2\",cause=\"down\"} 1\n"))
        let mfile = TempFile(emptyNamed: "causes-metrics.txt")
        try metrics.write(toFile: mfile.path, atomically: true, encoding: .utf8)
        let check = try Curl.shell("promtool check metrics < \(mfile.path) 2>&1; echo exit=$?")
        #expect(check.hasSuffix("exit=0"), "\(check)")
    }

    /// Issue 18, `app_cookie JSESSIONID prefix`: clients that return only
    /// the application's cookie (no `TETHER`) keep their server. 20 clients,
    /// 50 requests each: every one stays on one backend and its session
    /// counts on (`visits` 1…50: the backend, which looks sessions up by
    /// JSESSIONID, never saw the prefix). The same clients without
    /// `prefix` lose their sessions, which is what the mode is for.
    @Test func clientsReturningOnlyTheAppCookieKeepTheirServerWithPrefix() throws {
        for prefix in [true, false] {
            let s = try Self.setup(routes: false, extra: "app_cookie JSESSIONID" + (prefix ? " prefix" : "") + "\n")
            let (lost, _, values) = try Self.appCookieOnlyClients(port: s.port, path: "/")
            if prefix { #expect(values.allSatisfy { $0.contains("~") }, "not prefixed: \(values)") }
            if prefix {
                #expect(lost == 0, "\(lost) of 1,000 requests lost their session with prefix")
            } else {
                #expect(lost > 100, "without prefix only \(lost) of 1,000 lost theirs: the test proves nothing")
            }
        }
    }

    /// `max_idle` / `max_life`: the seal carries today's dates (the loop's
    /// clock), and the session sticks with it.
    @Test func datedSealsCarryTheClockAndStick() throws {
        let s = try Self.setup(extra: "sticky_cookie TETHER max_idle=1h max_life=24h\n")
        let client = try RawClient(port: s.port)
        client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let first = client.readResponses(1).first ?? ""
        let value = try #require(setCookie(first, "TETHER"))
        let parts = value.split(separator: ".")
        #expect(parts.count == 5, "\(value)")
        let now = Int(Date().timeIntervalSince1970)
        for date in parts.dropFirst(2).prefix(2) {
            #expect(abs((Int(date, radix: 16) ?? 0) - now) <= 5, "\(value) is not dated now")
        }
        for _ in 0..<5 {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: TETHER=\(value)\r\n\r\n")
            let r = client.readResponses(1).first ?? ""
            #expect(header(r, "X-Backend") == header(first, "X-Backend") && setCookie(r, "TETHER") == nil)
        }
    }

    /// A client that returns only its JSESSIONID is offered the sealed
    /// cookie once, not on every response (two SipHash runs and a header
    /// each, for a client that does not keep it); another session is
    /// offered its own, and a client that returns the seal is not offered again.
    /// Behind three of Python's http.server.
    @Test func theSealIsOfferedOncePerAppCookieSession() throws {
        let apps = try (1...3).map { try ExternalServer.python("stdlib_http_server.py", ["--name", "app\($0)"]) }
        defer { for a in apps { a.stop() } }
        let port = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "offers.conf")
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\naccess_log off\nworkers 1\nhash_secret \"\(Self.secret)\"\n"
        text += "health_check enabled=off\napp_cookie JSESSIONID\n"
        for (i, a) in apps.enumerated() { text += "backend app\(i + 1) \(a.address)\n" }
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        let client = try RawClient(port: tether.port)
        func offered(_ cookies: String) -> String? {
            client.send("GET /echo HTTP/1.1\r\nHost: t\r\nCookie: \(cookies)\r\n\r\n")
            return header(client.readResponses(1).first ?? "", "Set-Cookie")
        }
        let seal = try #require(offered("JSESSIONID=APPONE1")?.split(separator: ";").first.map(String.init))
        #expect(seal.hasPrefix("TETHER="))
        #expect(offered("JSESSIONID=APPONE1") == nil)
        #expect(offered("JSESSIONID=APPONE1") == nil)
        #expect(offered("JSESSIONID=APPTWO2")?.hasPrefix("TETHER=") == true, "another session gets its own offer")
        #expect(offered("JSESSIONID=APPONE1; \(seal)") == nil)
    }

    /// Issue 18: `pinned_estimate` counts distinct sessions, not requests.
    /// 300 clients that return only their JSESSIONID and 300 that keep
    /// Tether's cookie, 3 requests each: the backends' estimates add up to
    /// 600 within 5 % (a session gets the same seal on every response).
    @Test func pinnedEstimateCountsSessionsNotRequests() throws {
        let s = try Self.setup(routes: false, extra: "app_cookie JSESSIONID\n")
        let client = try RawClient(port: s.port)
        for k in 0..<300 {
            for _ in 0..<3 {
                client.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: JSESSIONID=APP\(k * 7919)X\r\n\r\n")
                _ = client.readResponses(1)
            }
        }
        for _ in 0..<300 {
            client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let pair = try #require(header(client.readResponses(1).first ?? "", "Set-Cookie")?.split(separator: ";").first)
            for _ in 0..<2 {
                client.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: \(pair)\r\n\r\n")
                _ = client.readResponses(1)
            }
        }
        let st = try AdminTests.json(s.port + 1)
        let pinned = (st["backends"] as? [[String: Any]] ?? []).reduce(0) { sum, b in
            sum + ((b["sessions"] as? [String: Any])?["pinned_estimate"] as? Int ?? 0)
        }
        #expect(abs(pinned - 600) <= 30, "pinned_estimate \(pinned) for 600 sessions (1,500 requests)")
    }

    /// Replicas with one configuration read each other's sealed cookies: a
    /// session begun on one Tether keeps its backend through the other.
    @Test func aSessionBegunOnOneReplicaKeepsItsBackendOnAnother() throws {
        let backends = try (1...3).map { try DemoBackendProcess(name: "app\($0)") }
        var replicas: [TetherProcess] = []
        var files: [TempFile] = []
        for _ in 0..<2 {
            let port = try TestBackend.unusedPort()
            let file = TempFile(emptyNamed: "twin.conf")
            try Self.config(port: port, backends: backends).write(toFile: file.path, atomically: true, encoding: .utf8)
            replicas.append(try TetherProcess(configFile: file.path))
            files.append(file)
        }
        let first = try RawClient(port: replicas[0].port)
        let second = try RawClient(port: replicas[1].port)
        var homes = Set<String>()
        for _ in 0..<60 {
            first.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let begun = first.readResponses(1).first ?? ""
            let home = try #require(header(begun, "X-Backend"))
            let pair = try #require(header(begun, "Set-Cookie")?.split(separator: ";").first)
            #expect(pair.hasPrefix("TETHER="))
            second.send("GET /health HTTP/1.1\r\nHost: t\r\nCookie: \(pair)\r\n\r\n")
            let then = second.readResponses(1).first ?? ""
            #expect(header(then, "X-Backend") == home)
            #expect(header(then, "Set-Cookie") == nil, "the other replica re-pinned a sealed session")
            homes.insert(home)
        }
        #expect(homes == ["app1", "app2", "app3"])
    }
}
