import Config
import Stats

/// A finished request in the loop's books: its backend's counters (or
/// Tether's own answers), then its access-log line.
extension LoopContext {
    func record(_ e: UnsafeMutablePointer<Exchange>, runtime: ProxyRuntime, transport: ClientTransport, backendNanos: UInt64) {
        #if !TETHER_NO_STATS
        count(e, runtime: runtime, backendNanos: backendNanos)
        #endif
        if draining && e.pointee.termination?.cause != .stopped { countFinishedWhileDraining() }  // the stop's outcome line
        if let answer = e.pointee.answer { answered(answer, e, runtime: runtime, client: transport.peer) }
        guard runtime.accessLog != nil else { return }
        let i = e.pointee.backendIndex
        let start = e.pointee.backendStart
        var r = AccessRecord(
            client: transport.peer, requestLine: e.pointee.requestLine, status: e.pointee.status, bytesSent: e.pointee.bytesToClient,
            backend: i >= 0 ? runtime.backends[i].label : nil, backendNanos: backendNanos, totalNanos: loop.now - e.pointee.requestStart)
        if runtime.logsDetail {
            r.upstreamStatus = e.pointee.upstreamStatus
            r.bytesReceived = e.pointee.bytesFromClient
            if start != 0 && e.pointee.connectedAt != 0 { r.connectNanos = e.pointee.connectedAt - start }
            if start != 0 && e.pointee.headAt != 0 { r.firstByteNanos = e.pointee.headAt - start }
            r.requestID = e.pointee.requestID
            r.tlsVersion = transport.tls?.protocolVersion
            r.serverName = transport.tls?.serverName
            r.userAgent = e.pointee.userAgent
            r.referer = e.pointee.referer
            r.retries = max(0, e.pointee.tried.count - 1) + (e.pointee.retriedStale ? 1 : 0)
            r.termination = e.pointee.termination ?? .ok
            r.reason = e.pointee.answer
        }
        log.append(r, format: runtime.accessLogFormat, now: loop.now)
        if log.count > 64 * 1024 { flushLog() }
    }

    /// One event line per answer Tether gave itself, with its reason, under
    /// the loop's `EventBudget` (a flood of bad requests is counted, not
    /// written). 4xx are `info`, 5xx `warning`.
    private func answered(_ answer: LocalAnswer, _ e: UnsafeMutablePointer<Exchange>, runtime: ProxyRuntime, client: [UInt8]) {
        budgetedEvent(answer.status >= 500 ? .warning : .info, "request") {
            let i = e.pointee.backendIndex
            let line = String(decoding: e.pointee.requestLine, as: UTF8.self)
            let backend = i >= 0 && i < runtime.backends.count ? " (backend \(runtime.backends[i].name))" : ""
            return "\(answer.status) \(answer.label) for \"\(line)\" from \(String(decoding: client, as: UTF8.self))\(backend): \(answer.meaning)"
        }
    }

    /// Counters for the admin endpoint: loop-local, no lock.
    private func count(_ e: UnsafeMutablePointer<Exchange>, runtime: ProxyRuntime, backendNanos: UInt64) {
        loopStats.requests += 1
        let status = e.pointee.status
        let answer = e.pointee.answer
        if let answer { loopStats.rejected[answer] += 1 }
        guard e.pointee.backendIndex >= 0 else {
            if answer == nil { loopStats.redirects += 1 }
            return
        }
        // A request that outlived a reload counts for its backend if the
        // reload kept it (see `currentIndex`).
        guard let i = currentIndex(runtime, e.pointee.backendIndex) else { return }
        count(.requests, i)
        // The status classes are what the backend answered; Tether's own
        // answer for a request routed there (502, 504, a 503 from its
        // queue...) is Tether's, counted on the backend by cause.
        if let answer {
            if answer.isBackendSide { upstreams[i].stats.answers[answer] += 1 }
        } else if e.pointee.responseHeadDone, let c = BackendCounter.responses(status: status) {
            count(c, i)
        }
        count(.bytesOut, i, by: e.pointee.bytesToClient)
        count(.bytesIn, i, by: e.pointee.bytesToBackend)
        if e.pointee.responseHeadDone { upstreams[i].stats.latency.record(nanos: backendNanos) }
    }
}
