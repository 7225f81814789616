import Config
import HTTP1
import Testing

@testable import Routing

/// The router on byte buffers: no sockets, no loops. What the proxy asks per
/// request (`route`) and after a failure (`failover`), against an
/// eligibility the tests set.
@Suite struct RouterTests {
    static func config(_ extra: String, backends: String = "backend app1 127.0.0.1:9001 route=node1\nbackend app2 127.0.0.1:9002 route=node2\nbackend app3 127.0.0.1:9003 route=node3\n") throws -> ProxyConfig {
        let text = "listen 127.0.0.1:8080\nhash_secret \"router-test-secret-0123456789\"\n" + extra + backends
        return try ConfigParser.parse(text, file: "proxy.conf").get()
    }

    /// Parses `cookie` into a request head and routes it.
    static func route(_ router: inout Router, cookie: String? = nil, _ view: Router.View) -> Router.Decision? {
        let bytes = Array(("GET / HTTP/1.1\r\nHost: t\r\n" + (cookie.map { "Cookie: \($0)\r\n" } ?? "") + "\r\n").utf8)
        var parser = RequestParser()
        var head = RequestHead()
        return bytes.withUnsafeBufferPointer { buf -> Router.Decision? in
            guard case .complete = parser.parse(buf, start: 0, end: buf.count, into: &head) else { return nil }
            return router.route(buf, head, view)
        }
    }

    static func view(_ n: Int = 3, existing: [Bool]? = nil, new: [Bool]? = nil, load: [Int]? = nil, ramp: [Double]? = nil) -> Router.View {
        let load = load ?? Array(repeating: 0, count: n)
        return Router.View(
            existingOK: existing ?? Array(repeating: true, count: n), newOK: new ?? Array(repeating: true, count: n),
            load: load, totalLoad: load.reduce(0, +), ramp: ramp ?? Array(repeating: 1, count: n))
    }

    /// The affinity cookie value the router issues for a session on `target`.
    static func mint(_ router: inout Router, for target: Int, seed: UInt64? = nil) -> String {
        var value: [UInt8] = []
        router.sealCookie(for: target, seed: seed, into: &value)
        return String(decoding: value, as: UTF8.self)
    }

    @Test func balancedModeRoundRobinsOverUsableBackends() throws {
        var r = Router(config: try Self.config("routing balanced\n"), loopIndex: 0)
        let picks = (0..<6).compactMap { _ in Self.route(&r, cookie: "TETHER=whatever", Self.view(new: [true, false, true]))?.backend }
        #expect(picks.count == 6)
        #expect(Set(picks) == [0, 2], "app2 takes no new requests: \(picks)")
        #expect(picks.filter { $0 == 0 }.count == 3)
        #expect(Self.route(&r, Self.view())?.issueCookie == false, "no affinity cookie when balanced")
    }

    @Test func aNewSessionGetsACookieThatLeadsBackToItsBackend() throws {
        var r = Router(config: try Self.config("routing sticky\n"), loopIndex: 0)
        let first = try #require(Self.route(&r, Self.view()))
        #expect(first.reason == .newSession && first.issueCookie && first.keyHash == nil)
        let key = Self.mint(&r, for: first.backend)
        #expect(key.count == 16 + 1 + 5 + 1 + 16, "NONCE.node?.TAG: \(key)")
        for _ in 0..<5 {
            let again = try #require(Self.route(&r, cookie: "TETHER=\(key)", Self.view()))
            #expect(again.backend == first.backend)
            #expect(again.reason == .affinityCookie && !again.issueCookie && !again.failedOver)
        }
    }

    @Test func aDownHomeFailsOverAndTheNewHomeIsPinned() throws {
        var r = Router(config: try Self.config("routing sticky\n"), loopIndex: 0)
        let key = Self.mint(&r, for: 1)
        let moved = try #require(Self.route(&r, cookie: "TETHER=\(key)", Self.view(existing: [true, false, true], new: [true, false, true])))
        #expect(moved.backend != 1)
        #expect(moved.failedOver && moved.issueCookie, "a new cookie pins the new home")
        // The same key keeps going to the same place while its home is down.
        #expect(Self.route(&r, cookie: "TETHER=\(key)", Self.view(existing: [true, false, true]))?.backend == moved.backend)
        // A draining home keeps its sessions.
        #expect(Self.route(&r, cookie: "TETHER=\(key)", Self.view(new: [true, false, true]))?.backend == 1)
    }

