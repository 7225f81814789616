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
    /// Per backend of the current runtime: pool, queue, limits, health, counters.
    var upstreams: [Upstream]
    var router: Router
    /// What the router reads on every request: who may take existing and
    /// new sessions, and each backend's load from this loop.
    private(set) var view: Router.View
    var loopStats = LoopStats()
    /// Last known state of the session store (nil: none configured or not checked yet).
    var storeUp: Bool? = nil
    var sessions: [ObjectIdentifier: ProxySession] = [:]
    /// Connections in a `LingeringClose`: a graceful stop waits for them too,
    /// or their last response could be destroyed by the RST of an exit.
    var lingering = 0
    /// Connections before their session (a PROXY header or TLS handshake
    /// under way): a graceful stop waits for them too, since the balancer in
    /// front already counts them as accepted and would see a reset.
    var starting = 0
    /// Open tunnels (WebSockets after their `101`), and their buffers' spares.
    var tunnels: [ObjectIdentifier: Tunnel] = [:]
    var tunnelBuffers = Spares<[UInt8]>(capacity: 64, floor: 8)
    /// Spare per-request state and buffers for this loop's sessions.
    var exchanges = ExchangePool()
    /// Buffers of this loop's pooled (idle) backend connections, which read
    /// nothing while pooled: any byte or EOF there closes them.
    var backendBuffers = Spares<SpareBuffers>(capacity: 64, floor: 8)
    private var ticks = 0
    var log = AccessLogBuffer()
    var requestIDs: RequestIDSource
    /// App-cookie sessions offered a seal lately (see `SealOffers`).
    var sealOffers = SealOffers()
    /// Requests logged since a graceful stop began, not yet reported for
    /// its outcome line (`takeFinishedWhileDraining`).
    private(set) var finishedWhileDraining = 0
    /// Operational lines (stderr); set by the server.
    var eventLog = EventLog.discard
    private var eventBudget = EventBudget()
    /// Set by a graceful stop: finish what is in flight, take nothing new.
    var draining = false
    var onDrained: (() -> Void)?
    /// The global connection cap: a session gives its slot back when it closes.
    let connectionLimit: ConnectionLimit
    /// How many loops share each backend's `max_conns` and `max_queue`.
    let loopCount: Int

    init(loop: EventLoop, runtime: ProxyRuntime, connectionLimit: ConnectionLimit, loopCount: Int) {
        self.loop = loop
        self.connectionLimit = connectionLimit
        self.loopCount = loopCount
        self.runtime = runtime
        requestIDs = RequestIDSource(loop: loop.index)
        upstreams = runtime.config.backends.map { Upstream($0, loops: loopCount) }
        router = Router(config: runtime.config, loopIndex: loop.index)
        view = Router.View(count: runtime.backends.count)
        refreshEligibility()
        loop.onEveryTick { [unowned self] in
            self.flushLog()
            self.view.clock = UInt32(clamping: Clock.wallSeconds())  // dated seals (max_idle / max_life)
            if self.runtime.slowStart > 0 { self.refreshEligibility() }
            self.ticks &+= 1
            if self.ticks % 10 == 0 {  // ticks are 100 ms
                self.exchanges.trimUnused()
                self.backendBuffers.trimUnused { IdleMemory.released($0.bytes) }
                self.tunnelBuffers.trimUnused { IdleMemory.released($0.count) }
            }
        }
    }

    // MARK: max_conns

    /// Whether `runtime` (a request's configuration snapshot) is still this
    /// loop's: backend indices, the router, loads and queues are numbered by
    /// it. A request that began before a reload finishes on its own
    /// snapshot and touches none of them.
    @inline(__always)
    func isCurrent(_ runtime: ProxyRuntime) -> Bool {
        runtime === self.runtime
    }

    /// Backend `i` of `runtime` in this loop's current numbering: `i` while
    /// `runtime` is current; after a reload, the same backend (name and
    /// address), whose health and counters the reload kept, or nil.
    func currentIndex(_ runtime: ProxyRuntime, _ i: Int) -> Int? {
        if runtime === self.runtime { return i }
        guard i >= 0 && i < runtime.backends.count else { return nil }
        let old = runtime.backends[i]
        return self.runtime.backends.first { $0.name == old.name && $0.address == old.address }?.index
    }

    /// Backend `i` can take one more request from this loop now.
    @inline(__always)
    func hasSlot(_ i: Int) -> Bool {
        let limit = upstreams[i].slotLimit
        return limit == 0 || view.load[i] < limit
    }

    /// A request on backend `i` started: it counts against the backend's load.
    @inline(__always)
    func loadTaken(_ i: Int) {
        view.loadTaken(i)
    }

    /// A request on backend `i` ended: let waiters in while there is room.
    func loadReleased(_ i: Int) {
        view.loadReleased(i)
        guard upstreams[i].slotLimit > 0 else { return }
        while upstreams[i].queue.count > 0 && hasSlot(i) {
            guard let next = upstreams[i].queue.pop(index: i) else { break }
            next.leaveQueue()
        }
    }

    /// Adds `n` to a counter of a listener's connections (loop-local: no lock).
    func count(_ listener: String, _ c: ListenerCounter, by n: Int = 1) {
        #if !TETHER_NO_STATS
        loopStats.perListener[listener, default: Counters()][c] += n
        #endif
    }

    /// Adds `n` to a counter of backend `i` (loop-local: no lock).
    @inline(__always)
    func count(_ c: BackendCounter, _ i: Int, by n: Int = 1) {
        #if !TETHER_NO_STATS
        upstreams[i].stats.counters[c] += n
        #endif
    }

    // MARK: Health

    /// Recomputes who may take what (see `Router.View.refreshEligibility`).
    func refreshEligibility() {
        view.refreshEligibility(upstreams.map(\.status), slowStart: runtime.slowStart, now: loop.now)
        view.clock = UInt32(clamping: Clock.wallSeconds())
    }

    /// A monitor's verdict (delivered on this loop).
    func healthChanged(_ monitor: HealthMonitor, up: Bool, since: UInt64) {
        guard let i = runtime.monitors.firstIndex(where: { $0 === monitor }) else { return }
        upstreams[i].status.healthUp = up
        // Slow start ramps from the moment a backend comes back, not from boot.
        upstreams[i].status.upSince = up ? loop.now : 0
        upstreams[i].passiveFailures = 0
        refreshEligibility()
        if !up { closeTunnels(to: i, because: .backendDown) }
    }

    /// A data-path failure on backend `i`: `fall` in a row and it is down,
    /// here at once and everywhere through its monitor. The reason is only
    /// built then: failures below `fall` (every 5xx with `passive_5xx`) cost
    /// no string.
    func passiveFailure(_ i: Int, _ reason: @autoclosure () -> String) {
        upstreams[i].passiveFailures += 1
        let fall = runtime.checkSettings[i].fall
        guard upstreams[i].passiveFailures >= fall, upstreams[i].status.healthUp else { return }
        upstreams[i].passiveFailures = 0
        upstreams[i].status.healthUp = false
        refreshEligibility()
        closeTunnels(to: i, because: .backendDown)
        let monitor = runtime.monitors[i]
        let message = "\(fall) failures in a row, last: \(reason())"
        monitor.loop.execute { monitor.passiveDown(message) }
    }

    /// An event about one request's backend, e.g. why a response was cut.
    /// At most `EventBudget.perSecond` a second per loop, so a backend that
    /// breaks every response cannot fill the disk; the rest are counted.
    func event(backend i: Int, _ runtime: ProxyRuntime, _ text: @autoclosure () -> String) {
        budgetedEvent(.warning, "backend") {
            let b = i >= 0 && i < runtime.backends.count ? runtime.backends[i] : nil
            return (b.map { "backend \($0.name) (\($0.address))" } ?? "backend") + ": " + text()
        }
    }

    /// An event line under the loop's `EventBudget`: past it, lines are
    /// counted and the next one that gets through says how many. The text
    /// is built only for a line that is written.
    func budgetedEvent(_ level: LogLevel, _ event: StaticString, _ text: () -> String) {
        guard eventLog.wants(level), let suppressed = eventBudget.take(now: loop.now) else { return }
        eventLog(level, event, text() + (suppressed > 0 ? " (\(suppressed) similar lines suppressed)" : ""))
    }

    func passiveSuccess(_ i: Int) {
        upstreams[i].passiveFailures = 0
    }

    func setAdminState(_ name: String, _ state: AdminState) {
        guard let i = runtime.config.backends.firstIndex(where: { $0.name == name }) else { return }
        // Back in service: slow start ramps it up from now, as after a health recovery.
        if state == .active && upstreams[i].status.adminState != .active { upstreams[i].status.upSince = loop.now }
        upstreams[i].status.adminState = state
        refreshEligibility()
        // `drain` keeps existing tunnels, as it keeps existing sessions.
        if state == .maintenance { closeTunnels(to: i, because: .maintenance) }
    }

    // MARK: Pools and reload

    /// The pool for `target`, if it belongs to the current configuration.
    @inline(__always)
    func pool(for target: BackendTarget) -> BackendPool? {
        target.generation == runtime.generation ? upstreams[target.index].pool : nil
    }

    /// Publishes a reloaded configuration on this loop. Idle pooled
    /// connections to backends that still exist (same name and address) are
    /// kept, and so is their health; the rest are closed. Requests in flight
    /// finish on the old snapshot.
    func install(_ new: ProxyRuntime) {
        var fresh = new.config.backends.map { Upstream($0, loops: loopCount) }
        // A backend this reload adds ramps up from now (slow start).
        for i in fresh.indices { fresh[i].status.upSince = loop.now }
        for old in runtime.backends {
            let was = upstreams[old.index]
            if let kept = new.backends.first(where: { $0.name == old.name && $0.address == old.address }) {
                was.pool.move(to: fresh[kept.index].pool, target: kept)
                fresh[kept.index].status.healthUp = was.status.healthUp
                // Back in service by this reload: slow start ramps it up from now.
                let returns = fresh[kept.index].status.adminState == .active && was.status.adminState != .active
                fresh[kept.index].status.upSince = returns ? loop.now : was.status.upSince
                fresh[kept.index].stats = was.stats
            } else {
                was.pool.closeAll()
            }
        }
        // Waiters were queued against the old limits and indices: they go on
        // now (once, past the limit), rather than wait for a slot that the
        // new configuration numbers differently.
        var waiting: [ProxySession] = []
        for i in upstreams.indices { waiting += upstreams[i].queue.drainAll(index: i) }
        upstreams = fresh
        runtime = new
        router = Router(config: new.config, loopIndex: loop.index)
        if let up = storeUp { router.storeStateChanged(up: up) }
        view = Router.View(count: new.backends.count)
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

    /// A session ended (its socket closed, or went on to a lingering close or a tunnel).
    func remove(_ session: ProxySession) {
        sessions.removeValue(forKey: ObjectIdentifier(session))
        drainedIfDone()
    }

    /// A client connection closed, in whichever handler it ended (handshake,
    /// session, lingering close, tunnel): its places in the global and
    /// listener caps go, and the listener's count of open connections.
    func clientClosed(_ t: ClientTransport) {
        clientClosed(listener: t.listener, limit: t.listenerLimit)
    }

    /// The same for a connection closed before it had a transport (refused
    /// at accept, or in its PROXY header).
    func clientClosed(listener: String, limit: ConnectionLimit) {
        limit.release()
        connectionLimit.release()
        count(listener, .current, by: -1)
    }

    /// A lingering close ended (after `clientClosed`).
    func lingerEnded() {
        lingering -= 1
        drainedIfDone()
    }

    /// A graceful stop is over when no session, lingering close or tunnel is left.
    func drainedIfDone() {
        if draining && sessions.isEmpty && lingering == 0 && starting == 0 && tunnels.isEmpty { drained() }
    }

    /// Stops taking requests: idle sessions close now, busy ones after their response.
    func beginDrain(onDrained: @escaping () -> Void) {
        draining = true
        self.onDrained = onDrained
        for u in upstreams { u.pool.closeAll() }
        for session in Array(sessions.values) { session.drain() }
        drainedIfDone()
    }

    /// The graceful stop ran out of time: every request still in flight is
    /// cut and logged (`stopped`), open tunnels close, idle connections go.
    /// Returns the requests finished during the stop, the requests cut, and
    /// the tunnels closed.
    func cutRemaining() -> (finished: Int, cut: Int, tunnels: Int) {
        let finished = takeFinishedWhileDraining()
        var cut = 0
        for session in Array(sessions.values) {
            if session.phase == .exchange, let e = session.held {
                e.pointee.end(.stopped)
                cut += 1
                session.dropBackend()
                session.abort()
            } else {
                session.closeNow()
            }
        }
        let open = Array(tunnels.values)
        for t in open { t.close(because: .stopped) }
        flushLog()
        return (finished, cut, open.count)
    }

    /// The requests this loop finished during the stop, reported once
    /// (a loop that drained reports them, then may still be asked to cut).
    func countFinishedWhileDraining() { finishedWhileDraining += 1 }

    func takeFinishedWhileDraining() -> Int {
        defer { finishedWhileDraining = 0 }
        return finishedWhileDraining
    }

    private func drained() {
        flushLog()
        for u in upstreams { u.pool.closeAll() }
        let done = onDrained
        onDrained = nil
        done?()
    }
}
