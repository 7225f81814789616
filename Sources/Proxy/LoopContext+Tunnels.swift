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
        if t.runtime.accessLog != nil {
            let life = loop.now - t.opened
            var r = AccessRecord(
                client: t.client.peer, requestLine: t.requestLine, status: 101, bytesSent: t.down.bytes,
                backend: t.runtime.backends[t.backendIndex].label, backendNanos: life, totalNanos: life)
            r.upstreamStatus = 101
            r.bytesReceived = t.bytesReceived
            r.requestID = t.requestID
            r.tlsVersion = t.client.tls?.protocolVersion
            r.serverName = t.client.tls?.serverName
            r.userAgent = t.userAgent
            r.referer = t.referer
            r.termination = Termination(end.termination, .tunnel)
            r.tunnel = (end.name, t.up.bytes)
            log.append(r, format: t.runtime.accessLogFormat, now: loop.now)
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