    @Test func aJvmRouteSuffixNamesTheBackend() throws {
        var r = Router(config: try Self.config("routing sticky\napp_cookie JSESSIONID\n"), loopIndex: 0)
        let d = try #require(Self.route(&r, cookie: "JSESSIONID=ABC123.node3", Self.view()))
        #expect(d.backend == 2 && d.reason == .route && !d.issueCookie)
        // The route's backend is down: hashed like any key, and pinned by Tether's cookie.
        let down = try #require(Self.route(&r, cookie: "JSESSIONID=ABC123.node3", Self.view(existing: [true, true, false])))
        #expect(down.backend != 2 && down.reason == .appCookie && down.issueCookie)
        // A suffix no backend has is flagged (counted as unknown_route) and hashed.
        let unknown = try #require(Self.route(&r, cookie: "JSESSIONID=ABC123.node9", Self.view()))
        #expect(unknown.unknownRoute && unknown.reason == .appCookie)
        #expect(Self.route(&r, cookie: "JSESSIONID=ABC123.node3", Self.view())?.unknownRoute == false)
        // No suffix: the app's session id is hashed, and Tether's cookie issued alongside.
        let plain = try #require(Self.route(&r, cookie: "JSESSIONID=ABC123", Self.view()))
        #expect(plain.reason == .appCookie && plain.issueCookie && plain.keyHash != nil)
        #expect(Self.route(&r, cookie: "JSESSIONID=ABC123", Self.view())?.backend == plain.backend)
    }

    @Test func boundedLoadSkipsABackendFarAboveTheAverage() throws {
        var r = Router(config: try Self.config("routing sticky\nbounded_load 0.25\n"), loopIndex: 0)
        let picks = (0..<9).compactMap { _ in Self.route(&r, Self.view(load: [30, 0, 0]))?.backend }
        #expect(picks.count == 9 && !picks.contains(0), "\(picks)")
    }

    @Test func slowStartAtZeroTakesNoNewSessions() throws {
        var r = Router(config: try Self.config("routing sticky\n"), loopIndex: 0)
        let picks = (0..<30).compactMap { _ in Self.route(&r, Self.view(ramp: [1, 0, 1]))?.backend }
        #expect(picks.count == 30 && !picks.contains(1))
    }

    @Test func failoverNeverRetriesATriedBackend() throws {
        var r = Router(config: try Self.config("routing sticky\n"), loopIndex: 0)
        let key = Self.mint(&r, for: 0)
        let h = try #require(Self.route(&r, cookie: "TETHER=\(key)", Self.view())?.keyHash)
        let next = r.failover(keyHash: h, tried: [0], Self.view()) ?? -1
        #expect(next == 1 || next == 2)
        let last = r.failover(keyHash: h, tried: [0, next], Self.view()) ?? -1
        #expect(last == 3 - next)
        let none = r.failover(keyHash: h, tried: [0, 1, 2], Self.view())
        #expect(none == nil)
        let anyOther = r.failover(keyHash: nil, tried: [0, 1], Self.view())
        #expect(anyOther == 2, "no key: any untried backend")
    }

    @Test func nothingUsableIsNil() throws {
        var r = Router(config: try Self.config("routing sticky\n"), loopIndex: 0)
        #expect(Self.route(&r, Self.view(existing: [false, false, false], new: [false, false, false])) == nil)
    }

    @Test func storeDownSwitchesToStickyOnlyWhenConfigured() throws {
        var sticky = Router(config: try Self.config("session_store redis://127.0.0.1:6379 on_down=sticky\n"), loopIndex: 0)
        #expect(sticky.mode == .balanced)
        sticky.storeStateChanged(up: false)
        #expect(sticky.mode == .sticky)
        #expect(Self.route(&sticky, Self.view())?.issueCookie == true)
        sticky.storeStateChanged(up: true)
        #expect(sticky.mode == .balanced)
        var balance = Router(config: try Self.config("session_store redis://127.0.0.1:6379 on_down=balance\n"), loopIndex: 0)
        balance.storeStateChanged(up: false)
        #expect(balance.mode == .balanced)
    }
}

