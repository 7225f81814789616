import Config
import Dispatch
import EventLoop
import Health
import Glibc
import Stats
import Synchronization

/// Tether's data plane: listeners, loops, and per-loop contexts built from one
/// `ProxyConfig`. Binding happens in `init`, so a port in use fails there,
/// before anything runs. `reload` publishes a new configuration without
/// dropping a connection.
public final class ProxyServer: @unchecked Sendable {
    let group: EventLoopGroup
    let contexts: [LoopContext]
    let limit: ConnectionLimit
    let control = DispatchQueue(label: "tether.control")
    /// Mutated only on `control`.
    var listeners: [Listener] = []
    var runtime: ProxyRuntime
    var rateHistory = RateHistory()
    var rateTimer: DispatchSourceTimer?
    let startedAt = Clock.wallSeconds()
    /// Set by a SIGTERM during `stop_delay`: `/healthz` answers 503 so balancers stop sending.
    public let stopping = Atomic<Bool>(false)
    /// Admin-endpoint states, with the backend's config when they were set.
    var stateOverrides: [String: (AdminState, BackendConfig)] = [:]
    let reloadState = Mutex(ReloadStats())
    private let storeState = Mutex(StoreStatus())
    /// Operational events (store up/down...); the executable writes them to stderr.
    public let log: EventLog
    private var pinger: StorePinger?
    /// Health monitors by "name@address": kept across reloads. Mutated on `control`.
    var monitors: [String: HealthMonitor] = [:]

    struct Listener {
        var address: String
        var fd: Int32
        var port: Int
        var limit: ConnectionLimit
        /// One per loop, in loop order.
        var acceptors: [Acceptor]
    }

    /// Reload counters, for the log and the admin endpoint.
    public struct ReloadStats: Sendable {
        public var succeeded = 0
        public var failed = 0
        public var lastError: String? = nil
    }

    public var reloadStats: ReloadStats { reloadState.withLock { $0 } }

    /// The shared session store as last checked.
    public var storeStatus: StoreStatus { storeState.withLock { $0 } }

    public enum StartError: Error, CustomStringConvertible {
        case badAddress(String)
        case socket(Socket.Error)
        case other(String)

        public var description: String {
            switch self {
            case .badAddress(let s): return s
            case .socket(let e): return e.description
            case .other(let s): return s
            }
        }
    }

    public init(config: ProxyConfig, log: EventLog = .discard) throws(StartError) {
        IdleMemory.configure()
        self.log = log
        log.configure(config)
        group = EventLoopGroup(count: config.workers)
        var fresh: [HealthMonitor] = []
        var monitors: [String: HealthMonitor] = [:]
        var updates: [(HealthMonitor, HealthCheckSettings)] = []
        let runtime = try Self.makeRuntime(
            config, generation: 1, loops: group.loops, existing: [:], into: &monitors, created: &fresh, updates: &updates)
        self.runtime = runtime
        self.monitors = monitors
        let limit = ConnectionLimit(maximum: config.maxConnections)
        self.limit = limit
        let loopCount = group.loops.count
        contexts = group.loops.map { LoopContext(loop: $0, runtime: runtime, connectionLimit: limit, loopCount: loopCount) }
        for ctx in contexts { ctx.eventLog = log }
        listeners = try openListeners(config.listeners, keeping: [])
        for m in fresh { wire(m) }
    }

    /// Sends a monitor's state changes to every loop and the log.
    func wire(_ m: HealthMonitor) {
        let contexts = self.contexts
        let log = self.log
        m.onChange = { [unowned m] up, since, reason in
            log(up ? .info : .warning, "health", "backend \(m.name) (\(m.address)) is \(up ? "up" : "down"): \(reason)")
            for ctx in contexts { ctx.loop.execute { ctx.healthChanged(m, up: up, since: since) } }
        }
    }

    public var config: ProxyConfig { control.sync { runtime.config } }
    public var loopCount: Int { group.loops.count }
    /// The event loops (the admin endpoint is served on the first).
    public var loops: [EventLoop] { group.loops }

    /// Ports actually bound, in listener order (useful with port 0).
    public var boundPorts: [Int] { control.sync { listeners.map(\.port) } }

