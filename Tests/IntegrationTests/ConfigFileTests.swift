import Foundation
import Glibc
import Testing

/// `tether check`, `tether run --config` and reloading on SIGHUP.
@Suite(.serialized) struct ConfigFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func runTether(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = TetherProcess.binary
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func checkAcceptsTheExample() throws {
        let (status, output) = try runTether(["check", "--config", Self.root.appendingPathComponent("proxy.conf.example").path])
        #expect(status == 0)
        // Then the routing fingerprint: 16 hex digits, the same on every replica with this file.
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "configuration ok" && lines[1].hasPrefix("routing fingerprint "), "\(output)")
        #expect(lines.last.map { $0.dropFirst("routing fingerprint ".count).count == 16 && $0.suffix(16).allSatisfy(\.isHexDigit) } == true)
    }

    @Test func checkListsEveryErrorAndFails() throws {
        let file = TempFile(emptyNamed: "bad.conf")
        try "listen 127.0.0.1:8080\nheatlh_check path=/\nbackend a 127.0.0.1:99999\nrouting balanced\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let (status, output) = try runTether(["check", "--config", file.path])
        #expect(status == 1)
        #expect(output.contains("\(file.path):2:1: unknown directive \"heatlh_check\" (did you mean \"health_check\"?)"))
        #expect(output.contains("\(file.path):3:11: backend: port 99999"))
        #expect(output.contains("2 errors"))
    }

    /// An admin endpoint that other hosts reach needs a token: `tether
    /// check` names the line, and the command line's `--admin` is held to
    /// the same rule (one line, exit 1).
    @Test func checkRefusesAPublicAdminWithoutAToken() throws {
        let file = TempFile(emptyNamed: "public-admin.conf")
        try "listen 127.0.0.1:8080\nadmin 0.0.0.0:9090\nbackend a 127.0.0.1:9001\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let (status, output) = try runTether(["check", "--config", file.path])
        #expect(status == 1)
        #expect(output.contains("\(file.path):2:1: admin 0.0.0.0:9090 can be reached from other hosts and has no token"))
        try "listen 127.0.0.1:8080\nadmin 0.0.0.0:9090 insecure\nrouting balanced\nbackend a 127.0.0.1:9001\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        let (okStatus, okOutput) = try runTether(["check", "--config", file.path])
        #expect(okStatus == 0 && okOutput.hasPrefix("configuration ok\nrouting fingerprint "))
        let (cliStatus, cliOutput) = try runTether(["run", "--listen", "127.0.0.1:9", "--backend", "127.0.0.1:9", "--admin", "0.0.0.0:9"])
        #expect(cliStatus == 1)
        #expect(cliOutput.hasPrefix("tether: ") && cliOutput.contains("admin 0.0.0.0:9 can be reached from other hosts and has no token"))
        #expect(cliOutput.split(separator: "\n").count == 1, "\(cliOutput)")
    }

    /// Issue 19: start-up says, with a timestamp, what listens (and whether
    /// it is TLS), how it routes, to which backends, and where the admin is.
    @Test func startUpLinesSayWhatRuns() throws {
        let port = try TestBackend.unusedPort()
        let redirect = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "startup.conf")
        try """
            listen 127.0.0.1:\(port)
            listen 127.0.0.1:\(redirect) redirect_https
            admin 127.0.0.1:\(port + 1) token="startup-token-123"
            hash_secret "startup-secret-0123456789"
            app_cookie JSESSIONID prefix
            backend app1 127.0.0.1:9001 route=n1
            backend app2 127.0.0.1:9002 weight=3 backup
            """.write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        #expect(tether.waitForStderr(containing: "admin endpoint on"))
        let stamp = #"tether: \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "#
        let lines = tether.stderr.split(separator: "\n").map(String.init)
        for expected in [
            "listeners: 127.0.0.1:\(port) (plain), 127.0.0.1:\(redirect) (redirect to https)",
            "routing sticky (round_robin), cookie TETHER, app_cookie JSESSIONID prefix",
            "backends: app1 127.0.0.1:9001 route=n1, app2 127.0.0.1:9002 weight=3 backup",
            "admin endpoint on http://127.0.0.1:\(port + 1)/ (token required)",
        ] {
            #expect(lines.contains { $0.contains(try! Regex(stamp)) && $0.hasSuffix(expected) }, "no line ending \(expected): \(lines)")
        }
    }

    @Test func missingFileIsOneLineAndExit1() throws {
        let (status, output) = try runTether(["run", "--config", "/nonexistent/proxy.conf"])
        #expect(status == 1)
        #expect(output == "/nonexistent/proxy.conf: cannot read configuration: No such file or directory\n")
    }

    @Test func portInUseIsOneLineAndExit1() throws {
        let busy = try TestBackend()
        defer { busy.stop() }
        let (status, output) = try runTether(["run", "--listen", busy.address, "--backend", "127.0.0.1:9"])
        #expect(status == 1)
        #expect(output == "tether: bind \(busy.address): Address already in use\n")
    }

    /// Tether started from a configuration file listing `backends`; rewrite
    /// the file (`config`) and send SIGHUP to reload it.
    static func startFromFile(_ backends: [TestBackend]) throws -> (TetherProcess, Int, TempFile) {
        let port = try TestBackend.unusedPort()
        let file = TempFile(emptyNamed: "proxy.conf")
        try config(port: port, backends: backends).write(toFile: file.path, atomically: true, encoding: .utf8)
        return (try TetherProcess(configFile: file.path), port, file)
    }

    /// Writes a config with `backends` and returns its text.
    static func config(port: Int, backends: [TestBackend]) -> String {
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\nrouting balanced\naccess_log off\nworkers 2\nhealth_check enabled=off\n"
        for b in backends { text += "backend \(b.name) \(b.address)\n" }
        return text
    }

    /// Log rotation as logrotate does it: rename the file, `SIGUSR1`; the
    /// next lines go to a new file under the configured path, none lost.
    @Test func sigusr1ReopensTheAccessLogAfterRotation() throws {
        let app = try TestBackend(name: "app")
        defer { app.stop() }
        let port = try TestBackend.unusedPort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tether-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("access.log").path
        let file = TempFile(emptyNamed: "rotate.conf")
        try "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\nrouting balanced\naccess_log \(log)\nworkers 2\nhealth_check enabled=off\nbackend app \(app.address)\n"
            .write(toFile: file.path, atomically: true, encoding: .utf8)
        let tether = try TetherProcess(configFile: file.path)
        func lines(_ path: String) -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        #expect(try Curl.status(["http://127.0.0.1:\(port)/before"]) == 200)
        #expect(Await.until { lines(log).count == 1 })
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        tether.signal(SIGUSR1)
        #expect(tether.waitForStderr(containing: "SIGUSR1: access log reopened"))
        #expect(try Curl.status(["http://127.0.0.1:\(port)/after"]) == 200)
        #expect(Await.until { lines(log).count == 1 })
        #expect(lines(log).first?.contains("\"GET /after HTTP/1.1\" 200") == true, "\(lines(log))")
        #expect(lines(log + ".1").count == 1 && lines(log + ".1")[0].contains("\"GET /before HTTP/1.1\" 200"))
        #expect(lines(log).first?.range(of: #"^127\.0\.0\.1 \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "#, options: .regularExpression) != nil,
                "UTC to the millisecond: \(lines(log))")
        #expect(!tether.stderr.contains("reload"), "a reopen is not a reload")
    }

    /// A request in flight during a reload finishes on its own snapshot and
    /// still counts for its backend when the reload kept it (it used to be
    /// counted as one of Tether's own answers).
    @Test func aRequestAcrossAReloadCountsForItsBackend() throws {
        let kept = try TestBackend(name: "kept")
        let added = try TestBackend(name: "added")
        defer { kept.stop(); added.stop() }
        let (tether, port, file) = try Self.startFromFile([kept])
        let inFlight = LimitsTests.inBackground(1, "http://127.0.0.1:\(port)/held")
        #expect(kept.waitUntilHolding(1))
        // The new configuration numbers the kept backend differently.
        try Self.config(port: port, backends: [added, kept]).write(toFile: file.path, atomically: true, encoding: .utf8)
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #1"))
        kept.release()
        #expect(inFlight().map(\.0) == [200])
        let stats = try AdminTests.json(port + 1)
        let backends = try #require(stats["backends"] as? [[String: Any]])
        #expect(backends.first { $0["name"] as? String == "kept" }?["requests"] as? Int == 1)
        #expect(backends.first { $0["name"] as? String == "added" }?["requests"] as? Int == 0)
        #expect((stats["rejected"] as? [String: Any])?["total"] as? Int == 0)
        #expect(stats["requests"] as? Int == 1)
    }

    @Test func reloadsUnderLoadWithoutFailingARequest() throws {
        let backends = try (0..<4).map { try TestBackend(name: "r\($0)") }
        defer { for b in backends { b.stop() } }
        let sets: [[Int]] = [[0, 1], [1, 2], [2, 3], [0], [0, 1, 2, 3], [3], [1, 3], [0, 2], [2], [1, 2]]
        let (tether, port, file) = try Self.startFromFile([backends[0]])

        let load = LoadGenerator(port: port, clients: 3, maxRequests: 6000)
        load.start()
        for (i, set) in sets.enumerated() {
            // Let traffic flow on the current configuration before changing it.
            #expect(load.waitForProgress(100), "load stalled before reload \(i + 1)")
            try Self.config(port: port, backends: set.map { backends[$0] }).write(toFile: file.path, atomically: true, encoding: .utf8)
            tether.signal(SIGHUP)
            #expect(tether.waitForStderr(containing: "reload #\(i + 1)"), "reload \(i + 1) not confirmed: \(tether.stderr)")
        }
        let (sent, failed) = load.stop()
        #expect(sent >= 1000, "only \(sent) requests during the reloads")
        #expect(failed == 0, "\(failed) of \(sent) requests failed")

        // After the last reload, traffic reaches exactly the new set.
        let before = backends.map(\.requests)
        let after = LoadGenerator(port: port, clients: 2, maxRequests: 200)
        after.start()
        let (n, f) = after.waitUntilDone()
        #expect(n == 200 && f == 0)
        let delta = zip(backends.map(\.requests), before).map { $0 - $1 }
        #expect(delta[0] == 0 && delta[3] == 0, "removed backends got \(delta)")
        #expect(delta[1] > 0 && delta[2] > 0, "new backends got \(delta)")
    }

    @Test func invalidReloadKeepsTheRunningConfiguration() throws {
        let a = try TestBackend(name: "keep")
        let b = try TestBackend(name: "never")
        defer { a.stop(); b.stop() }
        let (tether, port, file) = try Self.startFromFile([a])
        try (Self.config(port: port, backends: [b]) + "backend_timeout forever\n").write(toFile: file.path, atomically: true, encoding: .utf8)
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "still running the previous configuration"))
        #expect(tether.stderr.contains("reload failed: \(file.path):8:17: backend_timeout: \"forever\" is not a duration"))
        let r = try Curl.run((0..<6).map { "http://127.0.0.1:\(port)/x\($0)" })
        #expect(r.stdout.components(separatedBy: "ok keep").count - 1 == 6)
        #expect(b.requests == 0)
    }
}