/// Issue 18's fix: a session that has to leave its backend is a new session
/// wherever it lands, and a draining backend takes no new sessions.
@Suite struct DrainingFailoverTests {
    @Test func aSessionLeavingItsBackendNeverLandsOnADrainingOne() throws {
        var r = Router(config: try RouterTests.config("routing sticky\n"), loopIndex: 0)
        // app1 draining (existing only), app3 down: app3's sessions go to app2.
        let view = RouterTests.view(existing: [true, true, false], new: [false, true, false])
        var moved = 0
        for _ in 0..<60 {
            let key = RouterTests.mint(&r, for: 2)
            let d = try #require(RouterTests.route(&r, cookie: "TETHER=\(key)", view))
            #expect(d.backend == 1, "a session of the dead app3 landed on \(d.backend)")
            #expect(d.failedOver && d.issueCookie)
            moved += 1
        }
        #expect(moved == 60)
        // The draining backend keeps its own sessions.
        let own = RouterTests.mint(&r, for: 0)
        #expect(RouterTests.route(&r, cookie: "TETHER=\(own)", view)?.backend == 0)
    }

    @Test func aRefusedConnectionFailsOverPastDrainingBackends() throws {
        var r = Router(config: try RouterTests.config("routing sticky\n"), loopIndex: 0)
        let view = RouterTests.view(existing: [true, true, true], new: [false, true, true])
        for _ in 0..<30 {
            let key = RouterTests.mint(&r, for: 2)
            let h = key.utf8.withContiguousStorageIfAvailable { r.ring.keyHash($0) }!
            #expect(r.failover(keyHash: h, tried: [2], view) == 1, "retried onto the draining app1")
        }
    }
}

/// Issue 18: a backup is nobody's home. Hashed sessions belong to the
/// first primary of their order, so while primaries are up none of them
/// "fails over" from a backup (and gets a cookie and a failover count for it).
@Suite struct BackupOutsideTheHashTests {
    @Test func hashedSessionsNeverBelongToABackup() throws {
        let backends = "backend app1 127.0.0.1:9001\nbackend app2 127.0.0.1:9002\nbackend spare 127.0.0.1:9009 backup\n"
        var r = Router(config: try RouterTests.config("routing sticky\napp_cookie JSESSIONID\n", backends: backends), loopIndex: 0)
        var status = [BackendStatus(backup: false, adminState: .active), BackendStatus(backup: false, adminState: .active),
                      BackendStatus(backup: true, adminState: .active)]
        var view = Router.View(count: 3)
        view.refreshEligibility(status, slowStart: 0, now: 0)
        for k in 0..<1000 {
            let d = try #require(RouterTests.route(&r, cookie: "JSESSIONID=S\(k)", view))
            #expect(d.backend != 2 && !d.failedOver && d.home != 2, "session \(k)")
        }
        // Every primary down: the backup serves, and those sessions moved.
        status[0].healthUp = false
        status[1].healthUp = false
        view.refreshEligibility(status, slowStart: 0, now: 0)
        let d = try #require(RouterTests.route(&r, cookie: "JSESSIONID=S1", view))
        #expect(d.backend == 2 && d.failedOver && d.home != 2)
    }
}

/// Sealed affinity cookies (issue 18): the value names the backend, so no
/// change to the *other* backends moves a session, and a value that is not a
/// seal of this secret is a new session (issue 21: no system call per value).
@Suite struct AffinitySealTests {
    static let three = "backend app1 127.0.0.1:9001\nbackend app2 127.0.0.1:9002\nbackend app3 127.0.0.1:9003\n"

    static func router(_ backends: String = three, secret: String = "router-test-secret-0123456789") throws -> Router {
        let text = "listen 127.0.0.1:8080\nhash_secret \"\(secret)\"\nrouting sticky\n" + backends
        return Router(config: try ConfigParser.parse(text, file: "proxy.conf").get(), loopIndex: 0)
    }

    static func name(_ i: Int, _ backends: String) -> String {
        String(backends.split(separator: "\n")[i].split(separator: " ")[1])
    }

    @Test func newSessionsGetDistinctValuesNamingTheirBackend() throws {
        var r = try Self.router()
        var values = Set<String>()
        for i in 0..<900 {
            let value = RouterTests.mint(&r, for: i % 3)
            let d = try #require(RouterTests.route(&r, cookie: "TETHER=\(value)", RouterTests.view()))
            #expect(d.backend == i % 3 && d.reason == .affinityCookie && !d.issueCookie && !d.forged)
            values.insert(value)
        }
        #expect(values.count == 900, "sealed values repeat")
    }