    /// Resolves the backends and gives each a health monitor: the existing
    /// one when name and address are unchanged (its state survives the
    /// reload; its new settings are returned in `updates`, to apply once the
    /// reload cannot fail any more), a new one otherwise (returned in
    /// `created`, not yet started).
    static func makeRuntime(
        _ config: ProxyConfig, generation: Int, loops: [EventLoop], existing: [String: HealthMonitor],
        into kept: inout [String: HealthMonitor], created: inout [HealthMonitor],
        updates: inout [(HealthMonitor, HealthCheckSettings)]
    ) throws(StartError) -> ProxyRuntime {
        do {
            let targets = try ProxyRuntime.resolve(config, generation: generation)
            var monitors: [HealthMonitor] = []
            for (i, t) in targets.enumerated() {
                let key = "\(t.name)@\(t.address)"
                let settings = HealthCheckSettings(global: config.health, backend: config.backends[i])
                if let m = existing[key] {
                    updates.append((m, settings))
                    monitors.append(m)
                    kept[key] = m
                } else {
                    let m = HealthMonitor(name: t.name, address: t.address, loop: loops[i % loops.count], settings: settings)
                    monitors.append(m)
                    kept[key] = m
                    created.append(m)
                }
            }
            return try ProxyRuntime(config: config, generation: generation, backends: targets, monitors: monitors)
        } catch let e as SocketAddress.ParseError {
            throw .badAddress(e.description)
        } catch {
            throw .other("\(error)")
        }
    }

    /// Binds the addresses not already open; on failure closes what it opened.
    func openListeners(_ configs: [ListenerConfig], keeping existing: [Listener]) throws(StartError) -> [Listener] {
        var result: [Listener] = []
        var opened: [Int32] = []
        for l in configs {
            let text = l.address
            if let kept = existing.first(where: { $0.address == text }) {
                result.append(kept)
                continue
            }
            do {
                let address = try SocketAddress(parsing: text, allowAnyPort: true)
                let fd = try Socket.listen(address)
                opened.append(fd)
                let own = ConnectionLimit(maximum: l.maxConnections ?? Int.max)
                let log = self.log
                let acceptors = contexts.map { Acceptor(fd: fd, ctx: $0, limit: limit, listenerLimit: own, address: text, log: log) }
                result.append(Listener(address: text, fd: fd, port: Socket.localPort(fd), limit: own, acceptors: acceptors))
            } catch let e as SocketAddress.ParseError {
                for fd in opened { close(fd) }
                throw .badAddress(e.description)
            } catch let e as Socket.Error {
                for fd in opened { close(fd) }
                throw .socket(e)
            } catch {
                for fd in opened { close(fd) }
                throw .other("\(error)")
            }
        }
        return result
    }

    /// Starts accepting on every loop.
    public func start() {
        control.sync {
            for l in listeners { for a in l.acceptors { a.ctx.loop.execute { a.start() } } }
            for m in runtime.monitors { m.loop.execute { m.start() } }
            startStorePinger(runtime)
            startRateSampler()
        }
    }

    /// Watches `runtime`'s session store (if any) from loop 0. Runs on `control`.
    func startStorePinger(_ runtime: ProxyRuntime) {
        if let old = pinger {
            old.loop.execute { old.stop() }
            pinger = nil
        }
        let routing = runtime.config.routing
        storeState.withLock { $0 = StoreStatus(url: routing.sessionStore) }
        guard let url = routing.sessionStore, let address = runtime.storeAddress else {
            for ctx in contexts { ctx.loop.execute { ctx.storeStateChanged(up: nil) } }
            return
        }
        let loop = contexts[0].loop
        let contexts = self.contexts
        let p = StorePinger(
            url: url, address: address, loop: loop, interval: routing.store.interval.nanoseconds,
            timeout: routing.store.timeout.nanoseconds
        ) { [weak self] up, error in
            guard let self else { return }
            self.storeState.withLock {
                $0.up = up
                $0.lastError = error
                $0.changes += 1
            }
            self.log(up ? .info : .warning, "store", up ? "session store \(url) is up" : "session store \(url) is down: \(error ?? "")")
            for ctx in contexts { ctx.loop.execute { ctx.storeStateChanged(up: up) } }
        }
        pinger = p
        loop.execute { p.start() }
    }

