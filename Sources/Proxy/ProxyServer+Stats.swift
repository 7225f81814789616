import Config
import Dispatch
import EventLoop
import Glibc
import Stats

/// Reading the loops' counters (by asking each loop for a copy: no locks on
/// the data path) and acting on backends for the admin endpoint.
extension ProxyServer {
    public static let version = "0.1.0"

    /// Gathers a snapshot from every loop and calls `completion` on the control queue.
    public func stats(_ completion: @escaping @Sendable (StatsSnapshot) -> Void) {
        gather { parts in
            completion(self.merge(parts))
        }
    }

    /// Collects one `LoopSnapshot` per loop, then runs `body` on the control queue.
    func gather(_ body: @escaping @Sendable ([LoopSnapshot]) -> Void) {
        let box = SnapshotBox(count: contexts.count)
        let group = DispatchGroup()
        for (i, ctx) in contexts.enumerated() {
            group.enter()
            ctx.loop.execute {
                box.set(i, ctx.snapshot())
                group.leave()
            }
        }
        group.notify(queue: control) { body(box.all()) }
    }

    /// Runs on the control queue.
    private func merge(_ parts: [LoopSnapshot]) -> StatsSnapshot {
        let rt = runtime
        let config = rt.config
        let current = parts.filter { $0.generation == rt.generation }
        var backends: [StatsSnapshot.Backend] = []
        for (i, b) in config.backends.enumerated() {
            var traffic = BackendLoopStats()
            var active = 0, idle = 0, queued = 0
            var healthUp = true
            var adminState = b.adminState
            for p in current where i < p.backends.count {
                let b = p.backends[i]
                traffic.add(b.stats)
                active += b.inFlight
                queued += b.queued
                idle += b.idle
                healthUp = healthUp && b.healthUp
                adminState = b.adminState
            }
            let monitor = rt.monitors[i].snapshot
            let up = monitor.up && healthUp
            let state: String
            switch adminState {
            case .maintenance: state = "maintenance"
            case .draining: state = up ? "draining" : "down"
            case .active: state = up ? "up" : "down"
            }
            let rates = rateHistory.rates(name: b.name, total: traffic.counters[.requests])
            backends.append(StatsSnapshot.Backend(
                name: b.name, address: b.address, weight: b.weight, route: b.route, backup: b.backup,
                state: state, healthUp: up, adminState: adminState.rawValue, since: monitor.sinceWall,
                lastCheck: monitor.lastCheck, checkHistory: monitor.history, checksEnabled: rt.checkSettings[i].enabled,
                activeConnections: active, idleConnections: idle, maxConns: b.maxConnections, queued: queued, traffic: traffic,
                sessionsPinned: config.routing.mode == .sticky ? traffic.pinned.estimate : 0,
                rate1s: rates.0, rate10s: rates.1, rate60s: rates.2))
        }
        var listenerStats: [String: Counters<ListenerCounter>] = [:]
        var rejected = Counters<LocalAnswer>()
        var requests = 0, redirects = 0, total = 0, currentConnections = 0, idleConnections = 0, spareExchanges = 0
        for p in parts {
            idleConnections += p.idleConnections
            spareExchanges += p.spareExchanges
            requests += p.loopStats.requests
            total += p.loopStats.connectionsTotal
            currentConnections += p.connections
            rejected.add(p.loopStats.rejected)
            redirects += p.loopStats.redirects
            for (k, v) in p.loopStats.perListener { listenerStats[k, default: Counters()].add(v) }
        }
        let listeners = config.listeners.map { l in
            StatsSnapshot.Listener(address: l.address, tls: l.tls != nil, proxyProtocol: l.proxyProtocol, counters: listenerStats[l.address] ?? Counters())
        }
        let reloads = reloadStats
        return StatsSnapshot(
            version: Self.version, uptimeSeconds: Clock.wallSeconds() - startedAt, loops: contexts.count,
            routingMode: config.routing.mode.rawValue, balance: config.routing.strategy.rawValue,
            connectionsCurrent: currentConnections, connectionsTotal: total,
            connectionsIdle: idleConnections, spareExchanges: spareExchanges, listeners: listeners,
            requests: requests, rejected: rejected, redirects: redirects, reloads: reloads.succeeded, reloadFailures: reloads.failed,
            lastReloadError: reloads.lastError, store: storeStatus, backends: backends, fingerprint: runtime.fingerprint)
    }

    /// Samples request totals once a second for the 1 s / 10 s / 60 s rates.
    func startRateSampler() {
        let timer = DispatchSource.makeTimerSource(queue: control)
        timer.schedule(deadline: .now() + 1, repeating: 1.0, leeway: .milliseconds(50))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            IdleMemory.returnToKernelIfWorthIt()
            self.gather { parts in
                let rt = self.runtime
                var totals: [String: Int] = [:]
                for (i, b) in rt.config.backends.enumerated() {
                    totals[b.name] = parts.filter { $0.generation == rt.generation && i < $0.backends.count }.reduce(0) { $0 + $1.backends[i].stats.counters[.requests] }
                }
                self.rateHistory.record(totals)
            }
        }
        timer.resume()
        rateTimer = timer
    }

    public enum ActionResult: Sendable, Equatable {
        case done
        case unknownBackend
    }

    /// drain / maintenance / enable, at once on every loop. Kept across
    /// reloads unless the reload changes that backend's configuration.
    public func setState(backend name: String, _ state: AdminState, completion: @escaping @Sendable (ActionResult) -> Void) {
        control.async {
            guard let entry = self.runtime.config.backends.first(where: { $0.name == name }) else {
                completion(.unknownBackend)
                return
            }
            self.stateOverrides[name] = (state, entry)
            let group = DispatchGroup()
            for ctx in self.contexts {
                group.enter()
                ctx.loop.execute {
                    ctx.setAdminState(name, state)
                    group.leave()
                }
            }
            self.log(.info, "admin", "backend \(name) set to \(state.rawValue) by the admin endpoint")
            group.notify(queue: self.control) { completion(.done) }
        }
    }
}

/// Holds the loops' answers while they arrive from several queues.
final class SnapshotBox: @unchecked Sendable {
    private let lock = NSLockLike()
    private var parts: [LoopSnapshot?]

    init(count: Int) { parts = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ s: LoopSnapshot) { lock.locked { parts[i] = s } }
    func all() -> [LoopSnapshot] { lock.locked { parts.compactMap { $0 } } }
}

/// A pthread mutex (admin path only; never taken on the data path).
final class NSLockLike: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return body()
    }
}

/// Request totals per backend, one sample a second, 61 kept.
struct RateHistory {
    private var samples: [(at: UInt64, totals: [String: Int])] = []

    mutating func record(_ totals: [String: Int]) {
        samples.append((Clock.monotonicNanos(), totals))
        if samples.count > 61 { samples.removeFirst(samples.count - 61) }
    }

    /// Requests per second over the last 1, 10 and 60 s.
    func rates(name: String, total: Int) -> (Double, Double, Double) {
        func rate(_ seconds: Int) -> Double {
            guard let last = samples.last else { return 0 }
            let k = max(0, samples.count - 1 - seconds)
            let old = samples[k]
            let dt = Double(last.at - old.at) / 1e9
            guard dt > 0 else { return 0 }
            return Double((last.totals[name] ?? 0) - (old.totals[name] ?? 0)) / dt
        }
        return (rate(1), rate(10), rate(60))
    }
}
