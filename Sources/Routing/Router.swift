import Balancer
import Config
import HTTP1

/// Decides which backend a request goes to, per the routing configuration.
/// One per loop (it keeps round-robin state), rebuilt on reload. Pure apart
/// from the random start of the session keys it mints.
///
/// Sticky mode, in order:
/// 1. an application cookie (`app_cookie`) whose value ends in `.route`
///    naming a backend's `route` (Tomcat jvmRoute) goes to that backend;
/// 2. Tether's affinity cookie, sealed (`AffinitySeal`): the backend it
///    names, while that one takes existing sessions; else the first backend
///    in the rendezvous order of the session's nonce that takes new ones
///    (and a new seal). A value that is not a seal of this secret is forged:
///    the request is placed as in 3 or 4;
/// 3. an application cookie without a route: hashed (SipHash with
///    `hash_secret`) onto the rendezvous order; the first usable backend, and
///    the affinity cookie is issued alongside so the session keeps it;
/// 4. no key: a new session. The strategy (round-robin or least-connections)
///    picks among backends within the load bound, and the response carries a
///    seal naming that backend.
/// Every replica with the same configuration makes the same choices for
/// steps 1–3 with no shared state, and reads the others' seals.
public struct Router: Sendable {
    public let ring: RendezvousHash
    let bound: BoundedLoad
    public private(set) var mode: RoutingConfig.Mode
    /// The mode from the configuration; `mode` may differ while the session
    /// store is down and `on_down=sticky` (see `storeStateChanged`).
    let configuredMode: RoutingConfig.Mode
    let stickyWhenStoreDown: Bool
    let strategy: RoutingConfig.Strategy
    let cookieName: [UInt8]
    let appCookieName: [UInt8]?
    /// `app_cookie … prefix`: the app cookie's value starts with a sealed
    /// backend identity (see `AffinitySeal.readPrefix`).
    let appCookiePrefix: Bool
    /// `NAME=` of the app cookie whose `Set-Cookie` values get the prefix
    /// (nil without `prefix`).
    public let prefixedAssign: [UInt8]?
    /// `route` of each backend as bytes (nil: none).
    let routes: [[UInt8]?]
    /// Backups are nobody's home: a hashed session's own backend is the
    /// first *primary* of its order (backups serve only while no primary can).
    let isBackup: [Bool]
    let weights: [Int]
    private var roundRobin: SmoothRoundRobin
    private var leastConn: LeastConnections
    /// Decides slow-start admissions; not security-relevant.
    private var rampRandom = XorShift(seed: 0x9e37_79b9_7f4a_7c15)
    public let seal: AffinitySeal
    /// `sticky_cookie … max_idle / max_life` in seconds (0: none), and when
    /// a seal is re-issued with a new `last` date (a quarter of `max_idle`).
    let maxIdle: UInt32
    let maxLife: UInt32
    let refreshAfter: UInt32
    /// Nonces of new sessions: a PRF (SipHash keyed from `hash_secret`,
    /// apart from the placement hash) of a counter from a random start (one
    /// `getrandom` per router, not per session).
    let minter: SipHash24
    private var mintCounter: UInt64

    public init(config: ProxyConfig, loopIndex: Int) {
        let backends = config.backends.map { Backend(name: $0.name, weight: $0.weight) }
        let secret = config.routing.hashSecret ?? "tether-balanced-mode"
        ring = RendezvousHash(hasher: SipHash24(secret: Array(secret.utf8)), backends: backends)
        bound = BoundedLoad(epsilon: config.routing.boundedLoad)
        mode = config.routing.mode
        configuredMode = config.routing.mode
        stickyWhenStoreDown = config.routing.store.onDown == .sticky && config.routing.hashSecret != nil
        strategy = config.routing.strategy
        cookieName = Array(config.routing.cookie.name.utf8)
        appCookieName = config.routing.appCookie.map { Array($0.utf8) }
        appCookiePrefix = config.routing.appCookiePrefix
        prefixedAssign = config.routing.appCookiePrefix ? config.routing.appCookie.map { Array($0.utf8) + [0x3D] } : nil
        routes = config.backends.map { $0.route.map { Array($0.utf8) } }
        isBackup = config.backends.map(\.backup)
        weights = config.backends.map(\.weight)
        roundRobin = SmoothRoundRobin(weights: weights, offset: loopIndex)
        leastConn = LeastConnections(offset: loopIndex)
        minter = SipHash24(secret: Array(secret.utf8) + Array("/session-keys".utf8))
        func seconds(_ d: Duration?) -> UInt32 { d.map { UInt32(clamping: max(1, $0.components.seconds)) } ?? 0 }
        maxIdle = seconds(config.routing.cookie.maxIdle)
        maxLife = seconds(config.routing.cookie.maxLife)
        refreshAfter = max(1, maxIdle / 4)
        seal = AffinitySeal(
            secret: Array(secret.utf8), identities: config.backends.map { Array(($0.route ?? $0.name).utf8) }, dated: maxIdle > 0 || maxLife > 0)
        var rng = SystemRandomNumberGenerator()
        mintCounter = rng.next()
    }

