import EventLoop
import HTTP1
import Stats

/// Relay the backend's response: interim responses, the head, the body.
extension ProxySession {
    func backendReadable() {
        relayResponse()
    }

    func makeRoomInBackendInput() {
        guard let b = backend else { return }
        if responseHeadDone {
            b.input.compact()
        } else {
            let limit = runtime.config.limits.headBufferLimit
            if b.input.storage.count < limit { b.input.reserve(min(limit, b.input.storage.count * 2)) }
        }
    }

    func relayResponse() {
        guard phase == .exchange, let b = backend else { return }
        var interim = false
        while !responseHeadDone {
            // Nothing buffered (an interim head took all there was): start
            // the next head at the front, where the next read will put it.
            if b.input.isEmpty {
                b.input.compact()
                if interim { flushOutput() }
                return
            }
            let result = b.input.storage.withUnsafeBufferPointer { buf in
                responseParser.parse(
                    buf, start: b.input.readIndex, end: b.input.writeIndex,
                    requestMethod: request.method, into: &response)
            }
            switch result {
            case .needMore:
                if b.input.freeTail == 0 && b.input.storage.count >= runtime.config.limits.headBufferLimit {
                    backendFailed(.unrelayable("response head over max_header_size"))
                    return
                }
                if interim { flushOutput() }
                return
            case .failed(.headersTooLarge):
                backendFailed(.unrelayable("response head over max_header_size"))
                return
            case .failed(let error):
                backendFailed(.invalidResponse(error))
                return
            case .complete(let headEnd):
                if response.isInformational {
                    if response.status == 101 {
                        // Upgrade is never forwarded, so no tunnel can follow.
                        backendFailed(.unrelayable("101 Switching Protocols without an upgrade"))
                        return
                    }
                    interim = relayInterim(b) || interim
                    b.input.readIndex = headEnd
                    continue
                }
                startResponse(headEnd: headEnd, b)
            }
        }
        var moved = 0
        let limit = output.appendLimit(highWater: runtime.highWater)
        var readIndex = b.input.readIndex
        let outcome = b.input.storage.withUnsafeBufferPointer { buf in
            var view = ReceiveBufferView(storage: buf, readIndex: b.input.readIndex, writeIndex: b.input.writeIndex)
            defer { readIndex = view.readIndex }
            return responseBody.relay(from: &view, to: &output.bytes, highWater: limit, moved: &moved)
        }
        b.input.readIndex = readIndex
        bytesToClient += moved
        if case .failed(let error) = outcome {
            backendFailed(.invalidResponse(error))
            return
        }
        if responseBody.isDone {
            finishExchange()
            return
        }
        b.setReadPaused(output.count >= runtime.highWater)
        flushOutput()
    }

    private func startResponse(headEnd: Int, _ b: BackendConnection) {
        let plan = ResponsePolicy.framing(response.framing, clientVersion: request.version, clientTakesTrailers: request.acceptsTrailers)
        if plan.closesConnection { closeAfterResponse = true }
        let framing = plan.client
        let trailers = plan.trailers
        renderAffinityCookie()
        responseStart = output.sent + output.count
        b.input.storage.withUnsafeBufferPointer { buf in
            MessageWriter.appendResponseHead(
                buf, response, clientFraming: framing, keepAlive: !closeAfterResponse,
                clientVersion: request.version, trailers: trailers, extra: extraFields, into: &output.bytes)
        }
        b.input.readIndex = headEnd
        responseBody = BodyRelay(framing: response.framing, rechunk: framing == .chunked, maxBody: .max, trailers: trailers)
        responseHeadDone = true
        settleContinue()  // a final answer ends any wait for 100
        status = response.status
        if runtime === ctx.runtime {
            if status >= 500 && runtime.checkSettings[backendIndex].passive5xx {
                ctx.passiveFailure(backendIndex, "status \(status)")
            } else {
                ctx.passiveSuccess(backendIndex)
            }
        }
    }

    /// The backend closed its side.
    func backendEOF() {
        guard phase == .exchange, backend != nil else { return }
        if responseHeadDone, case .untilClose = responseBody.mode {
            relayResponse()  // take what is still buffered
            if backend != nil {
                responseBody = BodyRelay()
                finishExchange()
            }
            return
        }
        backendFailed(.closed)
    }

    /// Counters for the admin endpoint: loop-local, no lock.
    func recordStats(backendNanos: UInt64) {
        #if !TETHER_NO_STATS
        ctx.loopStats.requests += 1
        guard backendIndex >= 0, runtime === ctx.runtime else {
            ctx.loopStats.rejected[status, default: 0] += 1
            return
        }
        let i = backendIndex
        ctx.count(.requests, i)
        if let c = BackendCounter.responses(status: status) { ctx.count(c, i) }
        ctx.count(.bytesOut, i, by: bytesToClient)
        ctx.count(.bytesIn, i, by: bytesToBackend)
        if responseHeadDone { ctx.upstreams[i].stats.latency.record(nanos: backendNanos) }
        #endif
    }

    /// The response is complete: recycle the backend connection, log, go on.
    func finishExchange() {
        guard let b = backend else { return }
        backend = nil
        releaseLoad()
        // Unsent request bytes (the backend answered before reading all of
        // the body) would go out ahead of the next request: not reusable.
        let reusable = response.keepAlive && requestBody.isDone && b.input.isEmpty && b.send.isEmpty && !b.sendFailed && b.isConnected
        if reusable, let pool = ctx.pool(for: b.target) {
            b.requestsServed += 1
            pool.release(b, max: runtime.config.pool.maxIdlePerBackend)
        } else {
            b.close()
        }
        // Unread request body left on the client connection: its framing is
        // known, but the client may stop sending; close rather than wait.
        if !requestBody.isDone { closeAfterResponse = true }
        logRequest(backendNanos: ctx.loop.now - backendStart)
        if closeAfterResponse || ctx.draining {
            // The request was read whole: nothing of it can still be on the way.
            cleanEnd = requestBody.isDone
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
