import EventLoop

/// Writing to the client, and which events the session waits for.
extension ProxySession {
    /// Writes pending output; once it drains, the backend side goes on (a
    /// relay paused for a slow client, a pipelined request, the close).
    func flushOutput() {
        guard phase != .closed else { return }
        if !output.isEmpty {
            switch transport.flush(&output) {
            case .done:
                break
            case .partial:
                setDeadline(.send)
                // Below half the high-water mark, let the backend refill
                // while the client drains the rest.
                if phase == .exchange && output.count < runtime.highWater / 2 && resumeBackend() { return }
                return updateInterest()
            case .error:
                return abort()
            }
        }
        switch phase {
        case .closing:
            return endAfterResponse()
        case .exchange:
            if clock.waitingFor == .send { setDeadline(exchange.pointee.clientDeadline) }
            if resumeBackend() { return }
        case .idle:
            if clock.waitingFor == .send { setDeadline(input.isEmpty ? .idle : .header) }
            if input.isEmpty { returnExchangeIfIdle() } else { parseNextRequest() }
        default:
            break
        }
        updateInterest()
    }

    private func resumeBackend() -> Bool {
        guard let b = backend, b.readPaused else { return false }
        b.setReadPaused(false)
        b.relay()
        return true
    }

    func setInterest(_ want: UInt32) {
        if want != interest {
            interest = want
            ctx.loop.modify(fd, events: want)
        }
    }

    /// Readable while there is room and a reason to read (the client is
    /// not flow-controlled: the output and the backend's queue are below
    /// their high-water marks); writable while output is pending.
    func updateInterest() {
        var want: UInt32 = 0
        let hw = runtime.highWater
        switch phase {
        case .idle:
            if !clientEOF && output.count < hw { want = EventLoop.readable }
        case .exchange:
            let backendFull = !exchange.pointee.bodyDone && (backend?.send.count ?? 0) >= hw
            if !clientEOF && !backendFull && (input.freeTail > 0 || input.readIndex > 0) { want = EventLoop.readable }
        case .closing:
            break  // only the last bytes to write: reading now would spin on unread input
        case .closed:
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
        ctx.loop.later { [self] in
            pendingReadScheduled = false
            if phase != .closed && interest & EventLoop.readable != 0 { readAvailable() }
        }
    }
}
