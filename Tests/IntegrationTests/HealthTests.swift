import Foundation
import Glibc
import Testing

/// A port that accepts connections (the kernel completes the handshake) but
/// never answers: a hung server.
final class SilentBackend {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 16) } }
        guard rc == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(16)
        withUnsafeMutablePointer(to: &addr) { _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    var address: String { "127.0.0.1:\(port)" }

    deinit { close(fd) }
}

/// Health checks, failover under load, drain, maintenance and backups, with
/// real demo-backend processes.
@Suite(.serialized) struct HealthTests {
    static let checks = "health_check interval=300ms timeout=200ms rise=2 fall=2\n"

    static func start(_ backends: [(name: String, address: String, options: String)], extra: String = "", flags: [String] = []) throws -> (TetherProcess, Int, TempFile) {
        let port = try TestBackend.unusedPort()
        var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(port + 1)\naccess_log off\nworkers 2\n"
        text += "hash_secret \"health-test-secret-0123456789\"\n" + checks + extra
        for b in backends { text += "backend \(b.name) \(b.address) \(b.options)\n" }
        let file = TempFile(emptyNamed: "health.conf")
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return (try TetherProcess(configFile: file.path, extra: flags), port, file)
    }

    static func demo(_ n: Int) throws -> [DemoBackendProcess] {
        try (1...n).map { try DemoBackendProcess(name: "app\($0)") }
    }

    @Test func killedBackendUnderLoadFailsNoGetAndIsMarkedDownThenUp() throws {
        let apps = try Self.demo(3)
        let (tether, port, _) = try Self.start(apps.map { ($0.name, $0.address, "") })
        let load = LoadGenerator(port: port, clients: 3, maxRequests: 100_000)
        load.start()
        #expect(load.waitForProgress(200))
        let killed = Date()
        apps[1].kill()
        #expect(tether.waitForStderr(containing: "backend app2 (\(apps[1].address)) is down"))
        let downAfter = Date().timeIntervalSince(killed)
        // fall × interval + timeout, plus one interval of slack for the check phase.
        #expect(downAfter < 2 * 0.3 + 0.2 + 0.3 + 0.2, "marked down after \(downAfter) s")
        #expect(load.waitForProgress(300))
        try apps[1].start()
        #expect(tether.waitForStderr(containing: "backend app2 (\(apps[1].address)) is up", after: "is down"))
        #expect(tether.stderr.contains("2 checks passed"))
        #expect(load.waitForProgress(200))
        let (sent, failed) = load.stop()
        #expect(failed == 0, "\(failed) of \(sent) GETs failed")
    }

    @Test func backendThatNeverAnswersIs504AndCountsAsAFailure() throws {
        let hung = try SilentBackend()
        // One loop: passive failures are counted per loop.
        let (tether, port, _) = try Self.start([("hung", hung.address, "check=off")], extra: "backend_timeout 300ms\nrouting balanced\n", flags: ["--workers", "1"])
        let started = Date()
        // curl gives up after 10 s: a 504 within that is the 300 ms backend_timeout's (the default is a minute).
        #expect(try Curl.status(["--max-time", "10", "http://127.0.0.1:\(port)/"]) == 504)
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(try Curl.status(["http://127.0.0.1:\(port)/"]) == 504)
        // fall = 2 data-path failures in a row: down at once.
        #expect(tether.waitForStderr(containing: "backend hung (\(hung.address)) is down: passive: 2 failures in a row, last: response timeout"))
    }

    @Test func allBackendsDownIs503WithRetryAfterAtOnce() throws {
        let apps = try Self.demo(2)
        let (tether, port, _) = try Self.start(apps.map { ($0.name, $0.address, "") })
        for a in apps { a.kill() }
        for a in apps { #expect(tether.waitForStderr(containing: "backend \(a.name) (\(a.address)) is down")) }
        let r = try Curl.run(["-D", "-", "http://127.0.0.1:\(port)/"])
        #expect(r.stdout.hasPrefix("HTTP/1.1 503"))
        #expect(header(r.stdout, "Retry-After") == "1")
        // At once: no backend was tried (none is up), so none counts a request or a failed connect.
        for b in try #require((try AdminTests.json(port + 1))["backends"] as? [[String: Any]]) {
            #expect(b["requests"] as? Int == 0 && b["retries"] as? Int == 0, "\(b)")
        }
    }

