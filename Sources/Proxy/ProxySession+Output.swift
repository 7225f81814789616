import EventLoop

/// Writing to the client, and which events the session waits for.
extension ProxySession {
    /// Writes pending output; on drain, lets the backend side go on.
    func flushOutput() {
        guard phase != .closed else { return }
        if !output.isEmpty {
            switch transport.flush(&output) {
            case .done:
                break
            case .partial:
                setDeadline(.send)
                // Below half the high-water mark, let the backend refill while
                // the client drains the rest.
                if phase == .exchange, let b = backend, b.readPaused, output.count < runtime.highWater / 2 {
                    b.setReadPaused(false)
                    b.relay()
                    return
                }
                updateInterest()
                return
            case .error:
                abort()
                return
            }
        }
        switch phase {
        case .closing:
            beginLingering()
            return
        case .exchange:
            if deadlineKind == .send { setDeadline(bodyDeadline) }
            if let b = backend, b.readPaused {
                b.setReadPaused(false)
                b.relay()
                return
            }
        case .idle:
            if deadlineKind == .send { setDeadline(input.isEmpty ? .idle : .header) }
            if input.isEmpty {
                returnExchangeIfIdle()
            } else {
                parseNextRequest()
            }
        default:
            break
        }
        updateInterest()
    }

    func updateInterest() {
        guard phase != .closed else { return }
        var want: UInt32 = 0
        let hw = runtime.highWater
        switch phase {
        case .idle:
            if !clientEOF && output.count < hw { want = EventLoop.readable }
        case .exchange:
            let backendFull = !forwarder.bodyDone && (backend?.send.count ?? 0) >= hw
            if !clientEOF && !backendFull && (input.freeTail > 0 || input.readIndex > 0) { want = EventLoop.readable }
        case .lingering:
            want = EventLoop.readable
        case .handshake, .closing, .closed:
            return
        }
        if !output.isEmpty { want |= EventLoop.writable }
        if let tls = transport.tls {
            want |= transport.extraInterest
            if want & EventLoop.readable != 0 && tls.hasPendingInput && makeRoomInInput() { schedulePendingRead() }
        }
        setInterest(want)
    }

    /// OpenSSL holds decrypted bytes that did not fit the input buffer; the
    /// socket will not announce them, so come back once this event is done.
    func schedulePendingRead() {
        guard !pendingReadScheduled else { return }
        pendingReadScheduled = true
        let me = LoopBound(self)
        ctx.loop.execute {
            let session = me.value
            session.pendingReadScheduled = false
            if session.phase != .closed && session.interest & EventLoop.readable != 0 { session.readAvailable() }
        }
    }
}
