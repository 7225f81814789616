import HTTP1
import Routing
import Stats

/// Routing as the loop keeps its books: the router decides (pure, see
/// `Router`), and the loop counts why each request went where it did.
extension LoopContext {
    /// Routes a parsed request; nil when no backend can take it.
    func route(_ buf: UnsafeBufferPointer<UInt8>, _ request: RequestHead) -> Exchange.Route? {
        guard let d = router.route(buf, request, view) else { return nil }
        #if !TETHER_NO_STATS
        if let h = d.keyHash { upstreams[d.backend].stats.pinned.add(h, now: loop.now) }
        #endif
        switch d.reason {
        case .newSession: count(.newSessions, d.backend)
        case .route: count(.routeHits, d.backend)
        case .affinityCookie, .appCookie:
            if d.failedOver {
                if let home = d.home {
                    count(.failoversAway, home)
                    let s = upstreams[home].status
                    if s.adminState == .maintenance {
                        count(AffinityBreak.maintenance.counter, home)
                    } else if !s.healthUp {
                        count(AffinityBreak.down.counter, home)
                    }
                } else {
                    count(AffinityBreak.removed.counter, d.backend)
                }
                count(.recreated, d.backend)
            } else {
                count(.stickyHits, d.backend)
            }
        case .balanced: break
        }
        if d.forged { count(AffinityBreak.forged.counter, d.backend) }
        if d.unknownRoute { count(AffinityBreak.unknownRoute.counter, d.backend) }
        if d.expired { count(AffinityBreak.expired.counter, d.backend) }
        if d.unpinned { count(AffinityBreak.storeBack.counter, d.home ?? d.backend) }
        var issue = d.issueCookie
        // An app-cookie session that did not return the seal: offered again
        // at most once a minute (see `SealOffers`).
        if issue && d.reason == .appCookie && !d.failedOver && !d.forged && !d.expired, let h = d.keyHash {
            issue = sealOffers.offer(h, now: view.clock)
        }
        return Exchange.Route(
            backend: d.backend, keyHash: d.keyHash, issueCookie: issue, strip: d.strip, since: d.since, clearCookie: d.unpinned)
    }

    /// The next backend in the session's order after the exchange's
    /// backend let it down: never one already tried, at most `retries` more.
    func failover(_ e: UnsafeMutablePointer<Exchange>, retries: Int) -> Int? {
        let failed = e.pointee.backendIndex, keyHash = e.pointee.keyHash
        guard e.pointee.tried.count <= retries, let next = router.failover(keyHash: keyHash, tried: e.pointee.tried, view) else { return nil }
        count(.failoversAway, failed)
        count(.retries, failed)
        if router.mode == .sticky && keyHash != nil {
            count(AffinityBreak.refused.counter, failed)
            count(.recreated, next)
        }
        return next
    }

    /// `Set-Cookie: NAME=KEY; attributes` into the exchange's `cookie.field`
    /// when the response must (re)pin the session to its backend; empty
    /// otherwise. The seal's nonce is the one the request came with (see
    /// `Router.sealCookie`).
    func renderAffinityCookie(_ e: UnsafeMutablePointer<Exchange>, runtime: ProxyRuntime, tls: Bool) {
        e.pointee.cookie.field.removeAll(keepingCapacity: true)
        e.pointee.cookie.appAssign.removeAll(keepingCapacity: true)
        e.pointee.cookie.appPrefix.removeAll(keepingCapacity: true)
        guard isCurrent(runtime) else { return }
        if e.pointee.clearCookie {
            // An empty value with the same attributes (so the browser
            // matches the cookie); the last Max-Age wins.
            e.pointee.cookie.key.removeAll(keepingCapacity: true)
            appendSetCookie(&e.pointee.cookie, runtime: runtime, tls: tls, then: "; Max-Age=0\r\n")
            return
        }
        guard router.mode == .sticky else { return }
        let backend = e.pointee.backendIndex
        if let assign = router.prefixedAssign {
            e.pointee.cookie.appAssign.append(contentsOf: assign)
            e.pointee.cookie.appPrefix.append(contentsOf: router.seal.prefixes[backend])
        }
        guard e.pointee.issueCookie else { return }
        let h = router.sealCookie(for: backend, seed: e.pointee.keyHash, since: e.pointee.sessionSince, now: view.clock, into: &e.pointee.cookie.key)
        #if !TETHER_NO_STATS
        upstreams[backend].stats.pinned.add(h, now: loop.now)
        #endif
        appendSetCookie(&e.pointee.cookie, runtime: runtime, tls: tls, then: "\r\n")
    }

    /// `Set-Cookie: NAME=` + `scratch.key` + the attributes + `end` into `scratch.field`.
    private func appendSetCookie(_ scratch: inout AffinityCookieScratch, runtime: ProxyRuntime, tls: Bool, then end: StaticString) {
        scratch.field.append(static: "Set-Cookie: ")
        scratch.field.append(contentsOf: runtime.cookieName)
        scratch.field.append(0x3D)
        scratch.field.append(contentsOf: scratch.key)
        scratch.field.append(contentsOf: tls ? runtime.cookieAttributesTLS : runtime.cookieAttributes)
        scratch.field.append(static: end)
    }
}
