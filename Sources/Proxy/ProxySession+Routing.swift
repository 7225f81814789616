import EventLoop
import Routing
import HTTP1
import Stats

/// Which backend, failover when it refuses, and the affinity cookie.
extension ProxySession {
    /// Routes the parsed request (see `Router`); nil when no backend can take it.
    func chooseBackend() -> Int? {
        tried.removeAll(keepingCapacity: true)
        issueCookie = false
        keyHash = nil
        let view = ctx.view
        let decision = input.storage.withUnsafeBufferPointer { buf in ctx.router.route(buf, request, view) }
        guard let d = decision else { return nil }
        keyHash = d.keyHash
        issueCookie = d.issueCookie
        tried.append(d.backend)
        #if !TETHER_NO_STATS
        if let h = d.keyHash { ctx.upstreams[d.backend].stats.pinned.add(h, now: ctx.loop.now) }
        #endif
        switch d.reason {
        case .newSession: ctx.count(.newSessions, d.backend)
        case .route: ctx.count(.routeHits, d.backend)
        case .affinityCookie, .appCookie:
            if d.failedOver, let h = d.keyHash, let top = ctx.router.ring.top(h) {
                ctx.count(.failoversAway, top)
                ctx.count(.recreated, d.backend)
            } else {
                ctx.count(.stickyHits, d.backend)
            }
        case .balanced: break
        }
        return d.backend
    }

    /// The request could not be served by the chosen backend and may safely
    /// go elsewhere (nothing was sent, or an idempotent body-less request got
    /// no response byte): send the same bytes to the next backend in the
    /// session's order, never one already tried, at most `retries` more.
    /// Sticky sessions get a new cookie so they stay on their new backend
    /// after the old one recovers.
    func failOver(carrying bytes: [UInt8]?) -> Bool {
        guard ctx.isCurrent(runtime), tried.count <= runtime.config.retries else { return false }
        let view = ctx.view
        guard let next = ctx.router.failover(keyHash: keyHash, tried: tried, view) else { return false }
        ctx.count(.failoversAway, backendIndex)
        ctx.count(.retries, backendIndex)
        tried.append(next)
        backendIndex = next
        if ctx.router.mode == .sticky {
            if keyHash != nil { ctx.count(.recreated, next) }
            issueCookie = true
        }
        attachBackend(fresh: true, carry: bytes)
        return true
    }

    /// `Set-Cookie: NAME=KEY; attributes` when the response must (re)pin the session.
    func renderAffinityCookie() {
        extraFields.removeAll(keepingCapacity: true)
        guard issueCookie, ctx.isCurrent(runtime), ctx.router.mode == .sticky else { return }
        let h = ctx.router.mintKey(for: backendIndex, into: &sessionKey)
        #if !TETHER_NO_STATS
        ctx.upstreams[backendIndex].stats.pinned.add(h, now: ctx.loop.now)
        #endif
        extraFields.append(static: "Set-Cookie: ")
        extraFields.append(contentsOf: runtime.cookieName)
        extraFields.append(0x3D)
        extraFields.append(contentsOf: sessionKey)
        extraFields.append(contentsOf: transport.isTLS ? runtime.cookieAttributesTLS : runtime.cookieAttributes)
        extraFields.append(static: "\r\n")
    }

    /// Counts this request against backend `i`'s load on this loop.
    func holdLoad(_ i: Int) {
        releaseLoad()
        guard ctx.isCurrent(runtime) else { return }
        loadHeld = i
        ctx.loadTaken(i)
    }

    func releaseLoad() {
        guard loadHeld >= 0 else { return }
        let i = loadHeld
        loadHeld = -1
        if ctx.isCurrent(runtime) { ctx.loadReleased(i) }
    }
}
