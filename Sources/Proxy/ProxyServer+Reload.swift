import Config
import Dispatch
import EventLoop
import Health
import Glibc
import Stats
import Synchronization

/// Reloading: a new configuration replaces the running one without
/// dropping a connection (see docs/ARCHITECTURE.md, "Reload").
extension ProxyServer {
    /// Applies a new configuration: new listeners are opened (a bind error
    /// fails the reload and changes nothing), removed ones closed, the routing
    /// snapshot swapped on every loop. Returns notes for settings that need a
    /// restart.
    public func reload(_ config: ProxyConfig) throws(StartError) -> [String] {
        let result = control.sync { () -> Result<[String], StartError> in
            do throws(StartError) { return .success(try applyReload(config)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let notes):
            log.configure(config)
            return notes
        case .failure(let error):
            recordFailedReload(error.description)
            throw error
        }
    }

    /// Records a reload that failed before reaching the server (a config error).
    public func recordFailedReload(_ message: String) {
        reloadState.withLock {
            $0.failed += 1
            $0.lastError = message
        }
    }

    private func applyReload(_ config: ProxyConfig) throws(StartError) -> [String] {
        var notes: [String] = []
        if config.workers != runtime.config.workers {
            notes.append("workers changed from \(runtime.config.workers) to \(config.workers): takes effect after a restart")
        }
        var kept: [String: HealthMonitor] = [:]
        var created: [HealthMonitor] = []
        var updates: [(HealthMonitor, HealthCheckSettings)] = []
        let newRuntime = try Self.makeRuntime(
            config, generation: runtime.generation + 1, loops: group.loops, existing: monitors, into: &kept,
            created: &created, updates: &updates)
        let newListeners: [Listener]
        do { newListeners = try openListeners(config.listeners, keeping: listeners) } catch {
            // Nothing changes: monitors made for this reload are dropped unstarted.
            throw error
        }
        for (m, settings) in updates { m.loop.execute { m.update(settings) } }
        for (key, m) in monitors where kept[key] !== m { m.loop.execute { m.stop() } }
        for m in created {
            wire(m)
            m.loop.execute { m.start() }
        }
        monitors = kept
        let removed = listeners.filter { old in !newListeners.contains { $0.fd == old.fd } }
        let added = newListeners.filter { new in !listeners.contains { $0.fd == new.fd } }
        let storeChanged = newRuntime.config.routing.sessionStore != runtime.config.routing.sessionStore
            || newRuntime.config.routing.store != runtime.config.routing.store
        runtime = newRuntime
        listeners = newListeners
        // Per-listener caps of kept listeners: from now on; nobody is closed.
        for l in config.listeners { listeners.first { $0.address == l.address }?.limit.maximum = l.maxConnections ?? Int.max }
        if storeChanged { startStorePinger(newRuntime) }
        // Admin-set states survive a reload unless it changed that backend.
        stateOverrides = stateOverrides.filter { name, entry in config.backends.contains(entry.1) }
        let overrides = stateOverrides.map { ($0.key, $0.value.0) }
        limit.maximum = config.maxConnections
        let done = DispatchGroup()
        for (i, ctx) in contexts.enumerated() {
            let stop = removed.map { $0.acceptors[i] }
            let start = added.map { $0.acceptors[i] }
            done.enter()
            ctx.loop.execute {
                ctx.install(newRuntime)
                for (name, state) in overrides { ctx.setAdminState(name, state) }
                for a in stop { a.stop() }
                for a in start { a.start() }
                done.leave()
            }
        }
        // The reload is in effect (and logged as such by the caller) once
        // every loop has installed it: a request that arrives after the
        // line gets the new configuration. Loops never block, so this wait
        // is a turn of each loop.
        _ = done.wait(timeout: .now() + .seconds(10))
        // Accepted connections do not need their listening socket: close it
        // once no loop watches it any more.
        let fds = removed.map(\.fd)
        done.notify(queue: control) { for fd in fds { close(fd) } }
        reloadState.withLock {
            $0.succeeded += 1
            $0.lastError = nil
        }
        return notes
    }
}