    /// `SIGUSR1`: the access log file is opened again (after rotation).
    /// Lines the loops still buffer go to the new file. Returns what to log.
    public func reopenLogs() -> String {
        let log = control.sync { runtime.accessLog }
        guard let log else { return "access_log is off: nothing to reopen" }
        return log.reopen()
    }

    /// `stop_delay` of the running configuration (nil: off).
    public var stopDelay: Duration? { control.sync { runtime.config.timeouts.stopDelay } }

    /// Graceful stop: stop accepting, let in-flight requests finish (up to the
    /// configured deadline), then call `completion`.
    public func stop(completion: @escaping @Sendable () -> Void) {
        control.sync {
            let countdown = Countdown(contexts.count)
            let accessLog = runtime.accessLog
            let log = self.log
            let contexts = self.contexts
            let grace = runtime.config.timeouts.gracefulStop
            let began = ContinuousClock.now
            let all = listeners
            if let p = pinger { p.loop.execute { p.stop() } }
            for m in monitors.values { m.loop.execute { m.stop() } }
            for (i, ctx) in contexts.enumerated() {
                let acceptorsHere = all.map { $0.acceptors[i] }
                ctx.loop.execute {
                    for a in acceptorsHere { a.stop() }
                    ctx.beginDrain {
                        countdown.add(finished: ctx.takeFinishedWhileDraining())
                        guard countdown.arrive(), countdown.claimFinish() else { return }
                        let ms = (ContinuousClock.now - began).components
                        log(.info, "stop", "graceful stop: every request finished (\(countdown.total.finished) during the stop) after \(ms.seconds * 1000 + ms.attoseconds / 1_000_000_000_000_000) ms")
                        accessLog?.flush()
                        completion()
                    }
                }
            }
            // Out of time: what is still in flight is cut, with its log
            // line, and the stop says how many.
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(grace.nanoseconds))) {
                guard countdown.claimFinish() else { return }
                let cutting = DispatchGroup()
                for ctx in contexts {
                    cutting.enter()
                    ctx.loop.execute {
                        let c = ctx.cutRemaining()
                        countdown.add(finished: c.finished, cut: c.cut, tunnels: c.tunnels)
                        cutting.leave()
                    }
                }
                cutting.notify(queue: .global()) {
                    let t = countdown.total
                    log(t.cut + t.tunnels > 0 ? .warning : .info, "stop", "graceful stop: graceful_stop_timeout (\(grace)) passed: \(t.finished) requests finished, \(t.cut) cut, \(t.tunnels) tunnels closed")
                    accessLog?.flush()
                    completion()
                }
            }
            let fds = all.map(\.fd)
            listeners = []
            // Deregistration happens on the loops; close after they ran it.
            let closer = DispatchGroup()
            for ctx in contexts {
                closer.enter()
                ctx.loop.execute { closer.leave() }
            }
            closer.notify(queue: control) { for fd in fds { close(fd) } }
        }
    }
}

/// Counts loops that finished draining; the last one (or the deadline)
/// ends the stop. It also sums what the loops report for the outcome line.
private final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let over = Atomic<Bool>(false)
    private let finished = Atomic<Int>(0)
    private let cut = Atomic<Int>(0)
    private let tunnels = Atomic<Int>(0)

    init(_ n: Int) { remaining = Atomic(n) }

    /// A loop's requests finished during the stop, and what it cut.
    func add(finished f: Int, cut c: Int = 0, tunnels t: Int = 0) {
        finished.wrappingAdd(f, ordering: .relaxed)
        cut.wrappingAdd(c, ordering: .relaxed)
        tunnels.wrappingAdd(t, ordering: .relaxed)
    }

    var total: (finished: Int, cut: Int, tunnels: Int) {
        (finished.load(ordering: .relaxed), cut.load(ordering: .relaxed), tunnels.load(ordering: .relaxed))
    }

    /// True for the loop that brings the count to zero.
    func arrive() -> Bool { remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 }

    /// True exactly once, for whoever finishes first.
    func claimFinish() -> Bool { !over.exchange(true, ordering: .acquiringAndReleasing) }
}
