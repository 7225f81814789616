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
        let view = ctx.routerView
        let decision = input.storage.withUnsafeBufferPointer { buf in ctx.router.route(buf, request, view) }
        guard let d = decision else { return nil }
        keyHash = d.keyHash
        issueCookie = d.issueCookie
        tried.append(d.backend)
        #if !TETHER_NO_STATS
        if let h = d.keyHash { ctx.stats[d.backend].pinned.add(h, now: ctx.loop.now) }
        switch d.reason {
        case .newSession: ctx.stats[d.backend].counters[.newSessions] += 1
        case .route: ctx.stats[d.backend].counters[.routeHits] += 1
        case .affinityCookie, .appCookie:
            if d.failedOver, let h = d.keyHash, let top = ctx.router.ring.top(h) {
                ctx.stats[top].counters[.failoversAway] += 1
                ctx.stats[d.backend].counters[.recreated] += 1
            } else {
                ctx.stats[d.backend].counters[.stickyHits] += 1
            }
        case .balanced: break
        }
        #endif
        return d.backend
    }

    /// The request could not be served by the chosen backend and may safely
    /// go elsewhere (nothing was sent, or an idempotent body-less request got
    /// no response byte): send the same bytes to the next backend in the
    /// session's order, never one already tried, at most `retries` more.
    /// Sticky sessions get a new cookie so they stay on their new backend
    /// after the old one recovers.
    func failOver(carrying bytes: [UInt8]?) -> Bool {
        guard runtime === ctx.runtime, tried.count <= runtime.config.retries else { return false }
        let view = ctx.routerView
        guard let next = ctx.router.failover(keyHash: keyHash, tried: tried, view) else { return false }
        ctx.stats[backendIndex].counters[.failoversAway] += 1
        ctx.stats[backendIndex].counters[.retries] += 1
        tried.append(next)
        backendIndex = next
        if ctx.router.mode == .sticky {
            if keyHash != nil { ctx.stats[next].counters[.recreated] += 1 }
            issueCookie = true
        }
        attachBackend(fresh: true, carry: bytes)
        return true
    }

    /// `Set-Cookie: NAME=KEY; attributes` when the response must (re)pin the session.
    func renderAffinityCookie() {
        extraFields.removeAll(keepingCapacity: true)
        guard issueCookie, runtime === ctx.runtime, ctx.router.mode == .sticky else { return }
        let h = ctx.router.mintKey(for: backendIndex, into: &sessionKey)
        #if !TETHER_NO_STATS
        ctx.stats[backendIndex].pinned.add(h, now: ctx.loop.now)
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
        guard runtime === ctx.runtime else { return }
        loadHeld = i
        ctx.inFlight[i] += 1
        ctx.totalInFlight += 1
    }

    func releaseLoad() {
        guard loadHeld >= 0 else { return }
        let i = loadHeld
        loadHeld = -1
        if runtime === ctx.runtime && i < ctx.inFlight.count {
            ctx.inFlight[i] -= 1
            ctx.totalInFlight -= 1
            ctx.slotFreed(i)
        }
    }
}
