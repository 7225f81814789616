import Config
import Stats

/// The loop's tunnels (see `Tunnel`): they outlive the sessions that opened
/// them, a graceful stop waits for them, and they end with their backend's
/// service.
extension LoopContext {
    /// A tunnel ended (after `clientClosed`): it is logged (status `101`,
    /// the bytes it carried to the client, its whole life as the time, why
    /// it ended and the bytes it carried to the backend).
    func tunnelEnded(_ t: Tunnel, _ end: Tunnel.End, runtime: ProxyRuntime) {
        tunnels.removeValue(forKey: ObjectIdentifier(t))
        if end != .closed && end != .timeout {
            event(backend: t.backendIndex, runtime, "tunnel ended (\(end.name)) after \(t.up.bytes) bytes up, \(t.down.bytes) down")
        }
        if runtime.accessLog != nil {
            log.append(
                client: t.client.peer, requestLine: t.requestLine, status: 101, bytesSent: t.down.bytes,
                backend: runtime.backends[t.backendIndex].label, backendNanos: loop.now - t.opened, totalNanos: loop.now - t.opened,
                tunnel: (end.name, t.up.bytes))
        }
        drainedIfDone()
    }

    /// A backend left service (maintenance, or down): its tunnels end, and
    /// their clients reconnect to another backend like any session.
    func closeTunnels(to i: Int, because end: Tunnel.End) {
        let target = runtime.backends[i]
        for t in tunnels.values where t.goesTo(target) { t.close(because: end) }
    }
}
