import EventLoop

/// Ending a connection: after the last response (lingering when bytes may
/// still come), at once, or with a reset.
extension ProxySession {
    /// Stops after the current response (graceful stop).
    func drain() {
        if phase == .idle && input.isEmpty {
            closeNow()
        } else {
            closeAfterResponse = true
        }
    }

    func closeAfterFlush() {
        phase = .closing
        flushOutput()
    }

    /// After the last response: close at once when the client has nothing
    /// more on the way (the request was read whole and nothing follows it),
    /// as nginx does; otherwise shut the write side and drain, so unread
    /// bytes do not turn the close into an RST that destroys the response.
    func beginLingering() {
        if cleanEnd && input.isEmpty && !transport.hasPendingInput {
            closeNow()
            return
        }
        transport.shutdownWrite()
        phase = .lingering
        setDeadline(.linger)
        input.readIndex = input.writeIndex
        updateInterest()
    }

    func closeNow() { teardown(reset: false) }

    /// Closes with RST: the client must not take a cut-short response for a whole one.
    func abort() { teardown(reset: true) }

    func teardown(reset: Bool) {
        guard phase != .closed else { return }
        // Closing between requests, or after the last response went out: no
        // request is in progress, so its state can serve another connection.
        // (Mid-exchange, the callers up the stack may still read it: it goes
        // with this object instead.)
        let requestOver = phase == .idle || phase == .closing || phase == .lingering
        phase = .closed
        deadline = 0
        ctx.loop.cancelTimer(self)
        abandonQueue()
        if held != nil { releaseLoad() }  // only an exchange can hold load
        listenerLimit.release()
        if let b = backend {
            backend = nil
            b.close()
        }
        ctx.loop.deregister(fd)
        transport.close(reset: reset)
        // A stale entry in a backend queue or a scheduled pending read may
        // keep this object a while longer; its buffers and TLS state go now.
        transport.tls?.release()
        if requestOver && held != nil {
            giveBackExchange()
        } else {
            input.release()
            output.release()
        }
        #if !TETHER_NO_STATS
        ctx.loopStats.perListener[listener]?[.current] -= 1
        #endif
        ctx.remove(self)
    }
}
