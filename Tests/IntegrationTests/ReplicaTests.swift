import Foundation
import Testing

/// Several Tether replicas as an operator runs them behind an L4 balancer:
/// one `tether backend` call acts on all, `tether stats` shows them side by
/// side and summed, and the routing fingerprint says whether they agree.
/// Backends are Python's http.server.
@Suite(.serialized) struct ReplicaTests {
    static func replica(secret: String, backends: [ExternalServer]) throws -> ConfiguredTether {
        try ConfiguredTether { port, admin in
            var text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(admin) token=\"replica-admin-token\"\nworkers 1\naccess_log off\n"
            text += "health_check enabled=off\nhash_secret \"\(secret)\"\n"
            for (i, b) in backends.enumerated() { text += "backend app\(i + 1) \(b.address) route=n\(i + 1)\n" }
            return text
        }
    }

    static func adminState(_ r: ConfiguredTether, _ backend: String) throws -> String? {
        let stats = try AdminTests.json(r.admin, token: "replica-admin-token")
        let b = (stats["backends"] as? [[String: Any]])?.first { $0["name"] as? String == backend }
        return b?["admin_state"] as? String
    }

    @Test func oneCommandDrainsEveryReplicaAndStatsSumThem() throws {
        let apps = try (1...2).map { try ExternalServer.python("stdlib_http_server.py", ["--name", "py\($0)"]) }
        defer { apps.forEach { $0.stop() } }
        let secret = "replicas-share-this-secret-0123"
        let a = try Self.replica(secret: secret, backends: apps)
        let b = try Self.replica(secret: secret, backends: apps)
        for i in 0..<3 { try Curl.run(["http://127.0.0.1:\(a.port)/a\(i)"]) }
        for i in 0..<5 { try Curl.run(["http://127.0.0.1:\(b.port)/b\(i)"]) }

        // The fingerprint: what `tether check` prints is what both replicas report.
        let (checkStatus, check) = try ConfigFileTests().runTether(["check", "--config", a.file.path])
        #expect(checkStatus == 0)
        let fingerprint = String(check.split(separator: "\n").last?.split(separator: " ").last ?? "")
        #expect(fingerprint.count == 16)
        for r in [a, b] {
            let stats = try AdminTests.json(r.admin, token: "replica-admin-token")
            #expect((stats["routing"] as? [String: Any])?["fingerprint"] as? String == fingerprint)
        }

        let (status, table) = try ConfigFileTests().runTether(
            ["stats", "--admin", a.adminURL, "--admin", b.adminURL, "--token", "replica-admin-token"])
        #expect(status == 0, "\(table)")
        #expect(table.contains("2 replicas, one routing fingerprint (\(fingerprint))"))
        // Per backend: a row for each replica and one summed; requests add up to 3 + 5.
        let rows = table.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        let header = try #require(rows.first { $0.first == "backend" })
        let requests = try #require(header.firstIndex(of: "requests"))
        let sums = rows.filter { $0.count == header.count && $0[1] == "all" }.map { Int($0[requests]) ?? -1 }
        #expect(sums.count == 2)
        #expect(sums.reduce(0, +) == 8)

        // One drain call, both replicas; then enable.
        let (drained, said) = try ConfigFileTests().runTether(
            ["backend", "drain", "app2", "--admin", a.adminURL, "--admin", b.adminURL, "--token", "replica-admin-token"])
        #expect(drained == 0, "\(said)")
        #expect(said == "\(a.adminURL): app2 draining\n\(b.adminURL): app2 draining\n")
        #expect(try Self.adminState(a, "app2") == "draining")
        #expect(try Self.adminState(b, "app2") == "draining")
        let (enabled, _) = try ConfigFileTests().runTether(
            ["backend", "enable", "app2", "--admin", a.adminURL, "--admin", b.adminURL, "--token", "replica-admin-token"])
        #expect(enabled == 0)
        #expect(try Self.adminState(b, "app2") == "active")

        // One replica down, or a wrong name: each result said, exit 1.
        let dead = try TestBackend.unusedPort()
        let (partial, report) = try ConfigFileTests().runTether(
            ["backend", "maintenance", "app9", "--admin", a.adminURL, "--admin", "http://127.0.0.1:\(dead)", "--token", "replica-admin-token"])
        #expect(partial == 1)
        #expect(report.contains("\(a.adminURL): failed: 404 unknown backend app9"))
        #expect(report.contains("http://127.0.0.1:\(dead): failed: cannot connect to 127.0.0.1:\(dead)"))
        #expect(report.contains("tether backend: maintenance app9 failed on 2 of 2 replicas"))
    }

    @Test func aReplicaThatRoutesDifferentlyIsFlagged() throws {
        let apps = try (1...2).map { try ExternalServer.python("stdlib_http_server.py", ["--name", "py\($0)"]) }
        defer { apps.forEach { $0.stop() } }
        let a = try Self.replica(secret: "replicas-share-this-secret-0123", backends: apps)
        let b = try Self.replica(secret: "but-this-one-has-another-secret", backends: apps)
        let (status, table) = try ConfigFileTests().runTether(
            ["stats", "--admin", a.adminURL, "--admin", b.adminURL, "--token", "replica-admin-token"])
        #expect(status == 2)
        #expect(table.contains("WARNING: routing fingerprints differ"))
        #expect(!table.contains("replicas-share-this-secret") && !table.contains("another-secret"), "the secret is never printed")
    }

    /// `stop_delay`: a SIGTERM first fails `/healthz` (503) while requests
    /// are still served, so a balancer's checks move traffic first; then the
    /// graceful stop, and exit 0.
    @Test func aStoppingReplicaFailsItsHealthBeforeItStopsAccepting() throws {
        let app = try ExternalServer.python("stdlib_http_server.py", ["--name", "py"])
        defer { app.stop() }
        let r = try ConfiguredTether { port, admin in
            "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(admin)\nworkers 1\naccess_log off\nrouting balanced\nhealth_check enabled=off\nstop_delay 3s\nbackend py \(app.address)\n"
        }
        #expect(try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(r.adminURL)/healthz"]).stdout == "200")
        r.tether.signal(SIGTERM)
        #expect(r.tether.waitForStderr(containing: "/healthz answers 503 for stop_delay 3s"))
        #expect(try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(r.adminURL)/healthz"]).stdout == "503")
        #expect(try Curl.run(["\(r.url)/header/Host"]).stdout == "127.0.0.1:\(r.port)", "still serving during the delay")
        #expect(r.tether.waitForExit(timeout: 15) == 0)
        #expect(r.tether.waitForStderr(containing: "stopped"))
    }
}