    @Test func aSessionKeepsItsValueOnEveryLoopAndReplica() throws {
        var loop0 = try Self.router()
        var replica = Router(config: try ConfigParser.parse(
            "listen 127.0.0.1:9999\nhash_secret \"router-test-secret-0123456789\"\nrouting sticky\n" + Self.three, file: "other.conf").get(), loopIndex: 3)
        let a = RouterTests.mint(&loop0, for: 1, seed: 0xfeed)
        #expect(RouterTests.mint(&loop0, for: 1, seed: 0xfeed) == a)
        #expect(RouterTests.mint(&replica, for: 1, seed: 0xfeed) == a)
        #expect(RouterTests.mint(&loop0, for: 1, seed: 0xbeef) != a)
        #expect(RouterTests.route(&replica, cookie: "TETHER=\(a)", RouterTests.view())?.backend == 1, "replicas read each other's seals")
    }

    @Test func anAppCookieSessionIsReissuedTheSameValue() throws {
        var r = Router(config: try RouterTests.config("routing sticky\napp_cookie JSESSIONID\n"), loopIndex: 0)
        let d = try #require(RouterTests.route(&r, cookie: "JSESSIONID=ABCDEF0123456789", RouterTests.view()))
        #expect(d.reason == .appCookie && d.issueCookie)
        let first = RouterTests.mint(&r, for: d.backend, seed: d.keyHash)
        let again = try #require(RouterTests.route(&r, cookie: "JSESSIONID=ABCDEF0123456789", RouterTests.view()))
        #expect(RouterTests.mint(&r, for: again.backend, seed: again.keyHash) == first)
    }

    /// 1,000 sessions on app1–app3; a fourth backend, a new weight and the
    /// file re-ordered: none moves. app2 removed: only its sessions move,
    /// spread over the others, each with a new value.
    @Test func reloadsMoveNoSessionButARemovedBackendsOwn() throws {
        var before = try Self.router()
        let sessions = (0..<1000).map { i -> (String, Int) in
            let home = i % 3
            return (RouterTests.mint(&before, for: home), home)
        }
        let changed = "backend app3 127.0.0.1:9003\nbackend app4 127.0.0.1:9004 weight=5\nbackend app1 127.0.0.1:9001\nbackend app2 127.0.0.1:9002 weight=3\n"
        var after = try Self.router(changed)
        for (value, home) in sessions {
            let d = try #require(RouterTests.route(&after, cookie: "TETHER=\(value)", RouterTests.view(4)))
            #expect(Self.name(d.backend, changed) == Self.name(home, Self.three), "a session moved")
            #expect(!d.failedOver && !d.issueCookie)
        }
        let removed = "backend app1 127.0.0.1:9001\nbackend app3 127.0.0.1:9003\n"
        var smaller = try Self.router(removed)
        var landed = [0, 0]
        for (value, home) in sessions {
            let d = try #require(RouterTests.route(&smaller, cookie: "TETHER=\(value)", RouterTests.view(2)))
            if home == 1 {
                #expect(d.failedOver && d.issueCookie && d.home == nil)
                landed[d.backend] += 1
            } else {
                #expect(Self.name(d.backend, removed) == Self.name(home, Self.three) && !d.failedOver)
            }
        }
        #expect(landed[0] > 100 && landed[1] > 100, "app2's sessions spread: \(landed)")
    }

    /// `app_cookie JSESSIONID prefix`: a genuine prefix names its backend
    /// and is stripped (its bytes reported); a forged one is just part of
    /// the value (hashed, nothing stripped); a removed backend's moves on.
    @Test func aSealedAppCookiePrefixNamesItsBackendAndIsStripped() throws {
        var r = Router(config: try RouterTests.config("routing sticky\napp_cookie JSESSIONID prefix\n"), loopIndex: 0)
        let prefix = String(decoding: r.seal.prefixes[1], as: UTF8.self)
        #expect(prefix.hasPrefix("node2.") && prefix.hasSuffix("~") && prefix.count == 5 + 1 + 16 + 1)
        let cookie = "a=1; JSESSIONID=\(prefix)ABCDEF"
        let d = try #require(RouterTests.route(&r, cookie: cookie, RouterTests.view()))
        #expect(d.backend == 1 && !d.failedOver && !d.issueCookie)
        let head = "GET / HTTP/1.1\r\nHost: t\r\nCookie: a=1; JSESSIONID="
        #expect(d.strip == head.utf8.count..<(head.utf8.count + prefix.utf8.count))
        let down = try #require(RouterTests.route(&r, cookie: cookie, RouterTests.view(existing: [true, false, true], new: [true, false, true])))
        #expect(down.backend != 1 && down.failedOver && down.strip != nil)
        var forged = Array(prefix.utf8)
        forged[forged.count - 2] = forged[forged.count - 2] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let f = try #require(RouterTests.route(&r, cookie: "JSESSIONID=\(String(decoding: forged, as: UTF8.self))ABCDEF", RouterTests.view()))
        #expect(f.strip == nil && f.reason == .appCookie)
    }

