import EventLoop

/// Ending a connection: after the last response (lingering when bytes may
/// still come), at once, or with a reset.
extension ProxySession {
    /// A graceful stop: idle connections close now, busy ones after their
    /// response (a connection between the two learns of it at its next request).
    /// A connection that has not sent its first request yet is not idle: a
    /// balancer in front has just handed it a client whose request is on the
    /// way. It is kept for that one request (bounded by `header_timeout`),
    /// answered with `Connection: close`, as a keep-alive one between
    /// requests is closed at once.
    func drain() {
        if phase == .idle && input.isEmpty && !awaitingFirstRequest {
            closeNow()
        } else if phase == .exchange {
            exchange.pointee.keepAlive = false
        }
    }

    /// Nothing received yet: the clock still waits for the first head.
    var awaitingFirstRequest: Bool { clock.waitingFor == .header && input.isEmpty && !clientEOF }

    func closeAfterFlush() {
        phase = .closing
        flushOutput()
    }

    /// After the last response: close at once when the client has nothing
    /// more on the way (the request was read whole and nothing follows it),
    /// as nginx does; otherwise the socket lingers (see `LingeringClose`).
    func endAfterResponse() {
        if cleanEnd && input.isEmpty && !transport.hasPendingInput { return closeNow() }
        LingeringClose(transport, ctx: ctx).start()
        teardown(.handedOver)
    }

    /// `handedOver`: another handler took the socket (and its TLS state).
    enum Teardown { case close, reset, handedOver }

    func closeNow() { teardown(.close) }

    /// Closes with RST: the client must not take a cut-short response for a whole one.
    func abort() { teardown(.reset) }

    func teardown(_ how: Teardown) {
        guard phase != .closed else { return }
        // Between requests, after the last response or handed to a tunnel, no
        // request is in progress and its state can serve another connection;
        // mid-exchange, callers up the stack may still read it, so it goes
        // with this object.
        let requestOver = phase != .exchange || how == .handedOver
        if phase == .exchange && how != .handedOver { logCutRequest() }
        phase = .closed
        deadline = 0
        ctx.loop.cancelTimer(self)
        abandonQueue()
        if let e = held { ctx.releaseLoad(e, runtime) }
        backend?.close()
        backend = nil
        if how != .handedOver {
            ctx.loop.deregister(fd)
            transport.close(reset: how == .reset)
            ctx.clientClosed(transport)
            // A stale queue entry or a scheduled pending read may keep this
            // object a while longer; its buffers and TLS state go now.
            transport.tls?.release()
        }
        if requestOver && held != nil {
            ctx.exchanges.takeBack(from: self)
        } else {
            input.release()
            output.release()
        }
        ctx.remove(self)
    }
}