/// Keep-alive clients sending GETs one after another until stopped (or a
/// bound is reached), counting failures: anything but a complete 200.
final class LoadGenerator: @unchecked Sendable {
    let port: Int
    let clients: Int
    let maxRequests: Int
    private let lock = NSLock()
    private var sent = 0
    private var failed = 0
    private var stopping = false
    private let done = DispatchGroup()
    private let progress = NSCondition()
    private var completed = 0

    init(port: Int, clients: Int, maxRequests: Int) {
        self.port = port
        self.clients = clients
        self.maxRequests = maxRequests
    }

    func start() {
        for c in 0..<clients {
            done.enter()
            Thread { [self] in
                defer { done.leave() }
                while true {
                    guard let client = try? RawClient(port: port) else {
                        record(ok: false)
                        return
                    }
                    // 20 requests per connection, then a new connection.
                    for i in 0..<20 {
                        guard claim() else { return }
                        client.send("GET /c\(c)-\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
                        let r = client.readResponses(1)
                        record(ok: r.count == 1 && r[0].hasPrefix("HTTP/1.1 200"))
                    }
                }
            }.start()
        }
    }

    private func claim() -> Bool {
        lock.withLock {
            if stopping || sent >= maxRequests { return false }
            sent += 1
            return true
        }
    }

    private func record(ok: Bool) {
        if !ok { lock.withLock { failed += 1 } }
        progress.lock()
        completed += 1
        progress.broadcast()
        progress.unlock()
    }

    /// Waits until `n` more requests have completed (or 20 s pass).
    func waitForProgress(_ n: Int) -> Bool {
        progress.lock()
        defer { progress.unlock() }
        let target = completed + n
        let deadline = Date().addingTimeInterval(20)
        while completed < target {
            if !progress.wait(until: deadline) { return false }
        }
        return true
    }

    func stop() -> (Int, Int) {
        lock.withLock { stopping = true }
        return waitUntilDone()
    }

    func waitUntilDone() -> (Int, Int) {
        done.wait()
        return lock.withLock { (sent, failed) }
    }
}
