import EventLoop
import HTTP1

/// The request half of an exchange on bytes: the head as the backend gets
/// it, then the body relayed into the backend's send queue within its
/// high-water mark. No sockets (ProxyTests drive it with byte arrays); the
/// session carries out its events.
struct RequestForwarder {
    enum Event: Equatable {
        /// Body bytes went to the backend's queue; more is to come.
        case body(moved: Int)
        /// The body is whole (or there was none).
        case done(moved: Int)
        /// The body broke its framing (400) or its size limit (413):
        /// Tether answers `error.status`. `moved`: what went before it.
        case failed(HTTPParseError, moved: Int)
    }

    /// The forwarded head, kept so that a request that met a stale pooled
    /// connection, or a backend that refused it, can be sent again.
    private(set) var head: [UInt8] = []
    private var body = BodyRelay()

    init() {
        head.reserveCapacity(1024)
    }

    var bodyDone: Bool { body.isDone }

    /// Writes the forwarded head of `request` (its bytes in `buf`) and
    /// readies the body relay. Request trailers always go on: the backend
    /// speaks HTTP/1.1, whose chunked framing every recipient must be able
    /// to read them in.
    mutating func begin(_ buf: UnsafeBufferPointer<UInt8>, _ request: RequestHead, info: MessageWriter.ForwardingInfo, maxBody: Int) {
        head.removeAll(keepingCapacity: true)
        MessageWriter.appendRequestHead(buf, request, info: info, into: &head)
        body = BodyRelay(framing: request.framing, rechunk: true, maxBody: maxBody, trailers: true)
    }

    /// Relays the body bytes `input` holds into `send`, up to `highWater`
    /// pending bytes; bytes after the body (a pipelined request) stay.
    mutating func pump(_ input: inout ReceiveBuffer, into send: inout SendQueue, highWater: Int) -> Event {
        var moved = 0
        if !body.isDone, case .failed(let error) = body.relay(from: &input, to: &send, highWater: highWater, moved: &moved) {
            return .failed(error, moved: moved)
        }
        return body.isDone ? .done(moved: moved) : .body(moved: moved)
    }

    /// Forgets the request (its exchange is going back to the pool).
    mutating func reset() {
        head.removeAll(keepingCapacity: true)
        body = BodyRelay()
    }
}
