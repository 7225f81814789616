import EventLoop

/// One deadline per session at a time: what it waits for decides which.
extension ProxySession {
    func setDeadline(_ requested: DeadlineKind?) {
        guard var kind = requested else {
            // Between the kinds: only the whole request's limit, if any.
            deadline = phase == .exchange ? exchangeDeadline : 0
            if deadline != 0 { ctx.loop.schedule(self) }
            return
        }
        if kind == .idle && transport.isTLS && runtime.clientIdleTimeout > 1_000_000_000 {
            // An idle TLS connection keeps OpenSSL's buffers for a second
            // (the next request usually comes sooner), then lets them go.
            idleUntil = ctx.loop.now + runtime.clientIdleTimeout
            kind = .tlsIdle
        }
        let timeout: UInt64
        switch kind {
        case .handshake: timeout = runtime.handshakeTimeout
        case .header: timeout = runtime.headerTimeout
        case .idle: timeout = runtime.clientIdleTimeout
        case .body: timeout = runtime.clientBodyTimeout
        case .send: timeout = runtime.sendTimeout
        case .linger: timeout = 2_000_000_000
        case .queue: timeout = runtime.queueTimeout
        case .tlsIdle: timeout = 1_000_000_000
        case .expect: timeout = runtime.expectTimeout
        }
        deadlineKind = kind
        deadline = ctx.loop.now + timeout
        if phase == .exchange && exchangeDeadline != 0 && exchangeDeadline < deadline { deadline = exchangeDeadline }
        ctx.loop.schedule(self)
    }

    func deadlineExpired(now: UInt64) {
        if phase == .exchange && exchangeDeadline != 0 && now >= exchangeDeadline {
            requestTimedOut()
            return
        }
        switch deadlineKind {
        case .handshake:
            handshakeFailed()
        case .queue:
            queueTimedOut()
        case .expect:
            expectTimedOut()
        case .tlsIdle:
            transport.tls?.releaseIdleBuffers()
            IdleMemory.released(32 * 1024)  // about what OpenSSL frees: a read and a write record buffer
            deadlineKind = .idle
            deadline = idleUntil
            ctx.loop.schedule(self)
        case .idle, .linger:
            closeNow()
        case .header:
            respondWithError(status: 408)
        case .body:
            if responseHeadDone { abort() } else { respondWithError(status: 408) }
        case .send:
            abort()
        }
    }
}
