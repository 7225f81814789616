import Balancer
import Config
import EventLoop
import Health
import Routing
import Stats

/// Everything one event loop owns: its backend pools, its router, its view of
/// backend health, its sessions and its pending log lines. Touched only on
/// that loop's queue, so none of it needs a lock (hence `@unchecked Sendable`).
final class LoopContext: @unchecked Sendable {
    let loop: EventLoop
    /// The current configuration snapshot; replaced on reload. Sessions take
    /// it at the start of each request and keep it until the request ends.
    private(set) var runtime: ProxyRuntime
    var pools: [BackendPool]
    var router: Router
    /// Per backend of the current runtime, on this loop:
    var inFlight: [Int]
    var totalInFlight = 0
    /// Health as the monitors last said (or as passive failures here decided).
    var healthUp: [Bool]
    /// When each backend last came up (monotonic), for slow start.
    var upSince: [UInt64]
    var adminStates: [AdminState]
    /// Data-path failures in a row, per backend, on this loop.
    var passiveFailures: [Int]
    /// Derived from the above by `refreshEligibility`.
    var eligibility: Eligibility
    /// Each backend's `backup` flag, for `eligibility`.
    private var backupFlags: [Bool]
    var stats: [BackendLoopStats]
    var loopStats = LoopStats()
    /// Last known state of the session store (nil: none configured or not checked yet).
    var storeUp: Bool? = nil
    var sessions: [ObjectIdentifier: ProxySession] = [:]
    /// Spare per-request state and buffers for this loop's sessions.
    var exchanges = ExchangePool()
    /// Buffers of this loop's pooled (idle) backend connections, which read
    /// nothing while pooled: any byte or EOF there closes them.
    var backendBuffers = Spares<SpareBuffers>(capacity: 64, floor: 8)
    private var ticks = 0
    var log = AccessLogBuffer()
    /// Operational lines (stderr); set by the server.
    var eventLog: @Sendable (String) -> Void = { _ in }
    private var eventBudget = EventBudget()
    /// Set by a graceful stop: finish what is in flight, take nothing new.
    var draining = false
    var onDrained: (() -> Void)?
    /// The global connection cap: a session gives its slot back when it closes.
    let connectionLimit: ConnectionLimit
    /// How many loops share each backend's `max_conns` and `max_queue`.
    let loopCount: Int
    /// Per backend: this loop's share of `max_conns` (0: no limit) and of
    /// `max_queue`, and the requests waiting here.
    var slotLimit: [Int]
    var queueLimit: [Int]
    var queues: [BackendQueue]

    init(loop: EventLoop, runtime: ProxyRuntime, connectionLimit: ConnectionLimit, loopCount: Int) {
        self.loop = loop
        self.connectionLimit = connectionLimit
        self.loopCount = loopCount
        (slotLimit, queueLimit) = Self.shares(runtime, loopCount)
        queues = runtime.backends.map { _ in BackendQueue() }
        self.runtime = runtime
        self.pools = runtime.backends.map { _ in BackendPool() }
        self.router = Router(config: runtime.config, loopIndex: loop.index)
        let n = runtime.backends.count
        inFlight = Array(repeating: 0, count: n)
        healthUp = Array(repeating: true, count: n)
        upSince = Array(repeating: 0, count: n)
        adminStates = runtime.config.backends.map(\.adminState)
        passiveFailures = Array(repeating: 0, count: n)
        eligibility = Eligibility(count: n)
        backupFlags = runtime.config.backends.map(\.backup)
        stats = Array(repeating: BackendLoopStats(), count: n)
        refreshEligibility()
        loop.onEveryTick { [unowned self] in
            self.flushLog()
            if self.runtime.slowStart > 0 { self.refreshEligibility() }
            self.ticks &+= 1
            if self.ticks % 10 == 0 {  // ticks are 100 ms
                self.exchanges.trimUnused()
                self.backendBuffers.trimUnused { IdleMemory.released($0.bytes) }
            }
        }
    }

    /// Each loop's share of every backend's limits, rounded up (a limit of 1
    /// with 2 loops allows 1 per loop: never 0, which would block a loop).
    static func shares(_ runtime: ProxyRuntime, _ loops: Int) -> ([Int], [Int]) {
        let backends = runtime.config.backends
        let slots = backends.map { $0.maxConnections == 0 ? 0 : ($0.maxConnections + loops - 1) / loops }
        let queue = backends.map { ($0.maxQueue + loops - 1) / loops }
        return (slots, queue)
    }

    // MARK: max_conns

    /// Backend `i` can take one more request from this loop now.
    @inline(__always)
    func hasSlot(_ i: Int) -> Bool {
        slotLimit[i] == 0 || inFlight[i] < slotLimit[i]
    }

    /// A request on backend `i` ended: let waiters in while there is room.
    func slotFreed(_ i: Int) {
        guard slotLimit[i] > 0 else { return }
        while queues[i].count > 0 && hasSlot(i) {
            guard let next = queues[i].pop(index: i) else { break }
            next.leaveQueue()
        }
    }

