import EventLoop
import HTTP1

/// Reading the response: the connection feeds what it reads to its
/// `ResponseReader` and carries out the events for the session: interim
/// heads (the session decides whether its client sees them), the final head
/// (the session writes the client's head and says how to frame the body),
/// body bytes (relayed straight into the session's output, within its
/// high-water mark: one copy), the end, or a failure.
extension BackendConnection {
    /// Room for the next read. While a head is incomplete its indices must
    /// stay put, so the buffer grows (up to the head limit); once the head
    /// is out, consumed bytes are dropped.
    func makeRoom(limits: HTTPLimits) {
        if reader.headDone {
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
        while true {
            switch reader.next(&input, into: &s.output, highWater: s.runtime.highWater) {
            case .needMore:
                if interim { s.flushOutput() }
                return
            case .interim:
                interim = input.storage.withUnsafeBufferPointer { s.responseInterim(reader.head, $0) } || interim
            case .head:
                let framing = input.storage.withUnsafeBufferPointer { s.responseHead(reader.head, $0) }
                reader.startBody(framing)
            case .body(let moved):
                s.bytesToClient += moved
                setReadPaused(s.output.count >= s.runtime.highWater)
                s.flushOutput()
                return
            case .complete(let moved):
                s.bytesToClient += moved
                return s.responseComplete()
            case .failed(let failure):
                return s.backendFailed(failure)
            }
        }
    }

    /// The backend closed its side: the end of a close-delimited body, or a failure.
    func endOfStream() {
        guard let s = session else { return }
        switch reader.endOfStream(&input, into: &s.output, highWater: s.runtime.highWater) {
        case .complete(let moved):
            s.bytesToClient += moved
            s.responseComplete()
        case .failed(let failure):
            s.backendFailed(failure)
        default:
            break
        }
    }
}
