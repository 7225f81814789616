import EventLoop
import HTTP1

/// The backend's side of an exchange, as HAProxy's server-side stream
/// connector between the session's two buffers: the request body goes from
/// the client's input through the exchange's forwarder into `send`, and the
/// response from `input` through the `ResponseReader` and the exchange
/// straight into the client's output (one copy each way, within the
/// high-water marks). Interim heads go to the client if the exchange says
/// so; the final head carries the affinity cookie when the session must be
/// pinned, and tells passive health how the backend did. The session hears
/// what comes of it: output to flush, the end, a failure.
extension BackendConnection {
    /// Moves the client's buffered body bytes to the backend. The response
    /// clock measures the backend: while the client is still uploading,
    /// each piece the backend takes starts it again.
    func pullBody(from s: ProxySession, flush sendNow: Bool = true) {
        let e = s.exchange
        if !e.pointee.bodyDone {
            switch e.pointee.pumpBody(&s.input, into: &send, highWater: s.runtime.highWater) {
            case .failed(let error, _): return s.perform(e.pointee.requestBodyFailed(error))
            case .body(let moved): if moved > 0 && isConnected { armResponseTimer() }
            case .done:
                // The whole request is on its way: only the client's reading
                // of the response (if any is pending) is timed now.
                s.setDeadline(s.output.isEmpty ? nil : .send)
                if isConnected { armResponseTimer() }
            }
        }
        if sendNow { flush() }
        s.updateInterest()
    }

    /// Room for the next read. While a head is incomplete its indices must
    /// stay put, so the buffer grows (up to the head limit); once the head
    /// is out, consumed bytes are dropped.
    func makeRoom(limits: HTTPLimits) {
        if reader.headDone {
            input.compact()
        } else {
            input.grow(upTo: limits.headBufferLimit, from: 0)
        }
    }

    /// Parses and relays what is buffered (after a read, or when the client
    /// drained enough for the relay to go on).
    func relay() {
        guard let s = session, state == .active else { return }
        let e = s.exchange
        var interim = false
        while true {
            switch reader.next(&input, into: &s.output, highWater: s.runtime.highWater) {
            case .needMore:
                if interim { s.flushOutput() }
                return
            case .interim:
                let forwarded = input.storage.withUnsafeBufferPointer { e.pointee.interim(reader.head, $0, into: &s.output) }
                if forwarded { s.continueSettled() }
                interim = interim || forwarded
            case .head:
                let i = e.pointee.backendIndex
                e.pointee.headAt = ctx.loop.now
                ctx.renderAffinityCookie(e, runtime: s.runtime, tls: s.transport.isTLS)
                reader.startBody(input.storage.withUnsafeBufferPointer { e.pointee.responseHead(reader.head, $0, into: &s.output) })
                s.continueSettled()
                ctx.responded(reader.head.status, backend: i, s.runtime)
            case .body(let moved):
                e.pointee.responseBody(moved: moved)
                setReadPaused(s.output.count >= s.runtime.highWater)
                s.flushOutput()
                return
            case .complete(let moved):
                return complete(moved, s)
            case .switched:
                let i = e.pointee.backendIndex
                e.pointee.headAt = ctx.loop.now
                ctx.renderAffinityCookie(e, runtime: s.runtime, tls: s.transport.isTLS)
                let action = input.storage.withUnsafeBufferPointer { e.pointee.switched(reader.head, $0, into: &s.output) }
                ctx.responded(101, backend: i, s.runtime)
                return s.perform(action)
            case .failed(let failure):
                return s.backendFailed(failure)
            }
        }
    }

    /// The backend closed its side: the end of a close-delimited body, or a failure.
    func endOfStream() {
        guard let s = session else { return }
        switch reader.endOfStream(&input, into: &s.output, highWater: s.runtime.highWater) {
        case .complete(let moved): complete(moved, s)
        case .failed(let failure): s.backendFailed(failure)
        default: break
        }
    }

    /// The response is whole: back to the pool if this connection can
    /// serve again (the backend keeps it open, nothing is left over either
    /// way, its backend is still configured), closed otherwise.
    private func complete(_ moved: Int, _ s: ProxySession) {
        let reusable = reader.head.keepAlive && input.isEmpty && send.isEmpty && !sendFailed && isConnected
        let finish = s.exchange.pointee.responseComplete(moved: moved, backendReusable: reusable, draining: ctx.draining)
        s.detachBackend()
        if finish.reuseBackend, let pool = ctx.pool(for: target) {
            requestsServed += 1
            pool.release(self, max: s.runtime.config.pool.maxIdlePerBackend)
        } else {
            close()
        }
        s.finished(finish)
    }
}
