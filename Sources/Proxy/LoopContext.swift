import Balancer
import EventLoop

/// Everything one event loop owns: its backend pools, its balancer state, its
/// sessions and its pending log lines. Touched only on that loop's queue, so
/// none of it needs a lock.
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    /// The current configuration snapshot; replaced on reload. Sessions take
    /// it at the start of each request and keep it until the request ends.
    private(set) var runtime: ProxyRuntime
    var pools: [BackendPool]
    var router: Router
    /// Per backend of the current runtime, on this loop.
    var inFlight: [Int]
    var totalInFlight = 0
    var existingOK: [Bool]
    var newOK: [Bool]
    /// Passive failure marks: a backend that refused a connection takes no
    /// traffic from this loop until then (health checks refine this).
    var downUntil: [UInt64]
    var stats: [BackendLoopStats]
    /// Last known state of the session store (nil: none configured or not checked yet).
    var storeUp: Bool? = nil
    var sessions: [ObjectIdentifier: ProxySession] = [:]
    var log = AccessLogBuffer()
    /// Set by a graceful stop: finish what is in flight, take nothing new.
    var draining = false
    var onDrained: (() -> Void)?
    /// Counters for tests and, later, the admin endpoint.
    var backendConnectionsOpened = 0

    /// The global connection cap: a session gives its slot back when it closes.
    let connectionLimit: ConnectionLimit

    init(loop: EventLoop, runtime: ProxyRuntime, connectionLimit: ConnectionLimit) {
        self.loop = loop
        self.connectionLimit = connectionLimit
        self.runtime = runtime
        self.pools = runtime.backends.map { _ in BackendPool() }
        self.router = Router(runtime: runtime, loopIndex: loop.index)
        let n = runtime.backends.count
        inFlight = Array(repeating: 0, count: n)
        existingOK = Array(repeating: true, count: n)
        newOK = Array(repeating: true, count: n)
        downUntil = Array(repeating: 0, count: n)
        stats = Array(repeating: BackendLoopStats(), count: n)
        loop.onEveryTick { [unowned self] in
            self.flushLog()
            self.expirePassiveMarks()
        }
    }

    func storeStateChanged(up: Bool?) {
        storeUp = up
        router.storeStateChanged(up: up ?? true)
    }

    var routerView: Router.View {
        Router.View(existingOK: existingOK, newOK: newOK, load: inFlight, totalLoad: totalInFlight)
    }

    /// A connection to backend `i` failed: route around it for a while.
    func markConnectFailure(_ i: Int) {
        downUntil[i] = loop.now + runtime.config.health.interval.nanoseconds
        existingOK[i] = false
        newOK[i] = false
    }

    private func expirePassiveMarks() {
        for i in downUntil.indices where downUntil[i] != 0 && downUntil[i] <= loop.now {
            downUntil[i] = 0
            existingOK[i] = true
            newOK[i] = true
        }
    }

    /// The pool for `target`, if it belongs to the current configuration.
    @inline(__always)
    func pool(for target: BackendTarget) -> BackendPool? {
        target.generation == runtime.generation ? pools[target.index] : nil
    }

    /// Publishes a reloaded configuration on this loop. Idle pooled
    /// connections to backends that still exist (same name and address) are
    /// kept; the rest are closed. Requests in flight finish on the old snapshot.
    func install(_ new: ProxyRuntime) {
        let newPools = new.backends.map { _ in BackendPool() }
        for old in runtime.backends {
            if let kept = new.backends.first(where: { $0.name == old.name && $0.address == old.address }) {
                pools[old.index].move(to: newPools[kept.index], target: kept)
            } else {
                pools[old.index].closeAll()
            }
        }
        pools = newPools
        runtime = new
        router = Router(runtime: new, loopIndex: loop.index)
        if let up = storeUp { router.storeStateChanged(up: up) }
        let n = new.backends.count
        inFlight = Array(repeating: 0, count: n)
        totalInFlight = 0
        existingOK = Array(repeating: true, count: n)
        newOK = Array(repeating: true, count: n)
        downUntil = Array(repeating: 0, count: n)
        stats = Array(repeating: BackendLoopStats(), count: n)
    }

    func flushLog() {
        if let writer = runtime.accessLog, let bytes = log.take() { writer.write(bytes) }
    }

    func add(_ session: ProxySession) {
        sessions[ObjectIdentifier(session)] = session
    }

    func remove(_ session: ProxySession) {
        if sessions.removeValue(forKey: ObjectIdentifier(session)) != nil { connectionLimit.release() }
        if draining && sessions.isEmpty { drained() }
    }

    /// Stops taking requests: idle sessions close now, busy ones after their response.
    func beginDrain(onDrained: @escaping () -> Void) {
        draining = true
        self.onDrained = onDrained
        for pool in pools { pool.closeAll() }
        for session in Array(sessions.values) { session.drain() }
        if sessions.isEmpty { drained() }
    }

    private func drained() {
        flushLog()
        for pool in pools { pool.closeAll() }
        let done = onDrained
        onDrained = nil
        done?()
    }
}

/// Routing counters of one backend on one loop (summed by the admin endpoint).
struct BackendLoopStats {
    var newSessions = 0
    var stickyHits = 0
    var routeHits = 0
    /// Requests whose session had to leave this backend (down or refused).
    var failoversAway = 0
}
