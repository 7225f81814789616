import Foundation
import Testing

@testable import Stats

/// The stats table drives `/stats`, `/metrics`, `tether stats`, the
/// dashboard and docs/ADMIN.md: these check the table is whole and that
/// each output says what the counters hold.
@Suite struct StatsTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A snapshot whose every backend counter holds a different number.
    static func snapshot() -> StatsSnapshot {
        var traffic = BackendLoopStats()
        for c in BackendCounter.allCases { traffic.counters[c] = 1000 + c.rawValue }
        traffic.latency.record(nanos: 3_000_000)
        var listener = Counters<ListenerCounter>()
        for c in ListenerCounter.allCases { listener[c] = 50 + c.rawValue }
        let backend = StatsSnapshot.Backend(
            name: "app1", address: "127.0.0.1:9001", weight: 2, route: "node1", backup: false, state: "draining",
            healthUp: true, adminState: "draining", since: 17,
            lastCheck: CheckResult(ok: true, status: 200, latencyMillis: 0.5, detail: "ok", at: 16),
            checkHistory: [CheckResult(ok: false, status: 0, latencyMillis: 0, detail: "refused", at: 15)], checksEnabled: true,
            activeConnections: 3, idleConnections: 4, maxConns: 5, queued: 6, traffic: traffic, sessionsPinned: 7,
            rate1s: 8, rate10s: 9.5, rate60s: 10)
        var rejected = Counters<LocalAnswer>()
        rejected[.badHost] = 17
        rejected[.noBackend] = 18
        return StatsSnapshot(
            version: "9.9.9", uptimeSeconds: 11, loops: 2, routingMode: "sticky", balance: "round_robin", connectionsCurrent: 12,
            connectionsTotal: 13, connectionsIdle: 14, spareExchanges: 15,
            listeners: [
                StatsSnapshot.Listener(address: "127.0.0.1:8080", tls: false, counters: listener),
                StatsSnapshot.Listener(address: "127.0.0.1:8443", tls: true, counters: listener),
            ],
            requests: 16, rejected: rejected, redirects: 19, reloads: 20, reloadFailures: 21, lastReloadError: "proxy.conf:1:1: x",
            store: StoreStatus(url: "redis://127.0.0.1:6379"), backends: [backend])
    }

    static func json(_ s: StatsSnapshot) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(StatsJSON.render(s).utf8)) as? [String: Any])
    }

    @Test func everyBackendCounterIsInStatsAndMetrics() throws {
        let s = Self.snapshot()
        let b = try #require((try Self.json(s)["backends"] as? [[String: Any]])?.first)
        let metrics = PrometheusText.render(s)
        for c in BackendCounter.allCases {
            let reads = StatsFields.backend.filter { f in
                if case .int(let v) = f.value(s.backends[0]), v == 1000 + c.rawValue { return true }
                return false
            }
            #expect(!reads.isEmpty, "\(c) has no row in StatsFields.backend")
            for f in reads {
                if let path = f.path {
                    #expect(StatsCommandPath.value(b, path) as? Int == 1000 + c.rawValue, "/stats \(path)")
                }
                if let m = f.metric {
                    // The whole sample line: this family, this backend's labels, this value.
                    let labels = f.labels(s.backends[0]).map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
                    let line = "\n\(m){\(labels)} \(1000 + c.rawValue)\n"
                    #expect(metrics.contains(line), "/metrics has no \(line)")
                }
            }
        }
    }

    @Test func statsKeepsItsSchema() throws {
        let j = try Self.json(Self.snapshot())
        #expect(j["version"] as? String == "9.9.9")
        #expect((j["routing"] as? [String: Any])?["mode"] as? String == "sticky")
        let conns = try #require(j["connections"] as? [String: Any])
        #expect(conns["current"] as? Int == 12 && conns["total"] as? Int == 13 && conns["idle"] as? Int == 14)
        let listeners = try #require(conns["listeners"] as? [[String: Any]])
        #expect(listeners.count == 2)
        #expect(listeners[0]["tls_handshakes"] == nil, "a plain listener has no handshake counts")
        #expect((listeners[1]["tls_handshakes"] as? [String: Any])?["resumed"] as? Int == 50 + ListenerCounter.tlsResumed.rawValue)
        let rejected = try #require(j["rejected"] as? [String: Any])
        #expect(rejected["bad_host"] as? Int == 17 && rejected["no_backend"] as? Int == 18 && rejected["total"] as? Int == 35)
        #expect(rejected.count == LocalAnswer.allCases.count + 1, "one key per cause, and the total")
        #expect(j["redirects"] as? Int == 19)
        #expect((j["session_store"] as? [String: Any])?["state"] as? String == "unknown")
        let b = try #require((j["backends"] as? [[String: Any]])?.first)
        #expect(b["state"] as? String == "draining")
        let check = try #require(b["check"] as? [String: Any])
        #expect((check["last"] as? [String: Any])?["detail"] as? String == "ok")
        #expect((check["history"] as? [[String: Any]])?.first?["detail"] as? String == "refused")
        #expect((b["connections"] as? [String: Any])?["max_conns"] as? Int == 5)
        #expect((b["rate"] as? [String: Any])?["10s"] as? Double == 9.5)
        #expect((b["latency_ms"] as? [String: Any])?["p50"] as? Double == 5)
    }

    @Test func metricsFamiliesAreWholeAndTyped() {
        let text = PrometheusText.render(Self.snapshot())
        var seen: [String] = []
        var current = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                current = String(line.split(separator: " ")[2])
                #expect(!seen.contains(current), "\(current) written twice")
                seen.append(current)
            } else if !line.hasPrefix("#") {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(name == current || name.hasPrefix(current + "_"), "\(name) outside its family \(current)")
            }
        }
        #expect(text.contains("tether_build_info{version=\"9.9.9\"} 1\n"))
        #expect(text.contains("tether_backend_state{backend=\"app1\",state=\"draining\"} 1\n"))
        #expect(text.contains("tether_backend_state{backend=\"app1\",state=\"up\"} 0\n"))
        #expect(text.contains("tether_tls_handshakes_total{listener=\"127.0.0.1:8443\",result=\"failed\"} \(50 + ListenerCounter.tlsFailed.rawValue)\n"))
        #expect(!text.contains("tether_tls_handshakes_total{listener=\"127.0.0.1:8080\""), "a plain listener has no handshake counts")
        #expect(text.contains("tether_session_store_up{store=\"redis://127.0.0.1:6379\"} 0\n"))
        #expect(text.contains("tether_backend_response_seconds_count{backend=\"app1\"} 1\n"))
        #expect(text.contains("# TYPE tether_backend_response_seconds histogram\n"))
    }

    /// `/stats` objects are written in one piece: fields sharing a parent sit together in the table.
    @Test func nestedObjectsAreContiguous() {
        func check<S>(_ fields: [StatsField<S>], _ name: String) {
            var closed: Set<String> = []
            var open = ""
            for f in fields {
                guard let path = f.path else { continue }  // /metrics only: not in /stats
                guard path.count > 1 else {
                    if !open.isEmpty { closed.insert(open) }
                    open = ""
                    continue
                }
                let parent = path.dropLast().joined(separator: ".")
                if parent != open {
                    #expect(!closed.contains(parent), "\(name): \(parent) opened twice")
                    if !open.isEmpty { closed.insert(open) }
                    open = parent
                }
            }
        }
        check(StatsFields.global, "global")
        check(StatsFields.listener, "listener")
        check(StatsFields.backend, "backend")
    }

    @Test func adminDocIsCurrent() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/ADMIN.md"), encoding: .utf8)
        #expect(doc.contains(StatsReference.markdown()), "docs/ADMIN.md is stale: replace its stats-reference section with `tether stats-reference`")
    }
}

/// A path lookup in parsed JSON, as `tether stats` does it.
enum StatsCommandPath {
    static func value(_ object: [String: Any], _ path: [String]) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}
