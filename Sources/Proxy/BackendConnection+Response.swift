import EventLoop
import HTTP1

/// Reading the response. The connection parses what it reads into its own
/// buffer and hands the session what happened: interim heads, the final
/// head (the session writes the client's head and says how to frame the
/// body), body bytes (relayed straight into the session's output, within
/// its high-water mark: one copy), the end, or a failure.
extension BackendConnection {
    /// Room for the next read. While a head is incomplete its indices must
    /// stay put, so the buffer grows (up to the head limit); once the head
    /// is out, consumed bytes are dropped.
    func makeRoom(limits: HTTPLimits) {
        if headDone {
            input.compact()
        } else {
            let limit = limits.headBufferLimit
            if input.storage.count < limit { input.reserve(min(limit, input.storage.count * 2)) }
        }
    }

    /// Parses and relays what is buffered (after a read, or when the client
    /// drained enough for the relay to go on).
    func relay() {
        guard let s = session, state == .active else { return }
        var interim = false
        while !headDone {
            // Nothing buffered (an interim head took all there was): the
            // next head starts at the front, where the next read puts it.
            if input.isEmpty {
                input.compact()
                if interim { s.flushOutput() }
                return
            }
            let result = input.storage.withUnsafeBufferPointer { buf in
                parser.parse(buf, start: input.readIndex, end: input.writeIndex, requestMethod: method, into: &head)
            }
            switch result {
            case .needMore:
                if input.freeTail == 0 && input.storage.count >= s.runtime.config.limits.headBufferLimit {
                    return s.backendFailed(.unrelayable("response head over max_header_size"))
                }
                if interim { s.flushOutput() }
                return
            case .failed(.headersTooLarge):
                return s.backendFailed(.unrelayable("response head over max_header_size"))
            case .failed(let error):
                return s.backendFailed(.invalidResponse(error))
            case .complete(let headEnd):
                if head.isInformational {
                    // Upgrade is never forwarded, so no tunnel can follow.
                    if head.status == 101 { return s.backendFailed(.unrelayable("101 Switching Protocols without an upgrade")) }
                    interim = input.storage.withUnsafeBufferPointer { s.responseInterim(head, $0) } || interim
                    input.readIndex = headEnd
                    continue
                }
                let framing = input.storage.withUnsafeBufferPointer { s.responseHead(head, $0) }
                input.readIndex = headEnd
                body = BodyRelay(framing: head.framing, rechunk: framing.client == .chunked, maxBody: .max, trailers: framing.trailers)
                headDone = true
            }
        }
        relayBody(to: s)
    }

    private func relayBody(to s: ProxySession) {
        var moved = 0
        let highWater = s.runtime.highWater
        let outcome = body.relay(from: &input, to: &s.output, highWater: highWater, moved: &moved)
        s.bytesToClient += moved
        if case .failed(let error) = outcome { return s.backendFailed(.invalidResponse(error)) }
        if body.isDone { return s.responseComplete() }
        setReadPaused(s.output.count >= highWater)
        s.flushOutput()
    }

    /// The backend closed its side: the end of a close-delimited body, or a failure.
    func endOfStream() {
        guard let s = session else { return }
        if headDone, case .untilClose = body.mode {
            relay()  // take what is still buffered
            if session != nil {
                body = BodyRelay()
                s.responseComplete()
            }
            return
        }
        s.backendFailed(.closed)
    }
}