    /// The session store went up or down.
    public mutating func storeStateChanged(up: Bool) {
        mode = (!up && stickyWhenStoreDown) ? .sticky : configuredMode
    }

    public enum Reason: Sendable {
        case newSession
        case route
        case affinityCookie
        case appCookie
        case balanced
    }

    public struct Decision: Sendable, Equatable {
        public var backend: Int
        /// The session's nonce, or its app cookie's hash (failover order,
        /// and the nonce of the seal issued); nil when there is no key.
        public var keyHash: UInt64?
        /// Issue a new affinity cookie on the response.
        public var issueCookie: Bool
        public var reason: Reason
        /// The session's own backend was not usable (down, maintenance,
        /// removed): it moved.
        public var failedOver: Bool
        /// The backend the session belonged to (nil: none, or removed).
        public var home: Int? = nil
        /// The request carried an affinity cookie that is not a seal of this
        /// secret; it is placed as if it had none.
        public var forged = false
        /// Its application cookie ends in a `.route` that no backend has.
        public var unknownRoute = false
        /// Bytes of the request (a sealed prefix of the app cookie's value)
        /// the backend must not see.
        public var strip: Range<Int>? = nil
        /// When the session began (seconds since 1970; 0: now, or undated).
        public var since: UInt32 = 0
        /// Its seal was past `max_idle` or `max_life`: a new session.
        public var expired = false
        /// Balanced again after a store outage, and the request carries a
        /// seal from it: clear the cookie (once per session).
        public var unpinned = false
    }

    /// What the router needs to know about backends, on this loop: arrays
    /// the loop keeps up to date (no closures, so nothing is allocated per request).
    public struct View: Sendable {
        /// Takes requests of existing sessions (up or draining).
        public var existingOK: [Bool]
        /// Takes new sessions (up).
        public var newOK: [Bool]
        /// Requests in flight from this loop.
        public var load: [Int]
        public var totalLoad: Int
        /// Slow start: the share of new sessions a backend may take now.
        public var ramp: [Double]
        /// Wall-clock seconds (the loop sets it each tick), for sealed dates.
        public var clock: UInt32 = 0

        public init(existingOK: [Bool], newOK: [Bool], load: [Int], totalLoad: Int, ramp: [Double]) {
            self.existingOK = existingOK
            self.newOK = newOK
            self.load = load
            self.totalLoad = totalLoad
            self.ramp = ramp
        }

        func usableForExisting(_ i: Int) -> Bool { existingOK[i] }
        func usableForNew(_ i: Int) -> Bool { newOK[i] }
    }

