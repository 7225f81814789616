import EventLoop
import HTTP1

/// The response half of an exchange as a state machine over bytes: what
/// the backend connection reads goes in, events come out (interim head,
/// final head, body progress, end, failure). No sockets and no session: the
/// connection carries out the events (`BackendConnection+Exchange`), and
/// ProxyTests drive it with byte arrays.
struct ResponseReader {
    enum Event: Equatable {
        /// Nothing more to do with what is buffered: read more.
        case needMore
        /// An interim (1xx) head is in `head`; its bytes stay in the buffer
        /// (before the read index) until the next call.
        case interim
        /// The final head is in `head`: the caller writes the client's head
        /// and must call `startBody` before the next `next`.
        case head
        /// Body bytes went to the output; it stopped because the input ran
        /// out or the output reached its high-water mark.
        case body(moved: Int)
        /// The response is whole.
        case complete(moved: Int)
        /// A `101` to a request that asked for the upgrade: `head` holds it,
        /// and what follows it in the buffer is the new protocol's.
        case switched
        case failed(BackendFailure)
    }

    private var parser = ResponseParser()
    private(set) var head = ResponseHead()
    private var body = BodyRelay()
    private(set) var headDone = false
    private var awaitingFraming = false
    private var method: HTTPMethod = .get
    private var upgradeAsked = false
    private var headLimit = HTTPLimits().headBufferLimit

    /// A new request went out: its response starts from nothing.
    mutating func begin(method: HTTPMethod, limits: HTTPLimits, upgrade: Bool = false) {
        self.method = method
        upgradeAsked = upgrade
        parser.limits = limits
        parser.reset()
        headLimit = limits.headBufferLimit
        headDone = false
        awaitingFraming = false
        body = BodyRelay()
    }

    /// The body of the head just reported goes to the client framed so.
    mutating func startBody(_ framing: ResponsePolicy.Framing) {
        body = BodyRelay(framing: head.framing, rechunk: framing.client == .chunked, maxBody: .max, trailers: framing.trailers)
        headDone = true
        awaitingFraming = false
    }

    /// Reads what `input` holds: parses heads, or relays body bytes into
    /// `output` until it holds `highWater` pending bytes.
    mutating func next(_ input: inout ReceiveBuffer, into output: inout SendQueue, highWater: Int) -> Event {
        assert(!awaitingFraming, "startBody must follow a .head event")
        if !headDone {
            // Nothing buffered (an interim head took all there was): the
            // next head starts at the front, where the next read puts it.
            if input.isEmpty {
                input.compact()
                return .needMore
            }
            let result = input.storage.withUnsafeBufferPointer { buf in
                parser.parse(buf, start: input.readIndex, end: input.writeIndex, requestMethod: method, into: &head)
            }
            switch result {
            case .needMore:
                if input.freeTail == 0 && input.storage.count >= headLimit { return .failed(.unrelayable("response head over max_header_size")) }
                return .needMore
            case .failed(.headersTooLarge):
                return .failed(.unrelayable("response head over max_header_size"))
            case .failed(let error):
                return .failed(.invalidResponse(error))
            case .complete(let headEnd):
                input.readIndex = headEnd
                if head.isInformational {
                    if head.status == 101 {
                        return upgradeAsked ? .switched : .failed(.unrelayable("101 Switching Protocols without an upgrade"))
                    }
                    return .interim
                }
                awaitingFraming = true
                return .head
            }
        }
        var moved = 0
        if case .failed(let error) = body.relay(from: &input, to: &output, highWater: highWater, moved: &moved) {
            return .failed(.invalidResponse(error))
        }
        return body.isDone ? .complete(moved: moved) : .body(moved: moved)
    }

    /// The backend closed: the end of a close-delimited body (after what is
    /// still buffered), a failure otherwise.
    mutating func endOfStream(_ input: inout ReceiveBuffer, into output: inout SendQueue, highWater: Int) -> Event {
        guard headDone, case .untilClose = body.mode else { return .failed(.closed) }
        var moved = 0
        if case .failed(let error) = body.relay(from: &input, to: &output, highWater: highWater, moved: &moved) {
            return .failed(.invalidResponse(error))
        }
        body = BodyRelay()
        return .complete(moved: moved)
    }
}

extension BackendFailure: Equatable {
    static func == (a: BackendFailure, b: BackendFailure) -> Bool {
        switch (a, b) {
        case (.connect(let x), .connect(let y)), (.io(let x), .io(let y)): return x == y
        case (.connectTimeout, .connectTimeout), (.responseTimeout, .responseTimeout), (.closed, .closed): return true
        case (.invalidResponse(let x), .invalidResponse(let y)): return x == y
        case (.unrelayable(let x), .unrelayable(let y)): return x.description == y.description
        default: return false
        }
    }
}
