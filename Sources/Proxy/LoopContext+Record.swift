import Stats

/// A finished request in the loop's books: its backend's counters (or
/// Tether's own answers), then its access-log line.
extension LoopContext {
    func record(_ e: UnsafeMutablePointer<Exchange>, runtime: ProxyRuntime, peer: [UInt8], backendNanos: UInt64) {
        #if !TETHER_NO_STATS
        count(e, runtime: runtime, backendNanos: backendNanos)
        #endif
        guard runtime.accessLog != nil else { return }
        let i = e.pointee.backendIndex
        log.append(
            client: peer, requestLine: e.pointee.requestLine, status: e.pointee.status, bytesSent: e.pointee.bytesToClient,
            backend: i >= 0 ? runtime.backends[i].label : nil, backendNanos: backendNanos,
            totalNanos: loop.now - e.pointee.requestStart)
        if log.pending.count > 64 * 1024 { flushLog() }
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