    public mutating func route(_ buf: UnsafeBufferPointer<UInt8>, _ head: RequestHead, _ view: View) -> Decision? {
        guard mode == .sticky else {
            var d = pickNew(view).map { Decision(backend: $0, keyHash: nil, issueCookie: false, reason: .balanced, failedOver: false) }
            // Only where pinning can happen (on_down=sticky): a cookie scan
            // per request is not a cost of plain balanced mode.
            if stickyWhenStoreDown, let value = CookieScanner.find(buf, head: head, name: cookieName), !value.isEmpty,
                case .sealed(_, let home, _, _) = seal.read(buf, value) {
                d?.unpinned = true
                d?.home = home
            }
            return d
        }
        var appValue: Range<Int>? = nil
        var unknownRoute = false
        if let appName = appCookieName, let value = CookieScanner.find(buf, head: head, name: appName) {
            appValue = value
            if appCookiePrefix, let p = seal.readPrefix(buf, value) {
                var d = prefixed(hash(buf, p.strip.upperBound..<value.upperBound), home: p.backend, view)
                d?.strip = p.strip
                return d
            }
            switch routeSuffix(buf, value) {
            case .backend(let target) where view.usableForExisting(target):
                return Decision(backend: target, keyHash: hash(buf, value), issueCookie: false, reason: .route, failedOver: false)
            case .unknown: unknownRoute = true
            default: break
            }
        }
        var forged = false, expired = false
        if let value = CookieScanner.find(buf, head: head, name: cookieName), !value.isEmpty {
            switch seal.read(buf, value) {
            case .sealed(let nonce, let home, let first, let last):
                let now = view.clock
                if (maxLife > 0 && now &- first > maxLife) || (maxIdle > 0 && now &- last > maxIdle) {
                    expired = true
                } else {
                    var d = sealed(nonce, home: home, view)
                    d?.since = first
                    if maxIdle > 0 && now &- last >= refreshAfter { d?.issueCookie = true }  // re-sealed with a new `last`
                    return d
                }
            case .forged: forged = true
            }
        }
        var d: Decision?
        if let value = appValue {
            d = existing(hash(buf, value), view, reason: .appCookie, alwaysIssue: true)
        } else {
            d = pickNew(view).map { Decision(backend: $0, keyHash: nil, issueCookie: true, reason: .newSession, failedOver: false) }
        }
        d?.forged = forged
        d?.expired = expired
        d?.unknownRoute = unknownRoute
        return d
    }

    /// A backend for a new session (or any request when balanced): the
    /// strategy's pick among backends within the load bound.
    public mutating func pickNew(_ view: View, excluding tried: [Int] = []) -> Int? {
        var eligibleCount = 0
        for i in weights.indices where view.usableForNew(i) { eligibleCount += 1 }
        let backends = max(1, eligibleCount)
        let bound = self.bound
        // Locals only, and a closure literal passed straight on: non-escaping,
        // so nothing is boxed or allocated per request.
        var rng = rampRandom
        defer { rampRandom = rng }
        let pick = strategyPick(view) { i in
            view.usableForNew(i) && !tried.contains(i)
                && bound.allows(load: view.load[i], totalLoad: view.totalLoad, backends: backends)
                && (view.ramp[i] >= 1 || Double(rng.next() >> 11) / 9_007_199_254_740_992.0 < view.ramp[i])
        }
        if let pick { return pick }
        // Everyone is over the bound (it cannot hold for all): ignore it.
        return strategyPick(view) { view.usableForNew($0) && !tried.contains($0) }
    }

    private mutating func strategyPick(_ view: View, _ eligible: (Int) -> Bool) -> Int? {
        switch strategy {
        case .roundRobin:
            return roundRobin.next(eligible: eligible)
        case .leastConn:
            let weights = self.weights
            return leastConn.next(count: weights.count, load: { view.load[$0] }, weight: { weights[$0] }, eligible: eligible)
        }
    }

    /// After a failed connection: the next backend for this request.
    public mutating func failover(keyHash: UInt64?, tried: [Int], _ view: View) -> Int? {
        if let h = keyHash {
            // Moving on is a new placement: never onto a draining backend.
            return ring.first(h) { view.usableForNew($0) && !tried.contains($0) }
        }
        return pickNew(view, excluding: tried)
    }

    /// The affinity cookie value naming `target` (see `AffinitySeal`); the
    /// nonce is `seed` (the session's nonce, or its app cookie's hash, so
    /// the same session gets the same value on every response, loop and
    /// replica) or, for a new session, the next PRF output. Returns the
    /// nonce. No system call, no search.
    @discardableResult
    /// `since`: when the session began (0: `now`); `now`: the view's clock.
    public mutating func sealCookie(for target: Int, seed: UInt64? = nil, since: UInt32 = 0, now: UInt32 = 0, into value: inout [UInt8]) -> UInt64 {
        let nonce: UInt64
        if let seed {
            nonce = seed
        } else {
            nonce = minter.hash(mintCounter, 0)
            mintCounter &+= 1
        }
        seal.write(backend: target, nonce: nonce, first: since == 0 ? now : since, last: now, into: &value)
        return nonce
    }
}

/// A tiny PRNG for slow-start admission (cheap, no syscalls).
struct XorShift: Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