    /// `sticky_cookie TETHER max_idle=10m max_life=1h`: dates sealed in
    /// the cookie end the affinity with no state kept; a seal past a
    /// quarter of `max_idle` is re-issued with a new `last` date, keeping
    /// when the session began.
    @Test func datedSealsExpireByIdleAndByLife() throws {
        var r = Router(config: try RouterTests.config("routing sticky\nsticky_cookie TETHER max_idle=10m max_life=1h\n"), loopIndex: 0)
        let t0: UInt32 = 1_800_000_000
        func view(_ t: UInt32) -> Router.View { var v = RouterTests.view(); v.clock = t; return v }
        func seal(since: UInt32, at now: UInt32) -> String {
            var value: [UInt8] = []
            r.sealCookie(for: 1, seed: 42, since: since, now: now, into: &value)
            return String(decoding: value, as: UTF8.self)
        }
        let fresh = seal(since: 0, at: t0)
        #expect(fresh.split(separator: ".").count == 5, "NONCE.IDENTITY.FIRST.LAST.TAG: \(fresh)")
        let soon = try #require(RouterTests.route(&r, cookie: "TETHER=\(fresh)", view(t0 + 60)))
        #expect(soon.backend == 1 && !soon.issueCookie && soon.since == t0)
        let aging = try #require(RouterTests.route(&r, cookie: "TETHER=\(fresh)", view(t0 + 200)))
        #expect(aging.backend == 1 && aging.issueCookie && aging.since == t0, "re-sealed past max_idle/4")
        let idle = try #require(RouterTests.route(&r, cookie: "TETHER=\(fresh)", view(t0 + 601)))
        #expect(idle.expired && idle.reason == .newSession && idle.keyHash == nil)
        // Kept busy (re-sealed every few minutes), it still ends at max_life.
        let busy = seal(since: t0, at: t0 + 3590)
        #expect(RouterTests.route(&r, cookie: "TETHER=\(busy)", view(t0 + 3595))?.expired == false)
        #expect(RouterTests.route(&r, cookie: "TETHER=\(busy)", view(t0 + 3601))?.expired == true)
        // An undated seal (before max_idle was set) is not one of these.
        var plain = Router(config: try RouterTests.config("routing sticky\n"), loopIndex: 0)
        let undated = RouterTests.mint(&plain, for: 1)
        #expect(RouterTests.route(&r, cookie: "TETHER=\(undated)", view(t0))?.forged == true)
    }

    /// Tampered, truncated, another secret's and made-up values are new
    /// sessions, flagged, and placed by the strategy: no value aims.
    @Test func forgedValuesAreNewSessions() throws {
        var r = try Self.router()
        let genuine = RouterTests.mint(&r, for: 2)
        var tampered = Array(genuine.utf8)
        tampered[17] = tampered[17] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")  // the identity
        var retagged = Array(genuine.utf8)
        retagged[retagged.count - 1] = retagged.last == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        var other = try Self.router(secret: "a-different-secret-0123456789")
        let foreign = RouterTests.mint(&other, for: 2)
        let cases = [String(decoding: tampered, as: UTF8.self), String(decoding: retagged, as: UTF8.self),
                     String(genuine.dropLast(3)), foreign, "0123456789abcdef.app3.0123456789abcdef", "whatever"]
        for value in cases {
            let d = try #require(RouterTests.route(&r, cookie: "TETHER=\(value)", RouterTests.view()))
            #expect(d.forged && d.reason == .newSession && d.issueCookie && d.keyHash == nil, "\(value)")
        }
        // 10,000 made-up values: round-robin, each backend its third.
        var counts = [0, 0, 0]
        for k in 0..<10_000 {
            counts[try #require(RouterTests.route(&r, cookie: "TETHER=\(String(k, radix: 16)).app3.\(k)", RouterTests.view())).backend] += 1
        }
        #expect(counts.allSatisfy { abs($0 - 3333) <= 2 }, "\(counts)")
    }
}
