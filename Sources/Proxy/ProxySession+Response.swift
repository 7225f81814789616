import EventLoop
import HTTP1
import Stats

/// The response as the backend connection hands it over (see
/// `BackendConnection+Response`): the final head, the end; then recycle,
/// count and log.
extension ProxySession {
    /// The backend's final head: the client's head goes into the output
    /// (with the affinity cookie when the session must be pinned), and the
    /// connection learns how to frame the body for this client.
    func responseHead(_ head: ResponseHead, _ buf: UnsafeBufferPointer<UInt8>) -> ResponsePolicy.Framing {
        let plan = ResponsePolicy.framing(head.framing, clientVersion: request.version, clientTakesTrailers: request.acceptsTrailers)
        if plan.closesConnection { closeAfterResponse = true }
        renderAffinityCookie()
        responseStart = output.sent + output.count
        MessageWriter.appendResponseHead(
            buf, head, clientFraming: plan.client, keepAlive: !closeAfterResponse,
            clientVersion: request.version, trailers: plan.trailers, extra: extraFields, into: &output.bytes)
        responseHeadDone = true
        settleContinue()  // a final answer ends any wait for 100
        status = head.status
        if let i = ctx.currentIndex(runtime, backendIndex) {
            if status >= 500 && runtime.checkSettings[backendIndex].passive5xx {
                ctx.passiveFailure(i, "status \(status)")
            } else {
                ctx.passiveSuccess(i)
            }
        }
        return plan
    }

    /// Counters for the admin endpoint: loop-local, no lock.
    func recordStats(backendNanos: UInt64) {
        #if !TETHER_NO_STATS
        ctx.loopStats.requests += 1
        guard backendIndex >= 0 else {
            ctx.loopStats.rejected[status, default: 0] += 1
            return
        }
        // A request that outlived a reload counts for its backend if the
        // reload kept it (it was miscounted as one of Tether's own answers).
        guard let i = ctx.currentIndex(runtime, backendIndex) else { return }
        ctx.count(.requests, i)
        if let c = BackendCounter.responses(status: status) { ctx.count(c, i) }
        ctx.count(.bytesOut, i, by: bytesToClient)
        ctx.count(.bytesIn, i, by: bytesToBackend)
        if responseHeadDone { ctx.upstreams[i].stats.latency.record(nanos: backendNanos) }
        #endif
    }

    /// The response is complete: recycle the backend connection, log, go on.
    func responseComplete() {
        guard let b = backend else { return }
        backend = nil
        releaseLoad()
        // Unsent request bytes (the backend answered before reading all of
        // the body) would go out ahead of the next request: not reusable.
        let reusable = b.reader.head.keepAlive && forwarder.bodyDone && b.input.isEmpty && b.send.isEmpty && !b.sendFailed && b.isConnected
        if reusable, let pool = ctx.pool(for: b.target) {
            b.requestsServed += 1
            pool.release(b, max: runtime.config.pool.maxIdlePerBackend)
        } else {
            b.close()
        }
        // Unread request body left on the client connection: its framing is
        // known, but the client may stop sending; close rather than wait.
        if !forwarder.bodyDone { closeAfterResponse = true }
        logRequest(backendNanos: ctx.loop.now - backendStart)
        if closeAfterResponse || ctx.draining {
            // The request was read whole: nothing of it can still be on the way.
            cleanEnd = forwarder.bodyDone
            closeAfterFlush()
            return
        }
        phase = .idle
        if input.isEmpty { input.compact() }
        setDeadline(input.isEmpty ? .idle : .header)
        flushOutput()
    }

    func logRequest(backendNanos: UInt64) {
        recordStats(backendNanos: backendNanos)
        guard runtime.accessLog != nil else { return }
        let backendLabel = backendIndex >= 0 ? runtime.backends[backendIndex].label : nil
        ctx.log.append(
            client: peer, requestLine: requestLine, status: status, bytesSent: bytesToClient,
            backend: backendLabel, backendNanos: backendNanos, totalNanos: ctx.loop.now - requestStart)
        if ctx.log.pending.count > 64 * 1024 { ctx.flushLog() }
    }
}
