import EventLoop
import HTTP1

/// Parse a request head, pick a backend, forward head and body.
extension ProxySession {
    func parseNextRequest() {
        guard phase == .idle else { return }
        if input.isEmpty {
            input.compact()
            if ctx.draining {
                closeNow()
                return
            }
            returnExchangeIfIdle()
            updateInterest()
            return
        }
        if !ctx.isCurrent(runtime) {
            // A reload happened: the next request uses the new configuration.
            runtime = ctx.runtime
            parser.limits = runtime.config.limits
        }
        // Pipelined requests wait until the client has read earlier responses.
        if output.count >= runtime.highWater {
            updateInterest()
            return
        }
        let status = input.storage.withUnsafeBufferPointer { buf in
            parser.parse(buf, start: input.readIndex, end: input.writeIndex, into: &request)
        }
        switch status {
        case .needMore:
            if deadlineKind == .idle || deadlineKind == .tlsIdle { setDeadline(.header) }
            updateInterest()
        case .failed(let error):
            respondWithError(status: error.status)
        case .complete(let headEnd):
            startExchange(headEnd: headEnd)
        }
    }

    private func startExchange(headEnd: Int) {
        requestStart = ctx.loop.now
        status = 0
        bytesToClient = 0
        responseHeadDone = false
        retriedStale = false
        continueSettled = false
        recordRequestLine(fallback: false)

        backendIndex = -1
        if redirectsToHTTPS {
            respondWithRedirect()
            return
        }
        guard let index = chooseBackend() else {
            respondWithError(status: 503)
            return
        }
        backendIndex = index
        let target = runtime.backends[index]
        let maxBody = runtime.config.limits.maxBodySize
        input.storage.withUnsafeBufferPointer { buf in
            peer.withUnsafeBufferPointer { address in
                target.hostBytes.withUnsafeBufferPointer { host in
                    forwarder.begin(
                        buf, request, info: .init(clientAddress: address, isTLS: transport.isTLS, fallbackHost: host), maxBody: maxBody)
                }
            }
        }
        input.readIndex = headEnd
        if !input.isEmpty { continueSettled = true }  // the body came without waiting for a 100
        closeAfterResponse = !request.keepAlive || ctx.draining
        exchangeDeadline = runtime.requestTimeout > 0 ? ctx.loop.now + runtime.requestTimeout : 0
        phase = .exchange
        setDeadline(bodyDeadline)
        attachBackend(fresh: false)
    }

    /// Sends the request on a pooled connection, or on a new one. `carry`:
    /// bytes queued for a connection that failed to connect (head and any
    /// body so far), sent instead of the head.
    func attachBackend(fresh: Bool, carry: [UInt8]? = nil) {
        if ctx.isCurrent(runtime) && !ctx.hasSlot(backendIndex) {
            waitForSlot(fresh: fresh, carry: carry)
            return
        }
        let target = runtime.backends[backendIndex]
        var conn = fresh ? nil : ctx.pool(for: target)?.take()
        if conn == nil {
            switch BackendConnection.open(target, ctx: ctx) {
            case .success(let c):
                conn = c
            case .failure(.connect(let e)):
                if let i = ctx.currentIndex(runtime, backendIndex) { ctx.passiveFailure(i, BackendFailure.connect(e).reason) }
                if failOver(carrying: carry) { return }
                backendFailed(.connect(e))
                return
            }
        }
        guard let b = conn else { return }
        backend = b
        backendStart = ctx.loop.now
        holdLoad(backendIndex)
        b.send.bytes.append(contentsOf: carry ?? forwarder.head)
        bytesToBackend = forwarder.head.count
        pumpRequestBody(flush: false)
        b.beginRequest(session: self, method: request.method, limits: runtime.config.limits)
    }

    /// Moves buffered body bytes to the backend, within its high-water mark.
    func pumpRequestBody(flush: Bool = true) {
        guard let b = backend else { return }
        if !forwarder.bodyDone {
            switch forwarder.pump(&input, into: &b.send, highWater: runtime.highWater) {
            case .failed(let error, let moved):
                bytesToBackend += moved
                requestBodyFailed(error)
                return
            case .body(let moved):
                bytesToBackend += moved
                // The backend's clock measures the backend: while the client is
                // still uploading, each piece it takes starts the clock again.
                if moved > 0 && b.isConnected { b.armResponseTimer() }
            case .done(let moved):
                bytesToBackend += moved
                setDeadline(output.isEmpty ? nil : .send)
                if b.isConnected { b.armResponseTimer() }
            }
        }
        if flush { b.flush() }
        updateInterest()
    }

    /// The backend took what was queued: more body may follow.
    func backendDrained() {
        if phase == .exchange && !forwarder.bodyDone {
            pumpRequestBody()
        }
    }

    func backendConnected() {
        backend?.flush()
        updateInterest()
    }

    /// `METHOD target HTTP/1.x` for the access log; after a parse error, what
    /// there is of the first line (bounded), since the head never parsed.
    func recordRequestLine(fallback: Bool) {
        requestLine.removeAll(keepingCapacity: true)
        input.storage.withUnsafeBufferPointer { buf in
            if fallback {
                var i = input.readIndex
                let end = min(input.writeIndex, i + 128)
                while i < end, buf[i] != 13, buf[i] != 10 {
                    let c = buf[i]
                    requestLine.append(c >= 0x20 && c < 0x7F && c != 0x22 ? c : 0x3F)
                    i += 1
                }
                return
            }
            requestLine.append(buf, request.methodRange)
            requestLine.append(0x20)
            requestLine.append(buf, request.target)
            requestLine.append(static: request.version == .http11 ? " HTTP/1.1" : " HTTP/1.0")
        }
    }
}