    @Test func postToABackendThatDiesIs502AndNotReplayed() throws {
        let a = try TestBackend(name: "a", mode: .dieAfterRequest)
        let b = try TestBackend(name: "b", mode: .dieAfterRequest)
        defer { a.stop(); b.stop() }
        let (tether, port, _) = try Self.start([("a", a.address, "check=off"), ("b", b.address, "check=off")], extra: "routing balanced\n")
        let post = try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "order=1", "http://127.0.0.1:\(port)/buy"])
        #expect(post.stdout == "502", "\(post) \(tether.stderr)")
        #expect(a.requests + b.requests == 1, "the POST was sent \(a.requests + b.requests) times")
        // An idempotent GET without a body may go to the other backend.
        #expect(try Curl.status(["http://127.0.0.1:\(port)/look"]) == 502)
        #expect(a.requests + b.requests == 3, "the GET was tried on both backends")
    }

    /// A session on app2, returned as the jar of its client.
    static func sessionOn(_ target: String, port: Int) throws -> TempFile {
        for _ in 0..<30 {
            let jar = TempFile(emptyNamed: "jar")
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(port)/"])
            if StickyRoutingTests.backendName(r.stdout) == target { return jar }
        }
        throw POSIXError(.ENOENT)
    }

    @Test func drainingKeepsExistingSessionsAndTakesNoNewOnes() throws {
        let apps = try Self.demo(3)
        let (tether, port, file) = try Self.start(apps.map { ($0.name, $0.address, "") })
        let jar = try Self.sessionOn("app2", port: port)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        try text.replacingOccurrences(of: "backend app2 \(apps[1].address) ", with: "backend app2 \(apps[1].address) drain")
            .write(toFile: file.path, atomically: true, encoding: .utf8)
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #1"))
        for _ in 0..<5 {
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) == "app2", "an existing session left the draining backend")
        }
        for _ in 0..<30 {
            let r = try Curl.run(["http://127.0.0.1:\(port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) != "app2", "a new client reached the draining backend")
        }
    }

    @Test func maintenanceTakesNothing() throws {
        let apps = try Self.demo(3)
        let (tether, port, file) = try Self.start(apps.map { ($0.name, $0.address, "") })
        let jar = try Self.sessionOn("app2", port: port)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        try text.replacingOccurrences(of: "backend app2 \(apps[1].address) ", with: "backend app2 \(apps[1].address) maintenance")
            .write(toFile: file.path, atomically: true, encoding: .utf8)
        tether.signal(SIGHUP)
        #expect(tether.waitForStderr(containing: "reload #1"))
        let moved = try Curl.run(["-D", "-", "-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(port)/"])
        #expect(StickyRoutingTests.backendName(moved.stdout) != "app2")
        #expect(setCookie(moved.stdout, "TETHER") != nil, "the session was re-pinned")
        for _ in 0..<20 {
            let r = try Curl.run(["-b", jar.path, "-c", jar.path, "http://127.0.0.1:\(port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) != "app2")
        }
    }

    @Test func backupOnlyWhenEveryPrimaryIsDown() throws {
        let apps = try Self.demo(3)
        let (tether, port, _) = try Self.start([
            (apps[0].name, apps[0].address, ""), (apps[1].name, apps[1].address, ""), (apps[2].name, apps[2].address, "backup"),
        ])
        for _ in 0..<20 {
            let r = try Curl.run(["http://127.0.0.1:\(port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) != "app3", "the backup took traffic while primaries were up")
        }
        apps[0].kill()
        apps[1].kill()
        #expect(tether.waitForStderr(containing: "backend app1 (\(apps[0].address)) is down"))
        #expect(tether.waitForStderr(containing: "backend app2 (\(apps[1].address)) is down"))
        for _ in 0..<5 {
            let r = try Curl.run(["http://127.0.0.1:\(port)/"])
            #expect(StickyRoutingTests.backendName(r.stdout) == "app3")
        }
    }
}