    var routerView: Router.View {
        eligibility.view(load: inFlight, totalLoad: totalInFlight)
    }

    // MARK: Health

    /// Recomputes who may take what (see `Eligibility`).
    func refreshEligibility() {
        eligibility.refresh(
            backup: backupFlags, healthUp: healthUp, adminStates: adminStates, upSince: upSince,
            slowStart: runtime.slowStart, now: loop.now)
    }

    /// A monitor's verdict (delivered on this loop).
    func healthChanged(_ monitor: HealthMonitor, up: Bool, since: UInt64) {
        guard let i = runtime.monitors.firstIndex(where: { $0 === monitor }) else { return }
        healthUp[i] = up
        // Slow start ramps from the moment a backend comes back, not from boot.
        upSince[i] = up ? loop.now : 0
        passiveFailures[i] = 0
        refreshEligibility()
    }

    /// A data-path failure on backend `i`: `fall` in a row and it is down,
    /// here at once and everywhere through its monitor. The reason is only
    /// built then: failures below `fall` (every 5xx with `passive_5xx`) cost
    /// no string.
    func passiveFailure(_ i: Int, _ reason: @autoclosure () -> String) {
        passiveFailures[i] += 1
        let fall = runtime.checkSettings[i].fall
        guard passiveFailures[i] >= fall, healthUp[i] else { return }
        passiveFailures[i] = 0
        healthUp[i] = false
        refreshEligibility()
        let monitor = runtime.monitors[i]
        let message = "\(fall) failures in a row, last: \(reason())"
        monitor.loop.execute { monitor.passiveDown(message) }
    }

    /// An event about one request's backend, e.g. why a response was cut.
    /// At most `EventBudget.perSecond` a second per loop, so a backend that
    /// breaks every response cannot fill the disk; the rest are counted.
    func event(backend i: Int, _ runtime: ProxyRuntime, _ text: @autoclosure () -> String) {
        guard let suppressed = eventBudget.take(now: loop.now) else { return }
        let b = i >= 0 && i < runtime.backends.count ? runtime.backends[i] : nil
        let who = b.map { "backend \($0.name) (\($0.address))" } ?? "backend"
        eventLog("\(who): \(text())" + (suppressed > 0 ? " (\(suppressed) similar lines suppressed)" : ""))
    }

    func passiveSuccess(_ i: Int) {
        passiveFailures[i] = 0
    }

    func setAdminState(_ name: String, _ state: AdminState) {
        guard let i = runtime.config.backends.firstIndex(where: { $0.name == name }) else { return }
        adminStates[i] = state
        refreshEligibility()
    }

    // MARK: Pools and reload

    /// The pool for `target`, if it belongs to the current configuration.
    @inline(__always)
    func pool(for target: BackendTarget) -> BackendPool? {
        target.generation == runtime.generation ? pools[target.index] : nil
    }

    /// Publishes a reloaded configuration on this loop. Idle pooled
    /// connections to backends that still exist (same name and address) are
    /// kept, and so is their health; the rest are closed. Requests in flight
    /// finish on the old snapshot.
    func install(_ new: ProxyRuntime) {
        let newPools = new.backends.map { _ in BackendPool() }
        let n = new.backends.count
        var health = Array(repeating: true, count: n)
        var since = Array(repeating: UInt64(0), count: n)
        var keptStats = Array(repeating: BackendLoopStats(), count: n)
        for old in runtime.backends {
            if let kept = new.backends.first(where: { $0.name == old.name && $0.address == old.address }) {
                pools[old.index].move(to: newPools[kept.index], target: kept)
                health[kept.index] = healthUp[old.index]
                since[kept.index] = upSince[old.index]
                keptStats[kept.index] = stats[old.index]
            } else {
                pools[old.index].closeAll()
            }
        }
        pools = newPools
        // Waiters were queued against the old limits and indices: they go on
        // now (once, past the limit), rather than wait for a slot that the
        // new configuration numbers differently.
        var waiting: [ProxySession] = []
        for i in queues.indices { waiting += queues[i].drainAll(index: i) }
        (slotLimit, queueLimit) = Self.shares(new, loopCount)
        queues = new.backends.map { _ in BackendQueue() }
        runtime = new
        router = Router(config: new.config, loopIndex: loop.index)
        if let up = storeUp { router.storeStateChanged(up: up) }
        inFlight = Array(repeating: 0, count: n)
        totalInFlight = 0
        healthUp = health
        upSince = since
        adminStates = new.config.backends.map(\.adminState)
        passiveFailures = Array(repeating: 0, count: n)
        eligibility = Eligibility(count: n)
        backupFlags = new.config.backends.map(\.backup)
        stats = keptStats
        refreshEligibility()
        for s in waiting { s.leaveQueue() }
    }

    func storeStateChanged(up: Bool?) {
        storeUp = up
        router.storeStateChanged(up: up ?? true)
    }

    // MARK: Sessions and log

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
